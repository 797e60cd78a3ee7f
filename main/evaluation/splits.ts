/**
 * Train / validation / test splits and the paper's data-scarcity subsets (Tables 6 and 7).
 *
 * - `strat_fold`: PTB-XL's recommended folds — 1–8 train, 9 validation, 10 test.
 * - `patient`: the paper's 80/20 split, grouped by patient and stratified by label, seeded; a validation part is
 *   carved from the training side the same way. No patient ever appears in two parts.
 * - Data usage: nested, stratified, patient-aware subsets of the training split (10 % ⊂ 25 % ⊂ 50 % ⊂ 100 %).
 * - Case ratio: all training negatives kept, positives of one task subsampled to a given share.
 */
import type { CachedDataset } from '../data/types.js';
import { createRng, deriveSeed, shuffleInPlace } from './random.js';

export type SplitSpec =
  | { kind: 'strat_fold'; trainFolds?: number[]; valFolds?: number[]; testFolds?: number[] }
  | { kind: 'patient'; seed: number; testFraction?: number; valFraction?: number };

export interface Split {
  train: number[];
  val: number[];
  test: number[];
  /** One line saying how it was made, for run records. */
  description: string;
}

/** What the split code reads from a dataset. */
export type LabelledRecords = Pick<CachedDataset, 'name' | 'count' | 'meta'>;

export const DEFAULT_SPLIT: SplitSpec = { kind: 'strat_fold' };

export function parseSplitSpec(text: string, seed: number): SplitSpec {
  if (text === 'strat_fold' || text === 'folds') return { kind: 'strat_fold' };
  const m = /^patient(?::(\d*\.?\d+))?$/.exec(text);
  if (m) return { kind: 'patient', seed, testFraction: m[1] ? Number(m[1]) : 0.2 };
  throw new Error(`unknown split "${text}": use strat_fold (PTB-XL folds 1–8/9/10) or patient[:0.2] (80/20 by patient)`);
}

function patientKey(ds: LabelledRecords, i: number): string {
  const m = ds.meta(i);
  // A record without a patient id is its own patient.
  return m.patientId ? `p:${m.patientId}` : `r:${m.id}`;
}

export function labelOf(ds: LabelledRecords, i: number, task: string): boolean {
  return ds.meta(i).labels[task] === true;
}

/** Checks that every task is a label of the dataset, naming what is available when not. */
export function checkTasks(ds: LabelledRecords & { labelNames?: readonly string[] }, tasks: string[]): void {
  if (tasks.length === 0) throw new Error('no tasks given');
  const known = ds.labelNames ?? Object.keys(ds.count > 0 ? ds.meta(0).labels : {});
  const missing = tasks.filter((t) => !known.includes(t));
  if (missing.length) {
    throw new Error(`dataset ${ds.name} has no label ${missing.join(', ')} (labels: ${known.join(', ') || 'none'})`);
  }
}

function foldOf(ds: LabelledRecords, i: number): number | null {
  const v = ds.meta(i).fields.strat_fold;
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isInteger(n) ? n : null;
}

function foldSplit(ds: LabelledRecords, spec: Extract<SplitSpec, { kind: 'strat_fold' }>): Split {
  const trainFolds = spec.trainFolds ?? [1, 2, 3, 4, 5, 6, 7, 8];
  const valFolds = spec.valFolds ?? [9];
  const testFolds = spec.testFolds ?? [10];
  const split: Split = { train: [], val: [], test: [], description: '' };
  let missing = 0;
  for (let i = 0; i < ds.count; i++) {
    const f = foldOf(ds, i);
    if (f === null) missing++;
    else if (testFolds.includes(f)) split.test.push(i);
    else if (valFolds.includes(f)) split.val.push(i);
    else if (trainFolds.includes(f)) split.train.push(i);
  }
  if (missing === ds.count) {
    throw new Error(`dataset ${ds.name} has no strat_fold field; use the patient split (--split patient) instead`);
  }
  for (const [part, idx] of Object.entries({ train: split.train, validation: split.val, test: split.test })) {
    if (idx.length === 0) throw new Error(`dataset ${ds.name}: the strat_fold split leaves the ${part} part empty`);
  }
  split.description =
    `strat_fold: train folds ${trainFolds.join(',')}, validation ${valFolds.join(',')}, test ${testFolds.join(',')}` +
    (missing ? ` (${missing} records without strat_fold left out)` : '');
  return split;
}

