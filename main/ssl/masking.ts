/**
 * Random patch masking (GL/HL) without gather: every ECG of a batch keeps the same number of visible patches,
 * so the visible ones form a dense [B·m, 12·P] block built in plain arrays, and positions are picked and
 * restored by one-hot matrices through plain matMuls, which have fast kernels and gradients on every backend.
 */
import type { Rng } from './rng.js';

export interface MaskPlan {
  batch: number;
  /** Patches per ECG (n). */
  tokens: number;
  /** Visible patches per ECG (m). */
  visible: number;
  /** [B, m] visible patch indices, ascending per ECG. */
  keep: Int32Array;
  /** [B, n]: 1 where masked. */
  masked: Float32Array;
}

/** Patches masked out of n for a ratio: round(ratio·n), leaving at least one visible. */
export function maskedCount(tokens: number, ratio: number): number {
  if (!(ratio >= 0 && ratio < 1)) throw new Error(`Mask ratio must be in [0, 1), got ${ratio}`);
  return Math.min(tokens - 1, Math.round(ratio * tokens));
}

export function sampleMask(rng: Rng, batch: number, tokens: number, ratio: number): MaskPlan {
  const visible = tokens - maskedCount(tokens, ratio);
  const keep = new Int32Array(batch * visible);
  const masked = new Float32Array(batch * tokens).fill(1);
  for (let b = 0; b < batch; b++) {
    const chosen = rng.permutation(tokens).slice(0, visible).sort((x, y) => x - y);
    chosen.forEach((t, k) => {
      keep[b * visible + k] = t;
      masked[b * tokens + t] = 0;
    });
  }
  return { batch, tokens, visible, keep, masked };
}

/** Visible rows of patches [B, n, W] → [B·m, W]. */
export function selectVisible(patches: Float32Array, plan: MaskPlan, width: number): Float32Array {
  const out = new Float32Array(plan.batch * plan.visible * width);
  for (let b = 0; b < plan.batch; b++) {
    for (let k = 0; k < plan.visible; k++) {
      const t = plan.keep[b * plan.visible + k]!;
      const src = (b * plan.tokens + t) * width;
      out.set(patches.subarray(src, src + width), (b * plan.visible + k) * width);
    }
  }
  return out;
}

/** [B·m, n] one-hot: position of each visible token (times the position table gives its embedding). */
export function positionSelector(plan: MaskPlan): Float32Array {
  const out = new Float32Array(plan.batch * plan.visible * plan.tokens);
  for (let r = 0; r < plan.batch * plan.visible; r++) out[r * plan.tokens + plan.keep[r]!] = 1;
  return out;
}

/** [B, n, m] one-hot: puts the m visible tokens back at their positions (masked rows stay zero). */
export function unshuffleMatrix(plan: MaskPlan): Float32Array {
  const { batch, tokens: n, visible: m } = plan;
  const out = new Float32Array(batch * n * m);
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < m; k++) out[(b * n + plan.keep[b * m + k]!) * m + k] = 1;
  }
  return out;
}
