/** Patch extraction in plain arrays: cheaper than tensor ops for constant inputs, and exact. */
import { ECG_SIZE, N_LEADS, TARGET_SAMPLES } from '../data/types.js';

/**
 * B standardised ECGs (lead-major, 12 × 2500 each) → [B, n, 12·P] with n = floor(2500/P); the trailing samples are
 * cropped. Each patch is lead-major (12 rows of P samples), matching `patchifyTensor`.
 */
export function patchify(signals: Float32Array, batch: number, patch: number): Float32Array {
  if (signals.length < batch * ECG_SIZE) throw new Error(`patchify: ${signals.length} floats is less than ${batch} ECGs`);
  const n = Math.floor(TARGET_SAMPLES / patch);
  const width = N_LEADS * patch;
  const out = new Float32Array(batch * n * width);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < n; t++) {
      const dst = (b * n + t) * width;
      for (let l = 0; l < N_LEADS; l++) {
        const src = b * ECG_SIZE + l * TARGET_SAMPLES + t * patch;
        out.set(signals.subarray(src, src + patch), dst + l * patch);
      }
    }
  }
  return out;
}
