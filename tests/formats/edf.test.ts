/**
 * EDF/EDF+/BDF reader against mne (Debian's python3-mne) and wfdb-python's WFDB conversion of the same file
 * (`test_generator_2`), biosig-tools as a second decoder, EDF+ annotations, windows, and broken headers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEdfHeader, recordCount } from '../../main/data/formats/edf/header.js';
import { decodeEdfSignals } from '../../main/data/formats/edf/decode.js';
import { edfToPhysical, parseTals } from '../../main/data/formats/edf/physical.js';
import { readEdf, readEdfChannels, probeEdf } from '../../main/data/formats/edf/read.js';
import { readAecg } from '../../main/data/formats/aecg/read.js';
import { readWfdbRecord } from '../../main/data/wfdb/record.js';
import { sharedData } from '../helpers/paths.js';
import { biosig, lead, ptbxl, py, tempDir, unpack, writeEdf } from './helpers.js';

const TG2 = sharedData('wfdb-python', 'sample-data', 'test_generator_2.edf');
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

describe('EDF', () => {
  it('header: signals, ranges, samples per record; digital → physical per the header', () => {
    const b = bytes(TG2);
    const h = parseEdfHeader(b);
    expect(h.plus).toBe('EDF+C');
    expect(h.signals.length).toBe(12);
    expect(h.signals.map((s) => s.samplesPerRecord)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 51]);
    expect(h.signals[11]!.annotations).toBe(true);
    const n = recordCount(h, b.length);
    expect(n).toBe(600);
    const [d] = decodeEdfSignals(h, b, n, [0]);
    const p = edfToPhysical(h.signals[0]!, d!, 1);
    const s = h.signals[0]!;
    expect(p[0]).toBeCloseTo((d![0]! - s.digMin) * (s.physMax - s.physMin) / (s.digMax - s.digMin) + s.physMin, 12);
  });

  it('physical values equal mne and the WFDB conversion of test_generator_2', () => {
    const { channels, annotations } = readEdfChannels(bytes(TG2));
    // mne returns volts; it resamples channels of other rates, so the 200 Hz channels are compared.
    const mne = py<{ names: string[]; data: number[][]; ann: [number, string][] }>(`
import json, sys, mne
r = mne.io.read_raw_edf(json.load(sys.stdin), preload=True, verbose='error')
print(json.dumps({'names': r.ch_names, 'data': (r.get_data() * 1e6).tolist(), 'ann': [[float(a['onset']), a['description']] for a in r.annotations]}))`, TG2);
    let dMne = 0;
    let compared = 0;
    for (const ch of channels.filter((c) => c.units === 'uV')) {
      const j = mne.names.indexOf(ch.label);
      expect(j, ch.label).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < ch.values.length; i++) dMne = Math.max(dMne, Math.abs(ch.values[i]! - mne.data[j]![i]!));
      compared++;
    }
    // wfdb-python converted the same file to WFDB (test_generator_2.hea/.dat): the digital samples are the EDF's.
    // (Its physical values drop the EDF's half-step offset, so the samples, not the µV, are compared.)
    const h = parseEdfHeader(bytes(TG2));
    const digital = decodeEdfSignals(h, bytes(TG2), 600, channels.map((_, i) => i));
    const w = readWfdbRecord(sharedData('wfdb-python', 'sample-data', 'test_generator_2.hea'), { smoothFrames: false, digitalOnly: true });
    let mismatches = 0;
    digital.forEach((d, i) => {
      const ref = w.digital[i]!;
      expect(ref.length).toBe(d.length);
      for (let k = 0; k < ref.length; k++) if (ref[k] !== d[k]) mismatches++;
    });
    console.log(`EDF test_generator_2 vs mne: max |Δ| = ${dMne.toExponential(2)} µV over ${compared} µV channels × 120000; vs wfdb-python's WFDB conversion: ${mismatches} digital mismatches in 11 × 120000`);
    expect(compared).toBe(9);
    expect(dMne).toBeLessThan(1e-6);
    expect(mismatches).toBe(0);
    expect(annotations.map((a) => [a.onset, a.text])).toEqual(mne.ann);
  });

  it('biosig-tools decodes the same values (second oracle)', () => {
    const dir = tempDir();
    biosig(['-f=ASCII', TG2, join(dir, 'tg2')], dir);
    const { channels } = readEdfChannels(bytes(TG2));
    let d = 0;
    for (const k of [0, 3, 10]) {
      const ref = readFileSync(join(dir, `tg2.a${String(k + 1).padStart(2, '0')}`), 'utf8').trim().split(/\s+/).map(Number);
      expect(ref.length, channels[k]!.label).toBe(channels[k]!.values.length);
      ref.forEach((v, i) => { d = Math.max(d, Math.abs(v - channels[k]!.values[i]!)); });
    }
    console.log(`EDF test_generator_2 vs biosig save2gdf: max |Δ| = ${d.toExponential(2)} (file units), 3 channels`);
    expect(d).toBeLessThan(1e-3);
  });

  it('12-lead EDF+ and BDF written by biosig from the published aECG example read back as that ECG', () => {
    const dir = tempDir();
    const aecgPath = unpack('hl7-aecg-example.xml.gz', dir);
    biosig(['-f=EDF', aecgPath, join(dir, 'ex.edf')], dir);
    biosig(['-f=BDF', aecgPath, join(dir, 'ex.bdf')], dir);
    const ref = readAecg(readFileSync(aecgPath, 'utf8'));
    for (const f of ['ex.edf', 'ex.bdf']) {
      const r = readEdf(bytes(join(dir, f)));
      expect(r.fs).toBe(500);
      expect(r.leads).toEqual(ref.leads);
      const h = parseEdfHeader(bytes(join(dir, f)));
      let d = 0;
      let step = 0;
      r.signals.forEach((s, i) => {
        const sig = h.signals[i]!;
        step = Math.max(step, (sig.physMax - sig.physMin) / (sig.digMax - sig.digMin) / 1000);
        for (let k = 0; k < s.length; k++) d = Math.max(d, Math.abs(s[k]! - ref.signals[i]![k]!));
      });
      console.log(`${f} (biosig) vs aECG reader: max |Δ| = ${d.toExponential(2)} mV, quantisation step ${step.toExponential(2)} mV`);
      expect(d).toBeLessThanOrEqual(step);
    }
  });

  it('labels map to the 12 leads, long records probe cheaply, annotations are kept', () => {
    const rec = ptbxl(1);
    const dir = tempDir();
    const p = join(dir, 'long.edf');
    // 30 s: PTB-XL records 1–3 one after another, labelled as hospital exports spell them.
    const three = [ptbxl(1), ptbxl(2), ptbxl(3)];
    const labels = ['ECG I', 'ECG II', 'ECG III', 'ECG aVR', 'ECG aVL', 'ECG aVF', 'EKG V1', 'EKG V2', 'EKG V3', 'EKG V4', 'EKG V5', 'EKG V6'];
    writeEdf(p, rec.names.map((n, i) => {
      const d = new Int32Array(15000);
      three.forEach((r, k) => d.set(r.digital[lead(r, n)]!, k * 5000));
      return { label: labels[i]!, unit: 'uV', digital: d, physMin: -32768, physMax: 32767, digMin: -32768, digMax: 32767 };
    }), 500, { annotations: [{ onset: 12.5, text: 'Arrhythmia' }] });
    const r = readEdf(bytes(p));
    expect(r.leads).toEqual(['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
    expect(r.signals[0]!.length).toBe(15000);
    expect(r.signals[6]![5000 + 17]).toBeCloseTo(three[1]!.physical[lead(three[1]!, 'V1')]![17]!, 12);
    expect(r.annotations.map((a) => [a.onset, a.text])).toEqual([[12.5, 'Arrhythmia']]);
    const head = bytes(p).subarray(0, 256 * 14);
    expect(probeEdf(head, readFileSync(p).length)).toMatchObject({ fs: 500, samples: 15000 });
    expect(parseTals(new TextEncoder().encode('+0\x14\x14\0+3.5\x151.25\x14Beat\x14\0'))).toEqual([{ onset: 3.5, duration: 1.25, text: 'Beat' }]);
  });

  it('broken headers and truncated files are named problems', () => {
    const b = Buffer.from(readFileSync(TG2));
    const dir = tempDir();
    const cut = join(dir, 'cut.edf');
    writeFileSync(cut, b.subarray(0, b.length - 5000));
    expect(() => readEdf(bytes(cut))).toThrow(/truncated: the header says 600 data records, the file holds 598/);
    const count = Buffer.from(b);
    count.write('11  ', 252, 'latin1');
    expect(() => readEdf(new Uint8Array(count))).toThrow(/lead count mismatch: the header says 11 signals/);
    expect(() => readEdf(bytes(sharedData('wfdb-python', 'sample-data', 'test_edfann.edf')))).toThrow(/annotation-only/);
  });
});
