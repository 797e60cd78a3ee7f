/**
 * Binary-classification metrics with scikit-learn's definitions:
 * AUROC = roc_auc_score (ties count one half), AUPRC = average_precision_score (step-wise, no interpolation),
 * F1 at a threshold (score ≥ threshold is positive), ROC/PR curve points, the paper's criteria score,
 * seeded percentile-bootstrap 95 % CIs, and macro AUROC/AUPRC and criteria over tasks with a joint bootstrap.
 *
 * Everything works on one descending sort of the scores, grouped by tied score; a bootstrap resample is then
 * just a vector of multiplicities over the same groups, so 1,000 resamples cost 1,000 linear passes.
 */
import { createRng } from './random.js';

export type Labels = ArrayLike<number | boolean>;
export type Scores = ArrayLike<number>;

/** Scores sorted descending, with tied scores grouped. */
export interface Ranking {
  /** Record indices in descending score order. */
  order: Uint32Array;
  /** groupStart[g]..groupStart[g+1] (exclusive) in `order` share one score; length = groups + 1. */
  groupStart: Uint32Array;
  /** The score of each group, descending. */
  groupScore: Float64Array;
  /** 1 for positives, 0 for negatives, by record index. */
  labels: Uint8Array;
}

export function toBinary(labels: Labels, what = 'labels'): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v === false || v === 0) out[i] = 0;
    else throw new Error(`${what}[${i}] is ${String(v)}; binary labels must be 0/1 or true/false`);
  }
  return out;
}

export function rank(labels: Labels, scores: Scores): Ranking {
  if (labels.length !== scores.length) {
    throw new Error(`labels (${labels.length}) and scores (${scores.length}) differ in length`);
  }
  const n = scores.length;
  const y = toBinary(labels);
  const s = Float64Array.from(scores);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(s[i])) throw new Error(`scores[${i}] is ${String(s[i])}; scores must be finite numbers`);
  }
  const idx = Array.from({ length: n }, (_, i) => i);
  // Stable on index so results never depend on the sort implementation.
  idx.sort((a, b) => (s[b] as number) - (s[a] as number) || a - b);
  const order = Uint32Array.from(idx);
  const starts: number[] = [];
  const values: number[] = [];
  for (let k = 0; k < n; k++) {
    const v = s[order[k] as number] as number;
    if (k === 0 || v !== values[values.length - 1]) {
      starts.push(k);
      values.push(v);
    }
  }
  starts.push(n);
  return { order, groupStart: Uint32Array.from(starts), groupScore: Float64Array.from(values), labels: y };
}

interface GroupCounts {
  /** Positive and negative weight per tied-score group, descending score. */
  pos: Float64Array;
  neg: Float64Array;
  totalPos: number;
  totalNeg: number;
}

/** Per-group class weights; `weight` gives each record a multiplicity (bootstrap) and defaults to 1. */
function groupCounts(r: Ranking, weight?: ArrayLike<number>): GroupCounts {
  const groups = r.groupScore.length;
  const pos = new Float64Array(groups);
  const neg = new Float64Array(groups);
  let totalPos = 0;
  let totalNeg = 0;
  for (let g = 0; g < groups; g++) {
    let p = 0;
    let q = 0;
    for (let k = r.groupStart[g] as number; k < (r.groupStart[g + 1] as number); k++) {
      const i = r.order[k] as number;
      const w = weight ? (weight[i] as number) : 1;
      if (r.labels[i]) p += w;
      else q += w;
    }
    pos[g] = p;
    neg[g] = q;
    totalPos += p;
    totalNeg += q;
  }
  return { pos, neg, totalPos, totalNeg };
}

/** Mann–Whitney form of the trapezoidal ROC area: a tie between a positive and a negative counts 1/2. */
function aurocFromCounts(c: GroupCounts): number {
  if (c.totalPos === 0 || c.totalNeg === 0) return NaN;
  let tpAbove = 0;
  let sum = 0;
  for (let g = 0; g < c.pos.length; g++) {
    const p = c.pos[g] as number;
    sum += (c.neg[g] as number) * (tpAbove + p / 2);
    tpAbove += p;
  }
  return sum / (c.totalPos * c.totalNeg);
}

/** AP = Σ (R_k − R_{k−1}) · P_k over descending distinct thresholds, as scikit-learn computes it. */
function apFromCounts(c: GroupCounts): number {
  if (c.totalPos === 0) return NaN;
  let tp = 0;
  let fp = 0;
  let sum = 0;
  for (let g = 0; g < c.pos.length; g++) {
    const p = c.pos[g] as number;
    tp += p;
    fp += c.neg[g] as number;
    if (p > 0) sum += (p / c.totalPos) * (tp / (tp + fp));
  }
  return sum;
}

