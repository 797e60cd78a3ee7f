/**
 * Batches of standardised ECGs and labels for downstream training. Fine-tuning reads the same records every
 * epoch, so signals are kept in memory up to a budget; past it they are re-read from the dataset cache.
 */
import { tf } from '../compute/tf.js';
import { ECG_SIZE, N_LEADS, TARGET_SAMPLES, type CachedDataset } from '../data/types.js';
import { labelOf } from './splits.js';

const DEFAULT_BUDGET_BYTES = 1024 * 1024 * 1024;

export class SignalSource {
  private readonly kept = new Map<number, Float32Array>();
  private keptBytes = 0;

  constructor(
    readonly dataset: CachedDataset,
    private readonly budgetBytes = DEFAULT_BUDGET_BYTES,
  ) {}

  /** Signals of `indices` as a [B, 12, 2500] tensor (the caller disposes it). */
  batch(indices: readonly number[]): tf.Tensor3D {
    const buf = new Float32Array(indices.length * ECG_SIZE);
    indices.forEach((i, k) => {
      const cached = this.kept.get(i);
      const view = buf.subarray(k * ECG_SIZE, (k + 1) * ECG_SIZE);
      if (cached) view.set(cached);
      else {
        this.dataset.readSignal(i, view);
        if (this.keptBytes + ECG_SIZE * 4 <= this.budgetBytes) {
          this.kept.set(i, view.slice());
          this.keptBytes += ECG_SIZE * 4;
        }
      }
    });
    return tf.tensor3d(buf, [indices.length, N_LEADS, TARGET_SAMPLES]);
  }
}

/** Labels of `indices` as a [B, T] float tensor of 0/1 (the caller disposes it). */
export function labelTensor(ds: CachedDataset, indices: readonly number[], tasks: readonly string[]): tf.Tensor2D {
  const y = new Float32Array(indices.length * tasks.length);
  indices.forEach((i, k) => tasks.forEach((t, j) => (y[k * tasks.length + j] = labelOf(ds, i, t) ? 1 : 0)));
  return tf.tensor2d(y, [indices.length, tasks.length]);
}

/** Per-task 0/1 label vectors for `indices`. */
export function labelVectors(ds: CachedDataset, indices: readonly number[], tasks: readonly string[]): Uint8Array[] {
  return tasks.map((t) => Uint8Array.from(indices, (i) => (labelOf(ds, i, t) ? 1 : 0)));
}

/** Consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < items.length; k += size) out.push(items.slice(k, k + size));
  return out;
}
