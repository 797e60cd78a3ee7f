/** Small pure helpers the analysis pages share (kept out of components so tests can call them). */
import type { CellView, SimulationView } from '../../../contract/api.js';

export type CellMetric = 'auroc' | 'auprc' | 'criteria' | 'loss';
export const CELL_METRIC_LABELS: Record<CellMetric, string> = { auroc: 'Mean AUROC', auprc: 'Mean AUPRC', criteria: 'Criteria (Σ AUROC + Σ AUPRC)', loss: 'Pre-training loss' };

/** "60, 125 250" → [60, 125, 250]; null when a part is not a positive integer. */
export function parseInts(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const xs = parts.map(Number);
  return parts.length && xs.every((x) => Number.isInteger(x) && x > 0) ? xs : null;
}

export function meanOf(xs: (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** One number per cell for the heatmaps and line charts. */
export function cellValue(cell: CellView, protocol: string, metric: CellMetric): number | null {
  if (metric === 'loss') return cell.loss;
  const s = cell.scores[protocol];
  if (!s) return null;
  if (metric === 'criteria') return s.criteria;
  return meanOf(Object.values(s[metric]));
}

/** What a heatmap cell without a value says: the paper marks OOM; we also say failed, running or pending. */
export function cellMark(cell: CellView): string {
  return cell.status === 'oom' ? 'OOM' : cell.status === 'failed' ? 'failed' : cell.status === 'succeeded' ? 'n/a' : cell.status;
}

export type SimMetric = 'criteria' | 'auroc' | 'auprc';

/** A simulation's line for one metric (task index for per-task metrics): points and ± sd bounds. */
export function simulationLine(v: SimulationView, metric: SimMetric, task: number): { x: number; mean: number | null; sd: number | null }[] {
  return v.rows.map((r) => {
    const s = metric === 'criteria' ? r.criteria : r[metric][task];
    return { x: r.percent, mean: s?.mean ?? null, sd: s?.sd ?? null };
  });
}
