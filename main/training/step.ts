/**
 * One optimizer step: losses → gradients (plain-matMul backward) → optional global-norm clipping → AdamW.
 * Values are read back asynchronously (the only way on webgpu), and the step runs under `guardGpu`, so a device
 * that runs out of memory fails the step with "GPU out of memory" instead of returning wrong numbers.
 */
import { tf } from '../compute/tf.js';
import { guardGpu } from '../compute/webgpu.js';
import type { FoundationModel } from '../models/foundation.js';
import type { LossValues } from '../../contract/training.js';
import type { AdamW } from './adamw.js';
import type { PretrainConfig } from './config.js';
import { lossTensors, type PreparedStep } from './methods.js';

const PARTS = ['recon', 'patient', 'sample'] as const;

export function trainStep(model: FoundationModel, optimizer: AdamW, cfg: PretrainConfig, prepared: PreparedStep, vars: tf.Variable[]): Promise<LossValues> {
  return guardGpu(() => step(optimizer, cfg, () => lossTensors(model, cfg, prepared), vars));
}

async function step(optimizer: AdamW, cfg: PretrainConfig, losses: () => ReturnType<typeof lossTensors>, vars: tf.Variable[]): Promise<LossValues> {
  const kept: Partial<Record<(typeof PARTS)[number], tf.Scalar>> = {};
  const { value, grads } = tf.variableGrads(() => {
    const l = losses();
    for (const k of PARTS) {
      const t = l[k];
      if (t) kept[k] = tf.keep(t);
    }
    return l.total;
  }, vars);
  try {
    if (cfg.clipNorm > 0) await clipByGlobalNorm(grads, cfg.clipNorm);
    optimizer.applyGradients(grads);
    const out: LossValues = { total: (await value.data())[0]! };
    for (const k of PARTS) {
      const t = kept[k];
      if (t) out[k] = (await t.data())[0]!;
    }
    return out;
  } finally {
    tf.dispose([value, ...Object.values(kept), ...Object.values(grads)]);
  }
}

/** Scale every gradient by min(1, maxNorm / ‖g‖₂) over all of them together, in place of the map's entries. */
export async function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): Promise<void> {
  const names = Object.keys(grads);
  const normT = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!))))));
  const norm = (await normT.data())[0]!;
  normT.dispose();
  if (!(norm > maxNorm)) return;
  const scale = maxNorm / norm;
  for (const n of names) {
    const g = grads[n]!;
    grads[n] = tf.mul(g, scale);
    g.dispose();
  }
}