/** scikit-learn's roc_auc_score for binary labels; NaN when only one class is present. */
export function auroc(labels: Labels, scores: Scores): number {
  return aurocFromCounts(groupCounts(rank(labels, scores)));
}

/** scikit-learn's average_precision_score; NaN when there is no positive. */
export function averagePrecision(labels: Labels, scores: Scores): number {
  return apFromCounts(groupCounts(rank(labels, scores)));
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Descending; the first is +Infinity (the (0, 0) point), as in scikit-learn ≥ 1.3. */
  thresholds: number[];
}

export interface PrCurve {
  precision: number[];
  recall: number[];
  /** Descending score thresholds, one per point. */
  thresholds: number[];
}

/** ROC points at every distinct score (scikit-learn's roc_curve with drop_intermediate=False). */
export function rocCurve(labels: Labels, scores: Scores): RocCurve {
  const r = rank(labels, scores);
  const c = groupCounts(r);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let g = 0; g < c.pos.length; g++) {
    tp += c.pos[g] as number;
    fp += c.neg[g] as number;
    fpr.push(c.totalNeg ? fp / c.totalNeg : NaN);
    tpr.push(c.totalPos ? tp / c.totalPos : NaN);
    thresholds.push(r.groupScore[g] as number);
  }
  return { fpr, tpr, thresholds };
}

/** PR points at every distinct score, highest threshold first, ending at recall 1. */
export function prCurve(labels: Labels, scores: Scores): PrCurve {
  const r = rank(labels, scores);
  const c = groupCounts(r);
  const precision: number[] = [];
  const recall: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let g = 0; g < c.pos.length; g++) {
    tp += c.pos[g] as number;
    fp += c.neg[g] as number;
    precision.push(tp / (tp + fp));
    recall.push(c.totalPos ? tp / c.totalPos : NaN);
    thresholds.push(r.groupScore[g] as number);
  }
  return { precision, recall, thresholds };
}

/** Keeps at most `max` points of a curve (evenly spaced, ends kept), for charts. */
export function thinCurve<T extends object>(curve: T, max = 200): T {
  const entries = Object.entries(curve) as Array<[string, number[]]>;
  const n = entries[0] ? entries[0][1].length : 0;
  if (n <= max) return curve;
  const keep: number[] = [];
  for (let k = 0; k < max; k++) keep.push(Math.round((k * (n - 1)) / (max - 1)));
  const out: Record<string, number[]> = {};
  for (const [key, values] of entries) out[key] = keep.map((i) => values[i] as number);
  return out as unknown as T;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export function confusionAt(labels: Labels, scores: Scores, threshold: number): Confusion {
  if (labels.length !== scores.length) throw new Error('labels and scores differ in length');
  const y = toBinary(labels);
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < y.length; i++) {
    const predicted = (scores[i] as number) >= threshold;
    if (y[i]) {
      if (predicted) c.tp++;
      else c.fn++;
    } else if (predicted) c.fp++;
    else c.tn++;
  }
  return c;
}

/** F1 with score ≥ threshold predicted positive; 0 when there are no true positives (scikit-learn's zero_division=0). */
export function f1At(labels: Labels, scores: Scores, threshold: number): number {
  const c = confusionAt(labels, scores, threshold);
  return c.tp === 0 ? 0 : (2 * c.tp) / (2 * c.tp + c.fp + c.fn);
}

/**
 * The threshold that maximises F1 (meant for the validation split). Candidates are the distinct scores;
 * among equal F1 the highest threshold wins, the most conservative choice.
 */
export function bestF1Threshold(labels: Labels, scores: Scores): { threshold: number; f1: number } {
  const r = rank(labels, scores);
  const c = groupCounts(r);
  let best = { threshold: Infinity, f1: 0 };
  let tp = 0;
  let fp = 0;
  for (let g = 0; g < c.pos.length; g++) {
    tp += c.pos[g] as number;
    fp += c.neg[g] as number;
    const fn = c.totalPos - tp;
    const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    if (f1 > best.f1) best = { threshold: r.groupScore[g] as number, f1 };
  }
  if (!Number.isFinite(best.threshold)) best.threshold = r.groupScore.length ? (r.groupScore[0] as number) : 0.5;
  return best;
}

/** numpy.percentile's default (linear) interpolation on sorted values. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

export type Interval = [number, number];

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided level; 0.05 gives a 95 % interval. */
  alpha?: number;
}

export interface BootstrapResult {
  auroc: Interval;
  auprc: Interval;
  /** Resamples that had both classes and so entered the interval. */
  used: number;
  resamples: number;
}

/** One bootstrap resample of `weight.length` records, drawn with replacement, as multiplicities (written in place). */
export function resampleWeights(rng: () => number, weight: Float64Array): Float64Array {
  const n = weight.length;
  weight.fill(0);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rng() * n);
    weight[i] = (weight[i] as number) + 1;
  }
  return weight;
}

