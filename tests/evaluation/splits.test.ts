import { describe, expect, it } from 'vitest';
import {
  caseRatioSubset,
  dataUsageSubsets,
  labelOf,
  makeSplit,
  parseSplitSpec,
  patientsShared,
} from '../../main/evaluation/splits.js';
import { ptbxlDataset } from '../helpers/ptbxl.js';

const TASKS = ['MI', 'STTC', 'CD', 'HYP'];
const ds = await ptbxlDataset();

function positives(idx: number[], task: string): number {
  return idx.filter((i) => labelOf(ds, i, task)).length;
}

describe('splits on PTB-XL (500 records)', () => {
  it('strat_fold puts folds 1–8 in train, 9 in validation, 10 in test', () => {
    const s = makeSplit(ds, { kind: 'strat_fold' }, TASKS);
    expect(s.train.length + s.val.length + s.test.length).toBe(500);
    for (const i of s.test) expect(ds.meta(i).fields.strat_fold).toBe(10);
    for (const i of s.val) expect(ds.meta(i).fields.strat_fold).toBe(9);
    for (const i of s.train) expect(Number(ds.meta(i).fields.strat_fold)).toBeLessThanOrEqual(8);
    expect(s.test.length).toBeGreaterThan(30);
    expect(patientsShared(ds, s)).toEqual([]);
  });

  it('the 80/20 patient split shares no patient, is stratified and seeded', () => {
    const s = makeSplit(ds, parseSplitSpec('patient', 7), TASKS);
    expect(patientsShared(ds, s)).toEqual([]);
    const n = s.train.length + s.val.length + s.test.length;
    expect(n).toBe(500);
    expect(s.test.length / n).toBeGreaterThan(0.17);
    expect(s.test.length / n).toBeLessThan(0.23);
    expect(s.val.length / (n - s.test.length)).toBeGreaterThan(0.09);
    expect(s.val.length / (n - s.test.length)).toBeLessThan(0.16);
    // Stratified: each task's prevalence in test is near its overall prevalence.
    for (const t of TASKS) {
      const overall = positives([...s.train, ...s.val, ...s.test], t) / n;
      expect(Math.abs(positives(s.test, t) / s.test.length - overall)).toBeLessThan(0.06);
      expect(positives(s.val, t)).toBeGreaterThan(0);
    }
    expect(makeSplit(ds, parseSplitSpec('patient', 7), TASKS)).toEqual(s);
    expect(makeSplit(ds, parseSplitSpec('patient', 8), TASKS).test).not.toEqual(s.test);
  });

  it('patient grouping holds even when a patient has many records', () => {
    // Give 60 records one patient id: the split must keep them together.
    const shared = { ...ds, meta: (i: number) => (i < 60 ? { ...ds.meta(i), patientId: 'same' } : ds.meta(i)) };
    for (const seed of [1, 2, 3]) {
      const s = makeSplit(shared, { kind: 'patient', seed }, TASKS);
      expect(patientsShared(shared, s)).toEqual([]);
      const parts = [s.train, s.val, s.test].filter((p) => p.includes(0));
      expect(parts).toHaveLength(1);
      for (let i = 0; i < 60; i++) expect((parts[0] as number[]).includes(i)).toBe(true);
    }
  });

  it('rejects unknown split names and datasets without folds', () => {
    expect(() => parseSplitSpec('random', 0)).toThrow(/unknown split/);
    const noFolds = { ...ds, meta: (i: number) => ({ ...ds.meta(i), fields: {} }) };
    expect(() => makeSplit(noFolds, { kind: 'strat_fold' }, TASKS)).toThrow(/no strat_fold field/);
  });
});

describe('simulation subsets', () => {
  const split = makeSplit(ds, { kind: 'strat_fold' }, TASKS);

  it('data usage subsets are nested, stratified, patient-aware and seeded', () => {
    const subsets = dataUsageSubsets(ds, split.train, TASKS, [0.1, 0.25, 0.5, 1], 3);
    const [s10, s25, s50, s100] = [0.1, 0.25, 0.5, 1].map((f) => subsets.get(f) as number[]) as [
      number[],
      number[],
      number[],
      number[],
    ];
    expect(s100).toEqual([...split.train].sort((a, b) => a - b));
    for (const [small, big] of [
      [s10, s25],
      [s25, s50],
      [s50, s100],
    ] as const) {
      const b = new Set(big);
      expect(small.every((i) => b.has(i))).toBe(true);
      expect(small.length).toBeLessThan(big.length);
    }
    expect(s10.length / s100.length).toBeGreaterThan(0.07);
    expect(s10.length / s100.length).toBeLessThan(0.16);
    expect(s50.length / s100.length).toBeGreaterThan(0.45);
    expect(s50.length / s100.length).toBeLessThan(0.55);
    for (const t of TASKS) expect(positives(s10, t)).toBeGreaterThan(0);
    // Patient-aware: a subset never holds part of a patient's records.
    const inTrain = new Map<string, number[]>();
    for (const i of split.train) inTrain.set(ds.meta(i).patientId, [...(inTrain.get(ds.meta(i).patientId) ?? []), i]);
    const s25set = new Set(s25);
    for (const recs of inTrain.values()) {
      const k = recs.filter((i) => s25set.has(i)).length;
      expect(k === 0 || k === recs.length).toBe(true);
    }
    const again = dataUsageSubsets(ds, split.train, TASKS, [0.1, 0.25, 0.5, 1], 3);
    expect(again.get(0.25)).toEqual(s25);
    expect(dataUsageSubsets(ds, split.train, TASKS, [0.25], 4).get(0.25)).not.toEqual(s25);
  });

  it('case ratio keeps all negatives and subsamples positives to the share', () => {
    for (const task of TASKS) {
      const negatives = split.train.length - positives(split.train, task);
      for (const r of [0.01, 0.02, 0.05]) {
        const c = caseRatioSubset(ds, split.train, task, r, 0);
        expect(c.negatives).toBe(negatives);
        expect(c.positives).toBe(Math.max(1, Math.round((r * negatives) / (1 - r))));
        expect(positives(c.indices, task)).toBe(c.positives);
        expect(c.indices.length).toBe(negatives + c.positives);
        expect(c.indices.every((i) => split.train.includes(i))).toBe(true);
      }
    }
  });
});
