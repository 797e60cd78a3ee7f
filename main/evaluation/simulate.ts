/**
 * The paper's data-scarcity simulations (Tables 6 and 7), repeated over R seeds and reported as mean ± sd:
 * - data usage: train on nested, stratified, patient-aware 10/25/50/100 % subsets of the training split;
 * - case ratio: per task, keep the training negatives and subsample positives to 1/2/5 %; one head per task.
 * Validation and test parts are never subsampled.
 */
import { evaluate, resolveSplit, runProtocol, type EvaluateOptions, type EvaluationProgress, type Predictions } from './evaluate.js';
import { criteriaScore } from './metrics.js';
import { deriveSeed } from './random.js';
import {
  CASE_RATIOS,
  DATA_USAGE_FRACTIONS,
  caseRatioSubset,
  checkTasks,
  dataUsageSubsets,
  type Split,
  type SplitSpec,
} from './splits.js';

export type SimulationKind = 'data-usage' | 'case-ratio';

export interface SimulationOptions extends Omit<EvaluateOptions, 'trainIndices' | 'singleTask' | 'onProgress' | 'split'> {
  kind: SimulationKind;
  split: SplitSpec | Split;
  /** Fractions (data usage) or case ratios, e.g. [0.1, 0.25, 0.5, 1] or [0.01, 0.02, 0.05]. */
  levels?: number[];
  /** R: how many seeds each level is repeated over. */
  repeats?: number;
  onProgress?(p: { level: number; repeat: number; task?: string; cell: number; cells: number; inner: EvaluationProgress }): void;
}

export interface SimulationCell {
  level: number;
  repeat: number;
  seed: number;
  /** Per task, in `tasks` order. */
  auroc: number[];
  auprc: number[];
  criteria: number;
  /** Training records used (per task for case ratio). */
  trainSize: number[];
  /** Positive share actually reached per task (case ratio) or in the subset (data usage). */
  positiveShare: number[];
  chosenEpochs: number[];
  /** Test-part predictions (per task; case ratio: each task's own single-task model), for paired comparisons. */
  test: Predictions;
}

export interface Summary {
  mean: number;
  sd: number;
}

export interface SimulationRow {
  level: number;
  /** '10%', '2%', … */
  label: string;
  auroc: Summary[];
  auprc: Summary[];
  criteria: Summary;
  /** Individual values over the repeats, for the mean ± sd cells. */
  aurocValues: number[][];
  auprcValues: number[][];
  criteriaValues: number[];
  trainSize: number;
}

export interface SimulationResult {
  kind: SimulationKind;
  protocol: EvaluateOptions['protocol'];
  dataset: string;
  tasks: string[];
  repeats: number;
  split: string;
  rows: SimulationRow[];
  cells: SimulationCell[];
  seconds: number;
}

export function summarise(values: number[]): Summary {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return { mean: NaN, sd: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, sd };
}

export function levelLabel(level: number): string {
  return `${Number((level * 100).toFixed(2))}%`;
}

export async function runSimulation(opts: SimulationOptions): Promise<SimulationResult> {
  const started = performance.now();
  const { dataset, tasks, kind } = opts;
  checkTasks(dataset, tasks);
  const split = resolveSplit(dataset, opts.split, tasks);
  const levels = [...(opts.levels ?? (kind === 'data-usage' ? DATA_USAGE_FRACTIONS : CASE_RATIOS))].sort((a, b) => b - a);
  const repeats = opts.repeats ?? 3;
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`repeats must be a positive integer, got ${repeats}`);
  const cells: SimulationCell[] = [];
  const total = levels.length * repeats * (kind === 'case-ratio' ? tasks.length : 1);
  let cell = 0;
  const base = { ...opts, split };

  for (let r = 0; r < repeats; r++) {
    const seed = deriveSeed(opts.seed, `repeat:${r}`);
    if (kind === 'data-usage') {
      const subsets = dataUsageSubsets(dataset, split.train, tasks, levels, seed);
      for (const level of levels) {
        const train = subsets.get(level) as number[];
        const here = cell++;
        const result = await evaluate({
          ...base,
          seed,
          trainIndices: train,
          onProgress: (inner) => opts.onProgress?.({ level, repeat: r, cell: here, cells: total, inner }),
        });
        cells.push({
          level,
          repeat: r,
          seed,
          auroc: result.metrics.map((m) => m.auroc),
          auprc: result.metrics.map((m) => m.auprc),
          criteria: result.criteria,
          trainSize: [train.length],
          positiveShare: tasks.map((t) => train.filter((i) => dataset.meta(i).labels[t] === true).length / train.length),
          chosenEpochs: result.chosenEpochs,
          test: result.test,
        });
      }
    } else {
      for (const level of levels) {
        const auroc: number[] = [];
        const auprc: number[] = [];
        const trainSize: number[] = [];
        const positiveShare: number[] = [];
        const chosenEpochs: number[] = [];
        const test: Predictions = { indices: [], labels: [], scores: [] };
        for (const task of tasks) {
          const subset = caseRatioSubset(dataset, split.train, task, level, seed);
          const here = cell++;
          const result = await runProtocol(
            {
              ...base,
              tasks: [task],
              seed,
              onProgress: (inner) => opts.onProgress?.({ level, repeat: r, task, cell: here, cells: total, inner }),
            },
            { ...split, train: subset.indices, description: `${split.description}; ${task} case ratio ${levelLabel(level)}` },
            split.train,
          );
          const m = result.metrics[0];
          auroc.push(m ? m.auroc : NaN);
          auprc.push(m ? m.auprc : NaN);
          trainSize.push(subset.indices.length);
          positiveShare.push(subset.ratio);
          chosenEpochs.push(...result.chosenEpochs);
          test.indices = result.test.indices;
          test.labels.push(result.test.labels[0] ?? []);
          test.scores.push(result.test.scores[0] ?? []);
        }
        cells.push({
          level,
          repeat: r,
          seed,
          auroc,
          auprc,
          criteria: criteriaScore(auroc.map((a, t) => ({ auroc: a, auprc: auprc[t] as number }))),
          trainSize,
          positiveShare,
          chosenEpochs,
          test,
        });
      }
    }
  }

  const rows: SimulationRow[] = levels.map((level) => {
    const mine = cells.filter((c) => c.level === level);
    const aurocValues = tasks.map((_, t) => mine.map((c) => c.auroc[t] as number));
    const auprcValues = tasks.map((_, t) => mine.map((c) => c.auprc[t] as number));
    const criteriaValues = mine.map((c) => c.criteria);
    return {
      level,
      label: levelLabel(level),
      auroc: aurocValues.map(summarise),
      auprc: auprcValues.map(summarise),
      criteria: summarise(criteriaValues),
      aurocValues,
      auprcValues,
      criteriaValues,
      trainSize: summarise(mine.map((c) => c.trainSize.reduce((a, b) => a + b, 0) / c.trainSize.length)).mean,
    };
  });
  return {
    kind,
    protocol: opts.protocol,
    dataset: dataset.name,
    tasks,
    repeats,
    split: split.description,
    rows,
    cells,
    seconds: (performance.now() - started) / 1000,
  };
}
