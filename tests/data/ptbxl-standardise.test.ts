/** PTB-XL adapter labels, standardisation and the resampler against scipy. */
import { describe, expect, it } from 'vitest';
import { parseScpCodes, ptbxlRecords } from '../../main/data/adapters/ptbxl.js';
import { readWfdbRecord } from '../../main/data/wfdb/record.js';
import { standardise, matchLead } from '../../main/data/standardise.js';
import { firwinKaiser, resamplePoly } from '../../main/data/resample.js';
import { LEADS, TARGET_SAMPLES } from '../../main/data/types.js';
import { sharedData } from '../helpers/paths.js';
import { python, requireNumpy, rms } from './helpers.js';

describe('PTB-XL adapter', () => {
  it('counts the diagnostic superclasses of the benchmark convention', () => {
    const recs = ptbxlRecords(sharedData('ptbxl'));
    expect(recs).toHaveLength(500);
    const counts: Record<string, number> = {};
    let none = 0;
    for (const r of recs) {
      const pos = Object.entries(r.labels).filter(([, v]) => v).map(([k]) => k);
      for (const k of pos) counts[k] = (counts[k] ?? 0) + 1;
      if (pos.length === 0) none++;
    }
    expect(counts).toEqual({ NORM: 297, STTC: 96, CD: 78, MI: 73, HYP: 40 });
    expect(none).toBe(12);
    const first = recs[0]!;
    expect(first.id).toBe('1');
    expect(first.patientId).toBe('15709');
    expect(first.fields.strat_fold).toBe(3);
    expect(first.fields.age).toBe(56);
    expect(first.paths.hr).toMatch(/records500\/00000\/00001_hr\.hea$/);
    expect(new Set(recs.map((r) => r.fields.strat_fold))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  });

  it('parses scp_codes dict literals', () => {
    expect(parseScpCodes("{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}")).toEqual({ NORM: 100, LVOLT: 0, SR: 0 });
    expect(() => parseScpCodes('NORM')).toThrow(/not a dict literal/);
  });
});

describe('standardisation', () => {
  const hr = readWfdbRecord(sharedData('ptbxl', 'records500', '00000', '00001_hr.hea'));
  const lr = readWfdbRecord(sharedData('ptbxl', 'records100', '00000', '00001_lr.hea'));

  it('gives 12 × 2500 mV in the canonical lead order; 100 Hz and 500 Hz agree', () => {
    const a = standardise(hr.physical, hr.fs, hr.names, hr.units);
    const b = standardise(lr.physical, lr.fs, lr.names, lr.units);
    expect(a.signal).toHaveLength(12 * TARGET_SAMPLES);
    expect(a.quality).toEqual({ missingLeads: [], derivedLeads: [], hadNaN: false, padded: false, flatLeads: [], constant: false, nanFraction: 0, croppedFromS: null, paddedS: 0 });
    expect(hr.names[3]).toBe('AVR');
    expect(matchLead('AVR')).toBe('aVR');
    // The 100 Hz files are PTB-XL's own downsampling of the same ECG: close, not identical.
    expect(rms(a.signal, b.signal, 200, 2300)).toBeLessThan(0.05);
  });

  it('reorders leads by name, converts µV, derives limb leads, zero-fills and flags missing ones, NaN → 0', () => {
    const I = Float64Array.from(hr.physical[0]!, (v) => v * 1000);
    const II = hr.physical[1]!.slice();
    II[10] = NaN;
    const V2 = hr.physical[7]!;
    const s = standardise([V2, II, I], 500, ['v2', 'II', 'I'], ['mV', 'mV', 'uV']);
    const full = standardise(hr.physical, hr.fs, hr.names, hr.units);
    const row = (x: Float32Array, l: string): Float32Array => x.subarray(LEADS.indexOf(l as never) * 2500, (LEADS.indexOf(l as never) + 1) * 2500);
    expect(rms(row(s.signal, 'I'), row(full.signal, 'I'))).toBeLessThan(1e-6);
    expect(rms(row(s.signal, 'V2'), row(full.signal, 'V2'))).toBeLessThan(1e-6);
    expect(rms(row(s.signal, 'III'), row(full.signal, 'III'))).toBeLessThan(0.01);
    expect(s.quality.derivedLeads).toEqual(['III', 'aVR', 'aVL', 'aVF']);
    expect(s.quality.missingLeads).toEqual(['V1', 'V3', 'V4', 'V5', 'V6']);
    expect(s.quality.hadNaN).toBe(true);
    expect(Array.from(row(s.signal, 'V1')).every((v) => v === 0)).toBe(true);
    expect(s.signal.every(Number.isFinite)).toBe(true);
  });

  it('pads short records and crops long ones to 10 s', () => {
    const short = hr.physical.map((x) => x.subarray(0, 2000));
    const a = standardise(short, 500, hr.names);
    expect(a.quality.padded).toBe(true);
    expect(a.quality.paddedS).toBe(6);
    expect(a.signal[1000 - 1]).not.toBe(0);
    expect(a.signal.subarray(1010, 2500).every((v) => v === 0)).toBe(true);
    const long = hr.physical.map((x) => Float64Array.from([...x, ...x]));
    const cropped = standardise(long, 500, hr.names).quality;
    expect(cropped.padded).toBe(false);
    expect(cropped.croppedFromS).toBe(20);
    expect(a.quality.croppedFromS).toBeNull();
  });

  it('rejects all-NaN signals and channel lists without ECG leads', () => {
    expect(() => standardise([new Float64Array(100).fill(NaN)], 500, ['I'])).toThrow(/all-NaN/);
    expect(() => standardise([new Float64Array(100)], 500, ['ABP'])).toThrow(/no ECG leads/);
  });

  it('fast paths (half-band fold, scratch buffers, float32 physical) equal the plain computations', () => {
    // The direct sum over the whole zero-padded filter, as scipy's upfirdn defines it.
    const direct = (x: ArrayLike<number>, up: number, down: number): number[] => {
      const halfLen = 10 * Math.max(up, down);
      const base = firwinKaiser(2 * halfLen + 1, 1 / Math.max(up, down));
      const prePad = down - (halfLen % down);
      const h = [...new Array<number>(prePad).fill(0), ...Array.from(base, (v) => v * up)];
      const preRemove = Math.floor((halfLen + prePad) / down);
      return Array.from({ length: Math.ceil((x.length * up) / down) }, (_, j) => {
        const n = (j + preRemove) * down;
        let acc = 0;
        for (let i = 0; i < x.length; i++) if (n - i * up >= 0 && n - i * up < h.length) acc += h[n - i * up]! * x[i]!;
        return acc;
      });
    };
    const lead = hr.physical[1]!;
    for (const len of [1, 2, 5, 40, 41, 43, 44, 101, 1000]) {
      for (const [u, d] of [[1, 2], [5, 8], [1, 4]] as const) {
        const x = lead.subarray(500, 500 + len);
        const ours = resamplePoly(x, u, d);
        const ref = direct(x, u, d);
        expect(ours).toHaveLength(ref.length);
        expect(rms(ours, ref)).toBeLessThan(1e-7);
      }
    }
    // A scratch output longer than needed gives a view of the right length.
    expect(resamplePoly(lead.subarray(0, 100), 1, 2, new Float32Array(500))).toHaveLength(50);
    // Repeated standardisation reuses scratch buffers without leaking one record into the next.
    const once = standardise(hr.physical, hr.fs, hr.names, hr.units).signal;
    standardise(hr.physical.map((x) => x.subarray(0, 1234)), hr.fs, hr.names, hr.units);
    expect(Array.from(standardise(hr.physical, hr.fs, hr.names, hr.units).signal)).toEqual(Array.from(once));
    const f32 = readWfdbRecord(sharedData('ptbxl', 'records500', '00000', '00001_hr.hea'), { float32: true });
    expect(f32.physical[4]).toBeInstanceOf(Float32Array);
    expect(Array.from(f32.physical[4]!)).toEqual(Array.from(Float32Array.from(hr.physical[4]!)));
    expect(Array.from(f32.digital[4]!)).toEqual(Array.from(hr.digital[4]!));
  });

  it('matches scipy.signal.resample_poly to within 1e-3 mV RMS on PTB-XL 500 Hz records', () => {
    requireNumpy();
    const recs = ['00001', '00042', '00317'].map((n) => readWfdbRecord(sharedData('ptbxl', 'records500', '00000', `${n}_hr.hea`)));
    const leads = recs.flatMap((r) => [r.physical[0]!, r.physical[6]!]).map((x) => Array.from(x));
    const ref = python(
      'import json,sys,numpy as np; from scipy.signal import resample_poly\n' +
        'd=json.load(sys.stdin); print(json.dumps([[resample_poly(np.array(x),u,dn).tolist() for x in d["x"]] for u,dn in d["r"]]))',
      { x: leads, r: [[1, 2], [5, 2], [4, 5]] },
    ) as number[][][];
    const ratios: [number, number][] = [[1, 2], [5, 2], [4, 5]];
    ratios.forEach(([u, d], k) => {
      leads.forEach((x, i) => {
        const ours = resamplePoly(x, u, d);
        expect(ours.length).toBe(ref[k]![i]!.length);
        expect(rms(ours, ref[k]![i]!)).toBeLessThan(1e-5);
      });
    });
  });
});
