/**
 * GE MUSE XML reader on a real MAC 5500 export (each lead's LeadDataCRC32 and an independent decode in Python's
 * standard library as oracles), and on MUSE files written here from a real PTB-XL record in ISO-8859-1 and UTF-8.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { museMetadata, rhythmWaveform } from '../../main/data/formats/muse/metadata.js';
import { decodeBase64, decodeMuseLead } from '../../main/data/formats/muse/decode.js';
import { museToMillivolts } from '../../main/data/formats/muse/physical.js';
import { readMuse } from '../../main/data/formats/muse/read.js';
import { decodeXml, parseXml } from '../../main/data/formats/xml.js';
import { lead, ptbxl, py, tempDir, unpack, writeMuse } from './helpers.js';

const textOf = (p: string): string => decodeXml(new Uint8Array(readFileSync(p)));

describe('GE MUSE XML', () => {
  const dir = tempDir();
  const real = unpack('muse-mac5500.xml.gz', dir);

  it('metadata of the MAC 5500 export: waveforms, leads, demographics, statements', () => {
    const doc = museMetadata(parseXml(textOf(real)));
    expect(doc.waveforms.map((w) => [w.type, w.fs, w.leads.length])).toEqual([['Median', 500, 8], ['Rhythm', 500, 8]]);
    const rhythm = rhythmWaveform(doc)!;
    expect(rhythm.leads.map((l) => l.id)).toEqual(['I', 'II', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
    expect(rhythm.leads[0]).toMatchObject({ unitsPerBit: 4.88, units: 'MICROVOLTS', sampleCount: 5000, byteCount: 10000, crc32: 3238533149 });
    expect(doc.fields).toMatchObject({ age: 60, sex: 'M', acquired: '2021-05-10T13:15:18', device: 'MAC55' });
    expect(doc.statements[0]).toBe('Ventricular-paced rhythm');
  });

  it('decoding passes every lead CRC-32 and equals an independent Python decode; III, aVR, aVL, aVF are derived and flagged', () => {
    const r = readMuse(textOf(real));
    expect(r.fs).toBe(500);
    expect(r.leads).toEqual(['I', 'II', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'III', 'aVR', 'aVL', 'aVF']);
    expect(r.derivedLeads).toEqual(['III', 'aVR', 'aVL', 'aVF']);
    const ref = py<Record<string, number[]>>(`
import json, sys, re, base64, struct
t = open(json.load(sys.stdin), 'rb').read().decode('latin-1')
rhythm = t[t.index('<WaveformType>Rhythm</WaveformType>'):]
out = {}
for m in re.finditer(r'<LeadAmplitudeUnitsPerBit>([\\d.]+)</LeadAmplitudeUnitsPerBit>.*?<LeadID>(\\w+)</LeadID>.*?<WaveFormData>(.*?)</WaveFormData>', rhythm, re.S):
    b = base64.b64decode(re.sub(r'\\s', '', m.group(3)))
    out[m.group(2)] = [v * float(m.group(1)) / 1000 for v in struct.unpack('<%dh' % (len(b) // 2), b)]
print(json.dumps(out))`, real);
    let d = 0;
    for (const [name, values] of Object.entries(ref)) {
      const s = r.signals[r.leads.indexOf(name)]!;
      values.forEach((v, i) => { d = Math.max(d, Math.abs(v - s[i]!)); });
    }
    console.log(`MUSE MAC 5500 export vs Python stdlib decode: max |Δ| = ${d.toExponential(2)} mV over 8 × 5000 samples (CRC-32 checked on every lead)`);
    expect(d).toBeLessThan(1e-9);
    const [I, II, III, aVR] = ['I', 'II', 'III', 'aVR'].map((n) => r.signals[r.leads.indexOf(n)]!);
    for (let i = 0; i < 5000; i += 97) {
      expect(III![i]).toBeCloseTo(II![i]! - I![i]!, 12);
      expect(aVR![i]).toBeCloseTo(-(I![i]! + II![i]!) / 2, 12);
    }
  });

  it('a PTB-XL record written as MUSE (ISO-8859-1 and UTF-8) reads back exactly', () => {
    const rec = ptbxl(1);
    for (const encoding of ['ISO-8859-1', 'UTF-8'] as const) {
      const p = join(dir, `ptb-${encoding}.xml`);
      writeMuse(rec, p, { encoding, patientName: 'Müller Ærø' });
      const text = textOf(p);
      expect(text).toContain('Müller Ærø');
      const r = readMuse(text);
      for (const name of ['I', 'II', 'V1', 'V6']) {
        const ours = r.signals[r.leads.indexOf(name)]!;
        const ref = rec.physical[lead(rec, name)]!;
        for (let i = 0; i < ref.length; i++) expect(Math.abs(ours[i]! - ref[i]!)).toBeLessThan(1e-12);
      }
      expect(r.fields).toMatchObject({ age: 56, sex: 'F', acquired: '1984-11-08T09:17:34', statements: 'Sinus rhythm | Normal ECG' });
    }
  });

  it('bad input: truncated base64, byte count, CRC, lead count, missing sensitivity, unknown unit, malformed XML', () => {
    const rec = ptbxl(1);
    const bad = (name: string, mutate: (x: string) => string): string => {
      const p = join(dir, `${name}.xml`);
      writeMuse(rec, p, { mutate });
      return textOf(p);
    };
    expect(() => readMuse(bad('trunc', (x) => x.replace(/(<LeadID>V3<\/LeadID>.*?<WaveFormData>\n)([\s\S]*?)(\n<\/WaveFormData>)/, (_, a, b: string, c) => a + b.slice(0, b.length - 7) + c))))
      .toThrow(/lead V3: truncated base64 block/);
    expect(() => readMuse(bad('short', (x) => x.replace(/(<LeadID>V4<\/LeadID>.*?<WaveFormData>\n)([\s\S]*?)(\n<\/WaveFormData>)/, (_, a, b: string, c) => a + b.slice(0, b.length - 8) + c))))
      .toThrow(/lead V4: truncated waveform data: LeadByteCountTotal says 10000 bytes/);
    expect(() => readMuse(bad('count', (x) => x.replace('<NumberofLeads>8</NumberofLeads>', '<NumberofLeads>12</NumberofLeads>'))))
      .toThrow(/lead count mismatch: NumberofLeads says 12, the Rhythm waveform holds 8/);
    expect(() => readMuse(bad('nosens', (x) => x.replace(/(<LeadID>II<\/LeadID>)/, '$1').replace('<LeadAmplitudeUnitsPerBit>1</LeadAmplitudeUnitsPerBit><LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><LeadID>II', '<LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><LeadID>II'))))
      .toThrow(/lead II: missing sensitivity/);
    expect(() => readMuse(bad('unit', (x) => x.replace('<LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><LeadID>I<', '<LeadAmplitudeUnits>MILLIBAR</LeadAmplitudeUnits><LeadID>I<'))))
      .toThrow(/lead I: unknown amplitude unit "MILLIBAR"/);
    expect(() => readMuse(bad('xml', (x) => x.slice(0, 40_000)))).toThrow(/malformed XML: .*truncated/);
    expect(() => readMuse(bad('tag', (x) => x.replace('</PatientDemographics>', '</PatientDemographic>')))).toThrow(/malformed XML: line \d+/);
    // A CRC that disagrees with the data (one flipped byte in the real export).
    const doc = museMetadata(parseXml(textOf(real)));
    const l = { ...rhythmWaveform(doc)!.leads[2]! };
    const b = Buffer.from(decodeBase64(l.data, 'x'));
    b[100] = b[100]! ^ 1;
    expect(() => decodeMuseLead({ ...l, data: b.toString('base64') })).toThrow(/lead V1: CRC-32 mismatch/);
    expect(() => museToMillivolts({ ...l, unitsPerBit: 0 }, new Int16Array(2))).toThrow(/not positive/);
  });
});
