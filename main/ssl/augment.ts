/**
 * ECG augmentations for contrastive views, applied in plain arrays with the seeded PRNG (deterministic, resumable).
 * Each can be switched off by setting its strength to 0.
 */
import { ECG_SIZE, N_LEADS, TARGET_FS, TARGET_SAMPLES } from '../data/types.js';
import type { Rng } from './rng.js';

export interface AugmentConfig {
  /** Random time shift up to this fraction of the record, either way; the gap is zero-filled. */
  shift: number;
  /** Random crop: keep a window of at least this fraction, zero the rest (0 = off, 1 = off). */
  cropMin: number;
  /** Amplitude scaling factor drawn from [1 − scale, 1 + scale]. */
  scale: number;
  /** Gaussian noise standard deviation, mV. */
  noise: number;
  /** Baseline wander: a sinusoid per lead up to this amplitude (mV), below `wanderHz`. */
  wander: number;
  wanderHz: number;
  /** Probability of zeroing each lead (at least one lead always survives). */
  leadDropout: number;
}

export const DEFAULT_AUGMENT: AugmentConfig = {
  shift: 0.1,
  cropMin: 0,
  scale: 0.2,
  noise: 0.02,
  wander: 0.1,
  wanderHz: 0.5,
  leadDropout: 0.1,
};

/** One augmented view of one ECG (12 × 2500, lead-major) into `out`. */
export function augmentEcg(src: Float32Array, out: Float32Array, cfg: AugmentConfig, rng: Rng): void {
  const T = TARGET_SAMPLES;
  const shift = cfg.shift > 0 ? Math.round(rng.uniform(-cfg.shift, cfg.shift) * T) : 0;
  let lo = 0;
  let hi = T;
  if (cfg.cropMin > 0 && cfg.cropMin < 1) {
    const len = Math.round(rng.uniform(cfg.cropMin, 1) * T);
    lo = rng.int(T - len + 1);
    hi = lo + len;
  }
  const gain = cfg.scale > 0 ? rng.uniform(1 - cfg.scale, 1 + cfg.scale) : 1;
  const dropped: boolean[] = [];
  for (let l = 0; l < N_LEADS; l++) dropped.push(cfg.leadDropout > 0 && rng.next() < cfg.leadDropout);
  if (dropped.every(Boolean)) dropped[rng.int(N_LEADS)] = false;
  for (let l = 0; l < N_LEADS; l++) {
    const amp = cfg.wander > 0 ? rng.uniform(0, cfg.wander) : 0;
    const hz = amp > 0 ? rng.uniform(0.05, Math.max(0.05, cfg.wanderHz)) : 0;
    const phase = amp > 0 ? rng.uniform(0, 2 * Math.PI) : 0;
    const w = (2 * Math.PI * hz) / TARGET_FS;
    const base = l * T;
    for (let t = 0; t < T; t++) {
      const s = t - shift;
      let v = !dropped[l] && s >= 0 && s < T && t >= lo && t < hi ? src[base + s]! * gain : 0;
      if (!dropped[l]) {
        if (amp > 0) v += amp * Math.sin(w * t + phase);
        if (cfg.noise > 0) v += cfg.noise * rng.normal();
      }
      out[base + t] = v;
    }
  }
}

/** Augmented views of a batch (B × 12 × 2500). */
export function augmentBatch(signals: Float32Array, batch: number, cfg: AugmentConfig, rng: Rng): Float32Array {
  const out = new Float32Array(batch * ECG_SIZE);
  for (let b = 0; b < batch; b++) {
    augmentEcg(signals.subarray(b * ECG_SIZE, (b + 1) * ECG_SIZE), out.subarray(b * ECG_SIZE, (b + 1) * ECG_SIZE), cfg, rng);
  }
  return out;
}