/**
 * AUROC and AP of a ranking with each record counted `weight[i]` times (a bootstrap resample); both NaN when the
 * resample lacks a class. Paired comparisons give two models' rankings of the same records the same weights.
 */
export function weightedMetrics(r: Ranking, weight: ArrayLike<number>): { auroc: number; auprc: number } {
  const c = groupCounts(r, weight);
  if (c.totalPos === 0 || c.totalNeg === 0) return { auroc: NaN, auprc: NaN };
  return { auroc: aurocFromCounts(c), auprc: apFromCounts(c) };
}

/**
 * Percentile bootstrap over records: resample indices with replacement, skip resamples with one class.
 * Defaults: 1,000 resamples, seed 0, 95 %.
 */
export function bootstrapCi(labels: Labels, scores: Scores, options: BootstrapOptions = {}): BootstrapResult {
  const resamples = options.resamples ?? 1000;
  const alpha = options.alpha ?? 0.05;
  const rng = createRng(options.seed ?? 0);
  const r = rank(labels, scores);
  const n = r.labels.length;
  const weight = new Float64Array(n);
  const aurocs: number[] = [];
  const aps: number[] = [];
  for (let b = 0; b < resamples; b++) {
    resampleWeights(rng, weight);
    const m = weightedMetrics(r, weight);
    if (!Number.isFinite(m.auroc)) continue;
    aurocs.push(m.auroc);
    aps.push(m.auprc);
  }
  aurocs.sort((a, b) => a - b);
  aps.sort((a, b) => a - b);
  return {
    auroc: [percentile(aurocs, alpha / 2), percentile(aurocs, 1 - alpha / 2)],
    auprc: [percentile(aps, alpha / 2), percentile(aps, 1 - alpha / 2)],
    used: aurocs.length,
    resamples,
  };
}

export interface TaskMetrics {
  task: string;
  n: number;
  positives: number;
  auroc: number;
  auprc: number;
  aurocCi: Interval;
  auprcCi: Interval;
  /** F1 on these records at `threshold`. */
  f1: number;
  /** Chosen on validation when available, else on these records (flagged by thresholdSource). */
  threshold: number;
  thresholdSource: 'validation' | 'self';
  roc: RocCurve;
  pr: PrCurve;
}

export interface TaskMetricsOptions extends BootstrapOptions {
  /** Validation labels/scores from which the F1 threshold is chosen (never the test records themselves). */
  validation?: { labels: Labels; scores: Scores };
  /** A fixed threshold instead of choosing one. */
  threshold?: number;
  /** Curve points kept for charts. */
  maxCurvePoints?: number;
}

export function taskMetrics(task: string, labels: Labels, scores: Scores, options: TaskMetricsOptions = {}): TaskMetrics {
  const y = toBinary(labels, `labels of ${task}`);
  let threshold: number;
  let thresholdSource: TaskMetrics['thresholdSource'];
  if (options.threshold !== undefined) {
    threshold = options.threshold;
    thresholdSource = 'validation';
  } else if (options.validation && options.validation.labels.length > 0) {
    threshold = bestF1Threshold(options.validation.labels, options.validation.scores).threshold;
    thresholdSource = 'validation';
  } else {
    threshold = bestF1Threshold(y, scores).threshold;
    thresholdSource = 'self';
  }
  const ci = bootstrapCi(y, scores, options);
  const max = options.maxCurvePoints ?? 200;
  return {
    task,
    n: y.length,
    positives: y.reduce((a, b) => a + b, 0),
    auroc: auroc(y, scores),
    auprc: averagePrecision(y, scores),
    aurocCi: ci.auroc,
    auprcCi: ci.auprc,
    f1: f1At(y, scores, threshold),
    threshold,
    thresholdSource,
    roc: thinCurve(rocCurve(y, scores), max),
    pr: thinCurve(prCurve(y, scores), max),
  };
}

/** The paper's criteria score (Tables 4–7): Σ AUROC + Σ AUPRC over the tasks (4 + 4 for PTB-XL superclasses). */
export function criteriaScore(tasks: ReadonlyArray<{ auroc: number; auprc: number }>): number {
  return tasks.reduce((sum, t) => sum + t.auroc + t.auprc, 0);
}

/** Mean AUROC over tasks, skipping tasks where AUROC is undefined (one class); the early-stopping signal. */
export function meanAuroc(labels: Uint8Array[], scores: Float32Array[] | number[][]): number {
  let sum = 0;
  let count = 0;
  for (let t = 0; t < labels.length; t++) {
    const a = auroc(labels[t] as Uint8Array, scores[t] as ArrayLike<number>);
    if (Number.isFinite(a)) {
      sum += a;
      count++;
    }
  }
  return count ? sum / count : NaN;
}