interface PatientGroup {
  key: string;
  records: number[];
  stratum: string;
}

/**
 * Patients with a stratum each: the rarest task any of their records is positive for, else 'none'.
 * Stratifying on the rarest label keeps rare tasks represented in every part.
 */
function patientGroups(ds: LabelledRecords, indices: number[], tasks: string[]): PatientGroup[] {
  const byPatient = new Map<string, number[]>();
  for (const i of indices) {
    const k = patientKey(ds, i);
    const list = byPatient.get(k);
    if (list) list.push(i);
    else byPatient.set(k, [i]);
  }
  const prevalence = new Map<string, number>(tasks.map((t) => [t, 0]));
  for (const i of indices) for (const t of tasks) if (labelOf(ds, i, t)) prevalence.set(t, (prevalence.get(t) ?? 0) + 1);
  const byRarity = [...tasks].sort((a, b) => (prevalence.get(a) ?? 0) - (prevalence.get(b) ?? 0) || a.localeCompare(b));
  const groups: PatientGroup[] = [];
  // Sorted keys so that the outcome depends only on the seed, not on record order.
  for (const key of [...byPatient.keys()].sort()) {
    const records = byPatient.get(key) as number[];
    const stratum = byRarity.find((t) => records.some((i) => labelOf(ds, i, t))) ?? 'none';
    groups.push({ key, records, stratum });
  }
  return groups;
}

/** Patients of each stratum in a seeded order; prefixes of these orders make nested, stratified subsets. */
function orderedStrata(groups: PatientGroup[], seed: number): PatientGroup[][] {
  const strata = new Map<string, PatientGroup[]>();
  for (const g of groups) {
    const list = strata.get(g.stratum);
    if (list) list.push(g);
    else strata.set(g.stratum, [g]);
  }
  return [...strata.keys()].sort().map((s) => shuffleInPlace(strata.get(s) as PatientGroup[], createRng(deriveSeed(seed, s))));
}

/** Takes whole patients from the front of each stratum until about `fraction` of its records are taken. */
function takeFraction(strata: PatientGroup[][], fraction: number, atLeastOne: boolean): Set<PatientGroup> {
  const taken = new Set<PatientGroup>();
  for (const patients of strata) {
    const total = patients.reduce((a, g) => a + g.records.length, 0);
    const target = fraction * total;
    let count = 0;
    for (const g of patients) {
      // Take the patient when that brings the count closer to the target than leaving it out.
      const take = count + g.records.length / 2 <= target || (atLeastOne && count === 0 && fraction > 0);
      if (!take) break;
      taken.add(g);
      count += g.records.length;
    }
  }
  return taken;
}

