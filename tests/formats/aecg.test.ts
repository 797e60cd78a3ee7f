/**
 * HL7 aECG reader on the format's published example (against biosig-tools' decoder), and on aECG files written here
 * from a real PTB-XL record with several sequence sets and the representative-beat series first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aecgMetadata } from '../../main/data/formats/aecg/metadata.js';
import { decodeDigits } from '../../main/data/formats/aecg/decode.js';
import { aecgToMillivolts } from '../../main/data/formats/aecg/physical.js';
import { readAecg } from '../../main/data/formats/aecg/read.js';
import { parseXml } from '../../main/data/formats/xml.js';
import { biosig, lead, ptbxl, tempDir, unpack, writeAecg } from './helpers.js';

describe('HL7 aECG', () => {
  const dir = tempDir();
  const example = unpack('hl7-aecg-example.xml.gz', dir);
  const text = readFileSync(example, 'utf8');

  it('metadata of the published example: rhythm and representative-beat series, GLIST increment, SLIST_PQ origin and scale', () => {
    const doc = aecgMetadata(parseXml(text));
    expect(doc.series.map((s) => s.code)).toEqual(['RHYTHM', 'REPRESENTATIVE_BEAT']);
    const set = doc.series[0]!.sets[0]!;
    expect(set.increment).toBeCloseTo(0.002, 12);
    expect(set.sequences.map((s) => s.code).slice(0, 3)).toEqual(['MDC_ECG_LEAD_I', 'MDC_ECG_LEAD_II', 'MDC_ECG_LEAD_V1']);
    expect(set.sequences[0]).toMatchObject({ origin: { value: 0, unit: 'uV' }, scale: { value: 2.5, unit: 'uV' } });
    expect(doc.fields).toMatchObject({ age: 46, sex: 'M', patient_id: 'SBJ-123', acquired: '2002-11-22T09:10:00' });
  });

  it('equals biosig-tools (save2gdf) on every lead of the example', () => {
    const r = readAecg(text);
    expect([r.fs, r.signals.length, r.signals[0]!.length]).toEqual([500, 12, 5000]);
    expect(r.leads).toEqual(['I', 'II', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'III', 'aVR', 'aVL', 'aVF']);
    biosig(['-f=ASCII', example, join(dir, 'ex')], dir);
    let d = 0;
    r.signals.forEach((s, i) => {
      const ref = readFileSync(join(dir, `ex.a${String(i + 1).padStart(2, '0')}`), 'utf8').trim().split(/\s+/).map(Number);
      expect(ref.length).toBe(s.length);
      ref.forEach((v, k) => { d = Math.max(d, Math.abs(v / 1000 - s[k]!)); });
    });
    console.log(`HL7 aECG published example vs biosig save2gdf: max |Δ| = ${d.toExponential(2)} mV over 12 × 5000 samples`);
    expect(d).toBeLessThan(1e-9);
  });

  it('a PTB-XL record in two sequence sets, beats series first, reads back exactly; mV origins convert', () => {
    const rec = ptbxl(1);
    const p = join(dir, 'ptb.xml');
    writeAecg(rec, p, { sets: 2, beatsFirst: true });
    const r = readAecg(readFileSync(p, 'utf8'));
    expect(r.fields.series).toBe('RHYTHM');
    expect(r.leads).toEqual(['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
    r.leads.forEach((name, i) => {
      const ref = rec.physical[lead(rec, name)]!;
      for (let k = 0; k < ref.length; k += 7) expect(Math.abs(r.signals[i]![k]! - ref[k]!)).toBeLessThan(1e-12);
    });
    const mv = aecgToMillivolts({ code: 'X', origin: { value: 0.5, unit: 'mV' }, scale: { value: 5, unit: 'uV' }, digits: '' }, decodeDigits(' 0 2\n -4 ', 'X'));
    expect(Array.from(mv)).toEqual([0.5, 0.51, 0.48]);
  });

  it('bad input: unknown unit, non-numeric digits, lead lengths that disagree, no time increment, malformed XML', () => {
    const rec = ptbxl(1);
    const bad = (name: string, mutate: (x: string) => string): string => {
      const p = join(dir, `${name}.xml`);
      writeAecg(rec, p, { mutate });
      return readFileSync(p, 'utf8');
    };
    expect(() => readAecg(bad('unit', (x) => x.replace('<scale value="1" unit="uV"/>', '<scale value="1" unit="mmHg"/>')))).toThrow(/sequence MDC_ECG_LEAD_I: unknown scale unit "mmHg"/);
    expect(() => readAecg(bad('digits', (x) => x.replace(/<digits>(-?\d+) /, '<digits>$1 x7 ')))).toThrow(/MDC_ECG_LEAD_I: digit 2 \("x7"\) is not a number/);
    expect(() => readAecg(bad('lengths', (x) => x.replace(/(MDC_ECG_LEAD_V2"[^]*?<digits>)(-?\d+ )/, '$1')))).toThrow(/lead count mismatch: sequence MDC_ECG_LEAD_V2 has 4999 digits/);
    expect(() => readAecg(bad('time', (x) => x.replace(/<increment[^>]*>/g, '')))).toThrow(/time sequence TIME_ABSOLUTE: increment .* is not a positive time/);
    expect(() => readAecg(bad('notime', (x) => x.replace(/<component><sequence><code code="TIME_ABSOLUTE"[^]*?<\/sequence><\/component>/g, '')))).toThrow(/no time sequence/);
    expect(() => readAecg(bad('xml', (x) => x.slice(0, 5000)))).toThrow(/malformed XML/);
  });
});