/** One task's labels and scores over a cohort's records; a null label means the record is not labelled for it. */
export interface TaskColumn {
  task: string;
  labels: ArrayLike<number | boolean | null>;
  scores: Scores;
}

export interface MacroMetrics {
  /** Tasks averaged over: those with both classes among their labelled records. */
  tasks: string[];
  /** Tasks left out (no labels, or one class only), with why. */
  skipped: Array<{ task: string; reason: string }>;
  macroAuroc: number;
  macroAuprc: number;
  /** The paper's criteria score over `tasks` (Σ AUROC + Σ AUPRC), so it depends on how many tasks there are. */
  criteria: number;
  macroAurocCi: Interval;
  macroAuprcCi: Interval;
  criteriaCi: Interval;
  /** Resamples in which every task had both classes, and so entered the intervals. */
  used: number;
  resamples: number;
}

/**
 * Macro AUROC, macro AUPRC and the criteria score over tasks, with percentile-bootstrap CIs that resample the
 * records jointly (one resample draws records, and every task is scored on that same draw), so the intervals
 * keep the correlation between tasks. Point estimates are `auroc`/`averagePrecision` per task and `criteriaScore`.
 */
export function macroMetrics(columns: readonly TaskColumn[], options: BootstrapOptions = {}): MacroMetrics {
  const resamples = options.resamples ?? 1000;
  const alpha = options.alpha ?? 0.05;
  const n = columns[0]?.scores.length ?? 0;
  const skipped: MacroMetrics['skipped'] = [];
  const used: Array<{ task: string; ranking: Ranking; rows: Uint32Array; auroc: number; auprc: number }> = [];
  for (const c of columns) {
    if (c.labels.length !== n || c.scores.length !== n) throw new Error(`task ${c.task}: ${c.labels.length} labels and ${c.scores.length} scores for ${n} records`);
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (c.labels[i] !== null && c.labels[i] !== undefined) rows.push(i);
    const y = rows.map((i) => c.labels[i] as number | boolean);
    const s = rows.map((i) => c.scores[i] as number);
    const ranking = rank(y, s);
    const counts = groupCounts(ranking);
    if (rows.length === 0) skipped.push({ task: c.task, reason: 'no labelled records' });
    else if (counts.totalPos === 0 || counts.totalNeg === 0) skipped.push({ task: c.task, reason: `only ${counts.totalPos ? 'positive' : 'negative'} labels` });
    else used.push({ task: c.task, ranking, rows: Uint32Array.from(rows), auroc: aurocFromCounts(counts), auprc: apFromCounts(counts) });
  }
  const nanCi: Interval = [NaN, NaN];
  if (used.length === 0) {
    return { tasks: [], skipped, macroAuroc: NaN, macroAuprc: NaN, criteria: NaN, macroAurocCi: nanCi, macroAuprcCi: nanCi, criteriaCi: nanCi, used: 0, resamples };
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const rng = createRng(options.seed ?? 0);
  const weight = new Float64Array(n);
  const local = used.map((u) => new Float64Array(u.rows.length));
  const aurocs: number[] = [];
  const aps: number[] = [];
  const crit: number[] = [];
  for (let b = 0; b < resamples; b++) {
    weight.fill(0);
    for (let k = 0; k < n; k++) {
      const i = Math.floor(rng() * n);
      weight[i] = (weight[i] as number) + 1;
    }
    let sumA = 0;
    let sumP = 0;
    let ok = true;
    for (let t = 0; t < used.length && ok; t++) {
      const u = used[t]!;
      const w = local[t]!;
      for (let k = 0; k < u.rows.length; k++) w[k] = weight[u.rows[k] as number] as number;
      const c = groupCounts(u.ranking, w);
      if (c.totalPos === 0 || c.totalNeg === 0) ok = false;
      else {
        sumA += aurocFromCounts(c);
        sumP += apFromCounts(c);
      }
    }
    if (!ok) continue;
    aurocs.push(sumA / used.length);
    aps.push(sumP / used.length);
    crit.push(sumA + sumP);
  }
  const interval = (v: number[]): Interval => {
    v.sort((a, b) => a - b);
    return [percentile(v, alpha / 2), percentile(v, 1 - alpha / 2)];
  };
  return {
    tasks: used.map((u) => u.task),
    skipped,
    macroAuroc: mean(used.map((u) => u.auroc)),
    macroAuprc: mean(used.map((u) => u.auprc)),
    criteria: criteriaScore(used),
    macroAurocCi: interval(aurocs),
    macroAuprcCi: interval(aps),
    criteriaCi: interval(crit),
    used: aurocs.length,
    resamples,
  };
}