function patientSplit(ds: LabelledRecords, spec: Extract<SplitSpec, { kind: 'patient' }>, tasks: string[]): Split {
  const testFraction = spec.testFraction ?? 0.2;
  const valFraction = spec.valFraction ?? 0.125;
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`test fraction ${testFraction} must lie in (0, 1)`);
  if (!(valFraction > 0 && valFraction < 1)) throw new Error(`validation fraction ${valFraction} must lie in (0, 1)`);
  const all = Array.from({ length: ds.count }, (_, i) => i);
  const groups = patientGroups(ds, all, tasks);
  const test = takeFraction(orderedStrata(groups, deriveSeed(spec.seed, 'test')), testFraction, false);
  const rest = groups.filter((g) => !test.has(g));
  const val = takeFraction(orderedStrata(rest, deriveSeed(spec.seed, 'val')), valFraction, false);
  const collect = (gs: Iterable<PatientGroup>) => [...gs].flatMap((g) => g.records).sort((a, b) => a - b);
  const split: Split = {
    train: collect(rest.filter((g) => !val.has(g))),
    val: collect(val),
    test: collect(test),
    description:
      `patient-grouped stratified split, seed ${spec.seed}: ${Math.round(testFraction * 100)} % test, ` +
      `${Math.round(valFraction * 100)} % of the rest for validation`,
  };
  for (const [part, idx] of Object.entries({ train: split.train, validation: split.val, test: split.test })) {
    if (idx.length === 0) throw new Error(`dataset ${ds.name}: the patient split leaves the ${part} part empty`);
  }
  return split;
}

export function makeSplit(ds: LabelledRecords, spec: SplitSpec, tasks: string[]): Split {
  return spec.kind === 'strat_fold' ? foldSplit(ds, spec) : patientSplit(ds, spec, tasks);
}

/** Patients found in more than one part of a split (must be empty for a valid evaluation). */
export function patientsShared(ds: LabelledRecords, split: Pick<Split, 'train' | 'val' | 'test'>): string[] {
  const owner = new Map<string, string>();
  const shared = new Set<string>();
  for (const part of ['train', 'val', 'test'] as const) {
    for (const i of split[part]) {
      const k = patientKey(ds, i);
      const prev = owner.get(k);
      if (prev && prev !== part) shared.add(k);
      owner.set(k, part);
    }
  }
  return [...shared];
}

export const DATA_USAGE_FRACTIONS = [0.1, 0.25, 0.5, 1] as const;
export const CASE_RATIOS = [0.01, 0.02, 0.05] as const;

/**
 * Nested, stratified, patient-aware subsets of `train` for each fraction, from one seeded order of patients:
 * each subset is a prefix of that order within every stratum, so smaller subsets lie inside larger ones.
 */
export function dataUsageSubsets(
  ds: LabelledRecords,
  train: number[],
  tasks: string[],
  fractions: readonly number[],
  seed: number,
): Map<number, number[]> {
  const strata = orderedStrata(patientGroups(ds, train, tasks), deriveSeed(seed, 'usage'));
  const out = new Map<number, number[]>();
  for (const f of [...fractions].sort((a, b) => a - b)) {
    if (!(f > 0 && f <= 1)) throw new Error(`data usage ${f} must lie in (0, 1]`);
    if (f === 1) {
      out.set(f, [...train].sort((a, b) => a - b));
      continue;
    }
    const taken = takeFraction(strata, f, true);
    out.set(f, [...taken].flatMap((g) => g.records).sort((a, b) => a - b));
  }
  return out;
}

/**
 * Case-ratio subsampling for one task: keep every negative of `train`, draw positives (seeded) until they make up
 * `ratio` of the result. When the split already has fewer positives than that, all are kept.
 */
export function caseRatioSubset(
  ds: LabelledRecords,
  train: number[],
  task: string,
  ratio: number,
  seed: number,
): { indices: number[]; positives: number; negatives: number; ratio: number } {
  if (!(ratio > 0 && ratio < 1)) throw new Error(`case ratio ${ratio} must lie in (0, 1)`);
  const pos = train.filter((i) => labelOf(ds, i, task));
  const neg = train.filter((i) => !labelOf(ds, i, task));
  const wanted = Math.max(1, Math.round((ratio * neg.length) / (1 - ratio)));
  const kept = shuffleInPlace([...pos], createRng(deriveSeed(seed, `case:${task}:${ratio}`))).slice(0, wanted);
  const indices = [...neg, ...kept].sort((a, b) => a - b);
  return { indices, positives: kept.length, negatives: neg.length, ratio: kept.length / Math.max(1, indices.length) };
}
