/**
 * The science rules in one place. A protocol's split of a dataset (train / validation / test) is computed here,
 * once, for every entry point; pre-training may use only the split's training part (validation and test records
 * never reach it: validation picks epochs and thresholds, test measures), and an encoder whose recorded data
 * indices include an evaluation's test records is refused for that evaluation.
 * Pre-training may also read the validation part to log its losses on it (monitoring curves, and choosing
 * pre-training settings such as the temperature by validation); it never trains on those records, and test records
 * reach neither.
 */
import type { CachedDataset } from '../data/types.js';
import type { DataUse, SourceUse } from '../store/types.js';
import { makeSplit, parseSplitSpec, type LabelledRecords, type Split, type SplitSpec } from '../evaluation/splits.js';

/** The split an evaluation protocol uses on a dataset: `strat_fold` where the dataset has folds, else by patient. */
export interface SplitPlan {
  /** `strat_fold` or `patient[:0.2]`; `auto` picks strat_fold when the dataset has folds. */
  split: string;
  seed: number;
  /** The patient split stratifies on these labels; default every label of the dataset. */
  tasks?: string[];
}

type SplitSource = LabelledRecords & Partial<Pick<CachedDataset, 'labelNames'>>;
export type { SplitSource };

function hasFolds(ds: SplitSource): boolean {
  for (let i = 0; i < Math.min(ds.count, 50); i++) {
    const v = ds.meta(i).fields.strat_fold;
    if (v !== null && v !== undefined && v !== '') return true;
  }
  return false;
}

export function splitSpecOf(ds: SplitSource, plan: SplitPlan): SplitSpec {
  const text = plan.split === 'auto' ? (hasFolds(ds) ? 'strat_fold' : 'patient') : plan.split;
  return parseSplitSpec(text, plan.seed);
}

const cache = new WeakMap<object, Map<string, Split>>();

/** The protocol's split (memoised per dataset object: a study asks for it once per cell). */
export function protocolSplit(ds: SplitSource, plan: SplitPlan): Split {
  const tasks = plan.tasks?.length ? plan.tasks : (ds.labelNames ?? Object.keys(ds.count ? ds.meta(0).labels : {}));
  const spec = splitSpecOf(ds, plan);
  const key = JSON.stringify([spec, tasks]);
  let byKey = cache.get(ds);
  if (!byKey) cache.set(ds, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit) return hit;
  const split = makeSplit(ds, spec, tasks);
  byKey.set(key, split);
  return split;
}

/** The records pre-training may read under a split: its training part, sorted. */
export function pretrainingIndices(split: Pick<Split, 'train'>): number[] {
  return [...split.train].sort((a, b) => a - b);
}

/**
 * What a pre-training run records about its data, so any later use can check the rule (store/types.ts): the
 * records and the split's one-line description, e.g. "strat_fold: train folds 1,…,8, validation 9, test 10", per
 * source for a multi-source run.
 */
export type { DataUse, SourceUse } from '../store/types.js';

/** Each dataset a run read, with its records (one entry for a single-dataset run). */
export function sourcesOf(use: DataUse): SourceUse[] {
  return use.sources ?? [{ dataset: use.dataset, indices: use.indices, split: use.split, ...(use.validation ? { validation: use.validation } : {}) }];
}

/** The records whose pre-training losses may be monitored under a split: its validation part, sorted. */
export function monitoringIndices(split: Pick<Split, 'val'>): number[] {
  return [...split.val].sort((a, b) => a - b);
}

/** The monitored validation records of a use (first source of a multi-source run), or null. */
export function validationOf(use: DataUse): { dataset: string; indices: number[] } | null {
  const first = sourcesOf(use)[0];
  return first?.validation?.length ? { dataset: first.dataset, indices: first.validation } : null;
}

/** The same use with no records monitored (`--no-validation`). */
export function withoutValidation(use: DataUse): DataUse {
  const { validation: _v, ...rest } = use;
  return rest.sources ? { ...rest, sources: rest.sources.map(({ validation: _w, ...x }) => x) } : rest;
}

/** Records a run read, over all its sources. */
export function recordsRead(use: DataUse): number {
  return sourcesOf(use).reduce((a, s) => a + s.indices.length, 0);
}

/**
 * The rule applied to each dataset of a pre-training: every one gives only the training part of its own protocol
 * split (PTB-XL folds 1–8 where a dataset has folds, else its patient split), so a dataset's test records never
 * reach pre-training, whichever datasets it is pooled with. `tasks` stratify a patient split where the dataset has
 * those labels (a source with other labels stratifies on its own). One dataset gives the single-dataset record.
 */
export function pretrainingUse(datasets: readonly SplitSource[], plan: SplitPlan, fixed: ReadonlyMap<string, Split> = new Map()): { use: DataUse; splits: Split[] } {
  if (datasets.length === 0) throw new Error('Pre-training needs at least one dataset');
  const names = datasets.map((d) => d.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`Dataset ${twice} is listed twice for pre-training`);
  // `fixed`: a split already chosen for a dataset (a study's own dataset keeps the study's split).
  const splits = datasets.map((ds) => {
    const given = fixed.get(ds.name);
    if (given) return given;
    const own = ds.labelNames ?? Object.keys(ds.count ? ds.meta(0).labels : {});
    const tasks = plan.tasks?.filter((t) => own.includes(t));
    return protocolSplit(ds, { ...plan, tasks: tasks?.length ? tasks : undefined });
  });
  // The first dataset's validation part is monitored (its losses logged, never trained on): the evaluation's dataset.
  const validation = monitoringIndices(splits[0]!);
  if (datasets.length === 1) return { use: { dataset: names[0]!, indices: pretrainingIndices(splits[0]!), split: splits[0]!.description, validation }, splits };
  const sources = datasets.map((ds, k) => ({ dataset: ds.name, indices: pretrainingIndices(splits[k]!), split: splits[k]!.description, ...(k === 0 ? { validation } : {}) }));
  return {
    use: { dataset: names.join('+'), indices: [], split: sources.map((s) => `${s.dataset}: ${s.split}`).join('; '), sources },
    splits,
  };
}

export class TestLeakError extends Error {}

/**
 * Refuses an encoder for an evaluation when its pre-training read any of the evaluation's test records.
 * `allowTest` is for the risk decomposition's "encoder pre-trained with the test inputs" setting only.
 */
export function assertUnseen(runId: string, use: DataUse | null, dataset: string, split: Pick<Split, 'test'>): void {
  const source = use ? sourcesOf(use).find((s) => s.dataset === dataset) : undefined;
  if (!source) return;
  // Records only monitored count as seen too: a test record must never reach pre-training in any role.
  const seen = new Set([...source.indices, ...(source.validation ?? [])]);
  const leaked = split.test.filter((i) => seen.has(i)).length;
  if (leaked)
    throw new TestLeakError(
      `Encoder ${runId} was pre-trained on ${leaked} of this evaluation's ${split.test.length} test records of ${dataset} (its split: ${source.split}); ` +
        'evaluate it on a split whose test part it has not seen, or pre-train it again on the training part only.',
    );
}
