/**
 * Clinical read-outs on top of the evaluation metrics: operating points chosen for a clinical goal, the confusion
 * matrix and its rates at a threshold (with Wilson 95 % intervals), calibration (reliability diagram, Brier, ECE)
 * and subgroups by age band and sex. A score ≥ threshold is a positive call, as everywhere in the project.
 */
import { confusionAt, rocCurve, toBinary, type Confusion, type Labels, type Scores } from '../evaluation/metrics.js';

export type OperatingRule =
  | { kind: 'sensitivity'; target: number }
  | { kind: 'specificity'; target: number }
  | { kind: 'youden' }
  | { kind: 'fixed'; threshold: number };

export function describeRule(rule: OperatingRule): string {
  switch (rule.kind) {
    case 'sensitivity': return `sensitivity ≥ ${rule.target}`;
    case 'specificity': return `specificity ≥ ${rule.target}`;
    case 'youden': return 'maximum Youden index';
    case 'fixed': return `fixed threshold ${rule.threshold}`;
  }
}

export function checkRule(rule: OperatingRule): OperatingRule {
  if ((rule.kind === 'sensitivity' || rule.kind === 'specificity') && !(rule.target > 0 && rule.target <= 1)) {
    throw new Error(`target ${rule.kind} must lie in (0, 1], got ${rule.target}`);
  }
  if (rule.kind === 'fixed' && !Number.isFinite(rule.threshold)) throw new Error(`threshold must be a number, got ${rule.threshold}`);
  return rule;
}

/** A threshold just above every score, for "call nothing positive". */
function aboveAll(maxScore: number): number {
  return maxScore + Math.max(1e-9, Math.abs(maxScore) * 1e-7);
}

/**
 * The threshold meeting `rule` on labelled (calibration) scores. Candidates are the distinct scores:
 * target sensitivity → the highest threshold reaching it; target specificity → the lowest threshold keeping it;
 * Youden → the one maximising sensitivity + specificity − 1 (highest threshold among ties).
 */
export function chooseThreshold(labels: Labels, scores: Scores, rule: OperatingRule): number {
  checkRule(rule);
  if (rule.kind === 'fixed') return rule.threshold;
  const y = toBinary(labels);
  const pos = y.reduce((a, b) => a + b, 0);
  if (pos === 0 || pos === y.length) {
    throw new Error(`cannot choose a threshold for ${describeRule(rule)}: the calibration labels have only one class`);
  }
  const roc = rocCurve(y, scores);
  const top = aboveAll(roc.thresholds[1] as number);
  const at = (k: number) => (k === 0 ? top : (roc.thresholds[k] as number));
  if (rule.kind === 'sensitivity') {
    const k = roc.tpr.findIndex((t) => t >= rule.target - 1e-12);
    return at(k < 0 ? roc.tpr.length - 1 : k);
  }
  if (rule.kind === 'specificity') {
    let best = 0;
    for (let k = 0; k < roc.fpr.length; k++) if (1 - (roc.fpr[k] as number) >= rule.target - 1e-12) best = k;
    return at(best);
  }
  let best = 0;
  let bestJ = -Infinity;
  for (let k = 0; k < roc.fpr.length; k++) {
    const j = (roc.tpr[k] as number) - (roc.fpr[k] as number);
    if (j > bestJ + 1e-12) {
      bestJ = j;
      best = k;
    }
  }
  return at(best);
}

export type Interval = [number, number];

/** Wilson score interval for k successes in n trials (95 % by default); NaNs when n = 0. */
export function wilson(k: number, n: number, z = 1.959963984540054): Interval {
  if (n === 0) return [NaN, NaN];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

export interface OperatingPoint {
  threshold: number;
  rule: string;
  /** Where the threshold was chosen: the package's calibration split, a user calibration cohort, or this cohort. */
  chosenOn: string;
  confusion: Confusion;
  sensitivity: number;
  specificity: number;
  ppv: number;
  npv: number;
  sensitivityCi: Interval;
  specificityCi: Interval;
  ppvCi: Interval;
  npvCi: Interval;
}

const ratio = (a: number, b: number) => (b === 0 ? NaN : a / b);

export function operatingPoint(labels: Labels, scores: Scores, threshold: number, rule: string, chosenOn: string): OperatingPoint {
  const c = confusionAt(labels, scores, threshold);
  return {
    threshold,
    rule,
    chosenOn,
    confusion: c,
    sensitivity: ratio(c.tp, c.tp + c.fn),
    specificity: ratio(c.tn, c.tn + c.fp),
    ppv: ratio(c.tp, c.tp + c.fp),
    npv: ratio(c.tn, c.tn + c.fn),
    sensitivityCi: wilson(c.tp, c.tp + c.fn),
    specificityCi: wilson(c.tn, c.tn + c.fp),
    ppvCi: wilson(c.tp, c.tp + c.fp),
    npvCi: wilson(c.tn, c.tn + c.fn),
  };
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanScore: number;
  fractionPositive: number;
}

export interface Calibration {
  bins: ReliabilityBin[];
  brier: number;
  /** Expected calibration error: Σ (n_b / N)·|fraction positive − mean score| over equal-width bins. */
  ece: number;
}

export function calibration(labels: Labels, scores: Scores, binCount = 10): Calibration {
  const y = toBinary(labels);
  const n = y.length;
  const sum = new Float64Array(binCount);
  const pos = new Float64Array(binCount);
  const cnt = new Float64Array(binCount);
  let brier = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i] as number;
    if (!(s >= 0 && s <= 1)) throw new Error(`calibration needs probabilities in [0, 1]; score ${i} is ${s}`);
    brier += (s - (y[i] as number)) ** 2;
    const b = Math.min(binCount - 1, Math.floor(s * binCount));
    sum[b] = (sum[b] as number) + s;
    pos[b] = (pos[b] as number) + (y[i] as number);
    cnt[b] = (cnt[b] as number) + 1;
  }
  const bins: ReliabilityBin[] = [];
  let ece = 0;
  for (let b = 0; b < binCount; b++) {
    const c = cnt[b] as number;
    const meanScore = c ? (sum[b] as number) / c : NaN;
    const fractionPositive = c ? (pos[b] as number) / c : NaN;
    if (c) ece += (c / n) * Math.abs(fractionPositive - meanScore);
    bins.push({ lower: b / binCount, upper: (b + 1) / binCount, count: c, meanScore, fractionPositive });
  }
  return { bins, brier: n ? brier / n : NaN, ece: n ? ece : NaN };
}

export const AGE_BANDS = ['<40', '40–59', '60–79', '≥80'] as const;

/** Age band of a recorded age; null when absent or implausible. */
export function ageBand(age: unknown): string | null {
  const a = typeof age === 'number' ? age : typeof age === 'string' && age.trim() !== '' ? Number(age) : NaN;
  if (!Number.isFinite(a) || a < 0 || a > 400) return null;
  if (a < 40) return '<40';
  if (a < 60) return '40–59';
  if (a < 80) return '60–79';
  return '≥80'; // PTB-XL codes ages over 89 as 300.
}

/** Sex as recorded: M/F strings, or PTB-XL's 0 = male, 1 = female. */
export function sexGroup(sex: unknown): string | null {
  if (sex === null || sex === undefined || sex === '') return null;
  const s = String(sex).trim().toLowerCase();
  if (s === 'm' || s === 'male' || s === '0') return 'male';
  if (s === 'f' || s === 'female' || s === '1') return 'female';
  return null;
}
