/**
 * The run folder's metrics.jsonl, read in one place: one JSON line per logged step, `{ step, epoch, lr, total,
 * recon?, patient?, sample? }` as pretrain.ts writes it, with `val_total, val_recon?, val_patient?, val_sample?` and
 * `ln_batch` (the InfoNCE chance level) on the steps where validation batches were evaluated (and a line at step 0
 * with those alone). Lines are validated (a line cut by a kill, or one that is
 * not ours, is skipped), never cast.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

export const TRAIN_LOSS_NAMES = ['total', 'recon', 'patient', 'sample'] as const;
export const VALIDATION_LOSS_NAMES = ['val_total', 'val_recon', 'val_patient', 'val_sample'] as const;
/** Every series of a line; ln_batch rides along so that a chart can draw the chance level beside the curves. */
export const LOSS_NAMES = [...TRAIN_LOSS_NAMES, ...VALIDATION_LOSS_NAMES, 'ln_batch'] as const;

const finite = z.number().refine(Number.isFinite);
const lineSchema = z
  .object({
    step: z.number().int().min(0),
    epoch: z.number().optional(),
    lr: finite.optional(),
    total: finite.optional(),
    recon: finite.optional(),
    patient: finite.optional(),
    sample: finite.optional(),
    val_total: finite.optional(),
    val_recon: finite.optional(),
    val_patient: finite.optional(),
    val_sample: finite.optional(),
    ln_batch: finite.optional(),
    loss: finite.optional(),
  })
  .passthrough();

export interface MetricLine {
  step: number;
  epoch: number;
  lr: number | null;
  /** Loss components present on that line. */
  losses: Record<string, number>;
}

export function parseMetricLine(text: string): MetricLine | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const r = lineSchema.safeParse(raw);
  if (!r.success) return null;
  const losses: Record<string, number> = {};
  for (const k of LOSS_NAMES) if (r.data[k] !== undefined) losses[k] = r.data[k];
  if (losses.total === undefined && r.data.loss !== undefined) losses.total = r.data.loss;
  return { step: r.data.step, epoch: r.data.epoch ?? 0, lr: r.data.lr ?? null, losses };
}

/** The lines after `sinceStep`, in file order. */
export function readMetricsFile(path: string, sinceStep = -1): MetricLine[] {
  if (!existsSync(path)) return [];
  const out: MetricLine[] = [];
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    const line = parseMetricLine(text);
    if (line && line.step > sinceStep) out.push(line);
  }
  return out;
}

/** A line as store points: one per loss component plus the learning rate. */
export function metricPoints(line: Pick<MetricLine, 'step' | 'lr' | 'losses'>): { name: string; step: number; value: number }[] {
  const out = Object.entries(line.losses).map(([name, value]) => ({ name, step: line.step, value }));
  if (line.lr !== null) out.push({ name: 'lr', step: line.step, value: line.lr });
  return out;
}
