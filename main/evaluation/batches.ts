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

  /**
   * Signals of `indices` as a [B, 12, 2500] tensor (the caller disposes it). With `augment`, each ECG is
   * rolled in time by up to ±1 s and scaled by 0.9–1.1: cheap label-preserving changes against overfitting
   * the few hundred labelled ECGs of a small fine-tuning set.
   */
  batch(indices: readonly number[], augment?: () => number): tf.Tensor3D {
    return tf.tensor3d(this.signals(indices, augment), [indices.length, N_LEADS, TARGET_SAMPLES]);
  }

  /** The same signals as `batch`, as a plain [B·12·2500] array (for the ONNX Runtime engine). */
  signals(indices: readonly number[], augment?: () => number): Float32Array {
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
    if (augment) augmentInPlace(buf, indices.length, augment);
    return buf;
  }
}

const MAX_SHIFT = 250;

function augmentInPlace(buf: Float32Array, count: number, rng: () => number): void {
  const row = new Float32Array(TARGET_SAMPLES);
  for (let k = 0; k < count; k++) {
    const shift = Math.floor(rng() * (2 * MAX_SHIFT + 1)) - MAX_SHIFT;
    const scale = 0.9 + 0.2 * rng();
    for (let lead = 0; lead < N_LEADS; lead++) {
      const at = k * ECG_SIZE + lead * TARGET_SAMPLES;
      const view = buf.subarray(at, at + TARGET_SAMPLES);
      for (let j = 0; j < TARGET_SAMPLES; j++) {
        row[(((j + shift) % TARGET_SAMPLES) + TARGET_SAMPLES) % TARGET_SAMPLES] = (view[j] as number) * scale;
      }
      view.set(row);
    }
  }
}

/** Labels of `indices` as a [B, T] float tensor of 0/1 (the caller disposes it). */
export function labelTensor(ds: CachedDataset, indices: readonly number[], tasks: readonly string[]): tf.Tensor2D {
  return tf.tensor2d(labelMatrix(ds, indices, tasks), [indices.length, tasks.length]);
}

/** Labels of `indices` as a row-major [B, T] array of 0/1. */
export function labelMatrix(ds: CachedDataset, indices: readonly number[], tasks: readonly string[]): Float32Array {
  const y = new Float32Array(indices.length * tasks.length);
  indices.forEach((i, k) => tasks.forEach((t, j) => (y[k * tasks.length + j] = labelOf(ds, i, t) ? 1 : 0)));
  return y;
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
