/** One optimizer step: losses → gradients (plain-matMul backward) → optional global-norm clipping → AdamW. */
import { tf } from '../compute/tf.js';
import type { FoundationModel } from '../models/foundation.js';
import type { LossValues } from '../../contract/training.js';
import type { AdamW } from './adamw.js';
import type { PretrainConfig } from './config.js';
import { lossTensors, type PreparedStep } from './methods.js';

const PARTS = ['recon', 'patient', 'sample'] as const;

export function trainStep(model: FoundationModel, optimizer: AdamW, cfg: PretrainConfig, prepared: PreparedStep, vars: tf.Variable[]): LossValues {
  const kept: Partial<Record<(typeof PARTS)[number], tf.Scalar>> = {};
  const { value, grads } = tf.variableGrads(() => {
    const l = lossTensors(model, cfg, prepared);
    for (const k of PARTS) {
      const t = l[k];
      if (t) kept[k] = tf.keep(t);
    }
    return l.total;
  }, vars);
  if (cfg.clipNorm > 0) clipByGlobalNorm(grads, cfg.clipNorm);
  optimizer.applyGradients(grads);
  const out: LossValues = { total: value.dataSync()[0]! };
  for (const k of PARTS) {
    const t = kept[k];
    if (t) {
      out[k] = t.dataSync()[0]!;
      t.dispose();
    }
  }
  value.dispose();
  tf.dispose(Object.values(grads));
  return out;
}

/** Scale every gradient by min(1, maxNorm / ‖g‖₂) over all of them together, in place of the map's entries. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): void {
  const names = Object.keys(grads);
  const norm = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!))))).dataSync()[0]!);
  if (!(norm > maxNorm)) return;
  const scale = maxNorm / norm;
  for (const n of names) {
    const g = grads[n]!;
    grads[n] = tf.mul(g, scale);
    g.dispose();
  }
}
