import { describe, expect, it } from 'vitest';
import { createRng, samplePatient, synthesizeEcg, syntheticCohort, type PatientModel } from '../../main/data/synthetic.js';
import { ECG_SIZE, LEADS, TARGET_FS, TARGET_SAMPLES } from '../../main/data/types.js';

const N = TARGET_SAMPLES;
const lead = (name: (typeof LEADS)[number]) => LEADS.indexOf(name);

/** QRS duration (s) of one beat: where the spatial velocity exceeds 15 % of its peak around the R peak. */
function qrsDuration(signal: Float32Array, beat: number): number {
  const c = Math.round(beat * TARGET_FS);
  const lo = c - 30;
  const hi = c + 40;
  const v: number[] = [];
  for (let s = lo; s < hi; s++) {
    let sum = 0;
    for (let l = 0; l < 12; l++) sum += Math.abs(signal[l * N + s + 1]! - signal[l * N + s]!);
    v.push(sum);
  }
  const peak = Math.max(...v);
  const above = v.map((x, i) => (x > 0.15 * peak ? i : -1)).filter((i) => i >= 0);
  return (above.at(-1)! - above[0]! + 1) / TARGET_FS;
}

/** Deepest point (mV) in the 60 ms before the R peak: a pathological Q wave is deep there. */
function qDepth(signal: Float32Array, l: number, beat: number): number {
  const c = Math.round(beat * TARGET_FS);
  let min = Infinity;
  for (let s = c - 15; s <= c - 1; s++) min = Math.min(min, signal[l * N + s]!);
  return min;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function patients(count: number, seed: number): PatientModel[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => samplePatient(i, createRng(Math.floor(rng() * 2 ** 32))));
}

describe('synthetic 12-lead cohort', () => {
  it('is seeded, standard-shaped and obeys Einthoven and Goldberger', () => {
    const a = [...syntheticCohort({ patients: 6, seed: 42 })];
    const b = [...syntheticCohort({ patients: 6, seed: 42 })];
    const c = [...syntheticCohort({ patients: 6, seed: 43 })];
    expect(a.length).toBe(b.length);
    expect(a.map((r) => r.meta)).toEqual(b.map((r) => r.meta));
    expect(Buffer.from(a[0]!.signal.buffer).equals(Buffer.from(b[0]!.signal.buffer))).toBe(true);
    expect(Buffer.from(a[0]!.signal.buffer).equals(Buffer.from(c[0]!.signal.buffer))).toBe(false);
    for (const { signal } of a) {
      expect(signal.length).toBe(ECG_SIZE);
      let maxAbs = 0;
      for (let s = 0; s < N; s++) {
        const I = signal[s]!;
        const II = signal[N + s]!;
        expect(signal[lead('III') * N + s]).toBeCloseTo(II - I, 5);
        expect(signal[lead('aVR') * N + s]! + signal[lead('aVL') * N + s]! + signal[lead('aVF') * N + s]!).toBeCloseTo(0, 5);
      }
      for (const x of signal) maxAbs = Math.max(maxAbs, Math.abs(x));
      expect(Number.isFinite(maxAbs)).toBe(true);
      expect(maxAbs).toBeGreaterThan(0.4); // there are QRS complexes…
      expect(maxAbs).toBeLessThan(6); // …of physiological size (mV)
    }
  });

  it('gives patients identities: several recordings each, with stable labels and fold', () => {
    const records = [...syntheticCohort({ patients: 60, seed: 7, recordingsPerPatient: [2, 3] })];
    const byPatient = new Map<string, typeof records>();
    for (const r of records) byPatient.set(r.meta.patientId, [...(byPatient.get(r.meta.patientId) ?? []), r]);
    expect(byPatient.size).toBe(60);
    expect(new Set(records.map((r) => r.meta.id)).size).toBe(records.length);
    const folds = new Set<unknown>();
    for (const recs of byPatient.values()) {
      expect(recs.length).toBeGreaterThanOrEqual(2);
      expect(recs.length).toBeLessThanOrEqual(3);
      for (const r of recs) {
        expect(r.meta.labels).toEqual(recs[0]!.meta.labels);
        expect(r.meta.fields.strat_fold).toBe(recs[0]!.meta.fields.strat_fold);
      }
      // Two recordings of one patient are similar but not identical.
      expect(Buffer.from(recs[0]!.signal.buffer).equals(Buffer.from(recs[1]!.signal.buffer))).toBe(false);
      folds.add(recs[0]!.meta.fields.strat_fold);
    }
    expect(folds.size).toBe(10);
    for (const label of ['MI', 'CD', 'STTC', 'HYP', 'NORM']) {
      const share = records.filter((r) => r.meta.labels[label]).length / records.length;
      expect(share, label).toBeGreaterThan(0.05);
      expect(share, label).toBeLessThan(0.6);
    }
  });

  it('has the heart rate it records', () => {
    for (const p of patients(10, 3)) {
      const ecg = synthesizeEcg(p, createRng(p.index), { noise: true });
      const expectedBeats = (ecg.heartRate / 60) * 10;
      expect(Math.abs(ecg.beats.length - expectedBeats)).toBeLessThanOrEqual(2);
    }
  });

  it('widens the QRS in conduction disturbance and digs Q waves over an infarct', () => {
    const cohort = patients(160, 11);
    const only = (p: PatientModel, l: string) => p.labels[l as 'MI'] && Object.entries(p.labels).filter(([, v]) => v).length === 1;
    const normal = cohort.filter((p) => Object.values(p.labels).every((v) => !v));
    const cd = cohort.filter((p) => only(p, 'CD'));
    const mi = cohort.filter((p) => only(p, 'MI') && p.miTerritory === 'inferior');
    expect(normal.length).toBeGreaterThan(10);
    expect(cd.length).toBeGreaterThan(5);
    expect(mi.length).toBeGreaterThan(2);
    const qrs = (ps: PatientModel[]) =>
      mean(ps.map((p) => {
        const e = synthesizeEcg(p, createRng(1), { noise: false });
        return mean(e.beats.filter((b) => b > 0.3 && b < 9.5).map((b) => qrsDuration(e.signal, b)));
      }));
    const qrsNormal = qrs(normal);
    const qrsCd = qrs(cd);
    expect(qrsNormal).toBeGreaterThan(0.06);
    expect(qrsNormal).toBeLessThan(0.12);
    expect(qrsCd - qrsNormal).toBeGreaterThan(0.025);

    const inferiorQ = (ps: PatientModel[]) =>
      mean(ps.map((p) => {
        const e = synthesizeEcg(p, createRng(1), { noise: false });
        const beats = e.beats.filter((b) => b > 0.3 && b < 9.5);
        return mean(['II', 'III', 'aVF'].map((l) => mean(beats.map((b) => qDepth(e.signal, lead(l as 'II'), b)))));
      }));
    expect(inferiorQ(mi)).toBeLessThan(inferiorQ(normal) - 0.1);
  });
});
