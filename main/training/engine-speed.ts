/**
 * Step and inference rates of both engines on synthetic ECGs: what `--engine auto` measures (once per machine and
 * model shape) and what bench/train.ts prints.
 */
import { tf } from '../compute/tf.js';
import { ECG_SIZE } from '../data/types.js';
import { LinearHead } from '../evaluation/train.js';
import { FoundationModel } from '../models/foundation.js';
import type { VitConfig } from '../models/types.js';
import { finetuneVariables, flatten, layoutOf, modelVariables, stateFromTfjs } from '../onnx/train/bridge.js';
import { OrtEncoder, OrtTrainer } from '../onnx/train/engine.js';
import { finetuneFeeds } from '../onnx/train/feeds.js';
import type { StepKind } from '../onnx/train/step.js';
import { Rng } from '../ssl/rng.js';
import { AdamW } from './adamw.js';
import { resolvePretrainConfig } from './config.js';
import { createPretrainStepper } from './engine.js';
import { prepareStep } from './methods.js';

export function syntheticEcgs(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * ECG_SIZE }, (_, i) => Math.sin(i / 25) + 0.1 * rng.normal());
}

async function timed(steps: number, batch: number, run: () => Promise<unknown>): Promise<number> {
  await run(); // builds kernels / sessions and moments
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) await run();
  return (batch * steps * 1000) / (performance.now() - t0);
}

/** Training samples per second of one engine for one kind of step. */
export async function measureStepRate(engine: 'tfjs' | 'ort', kind: StepKind, model: VitConfig, batch: number, steps: number): Promise<number> {
  const signals = syntheticEcgs(batch, 2);
  if (kind === 'finetune') {
    const encoder = new FoundationModel(model, 0, { decoder: false, head: false });
    const head = new LinearHead(model.dim, 4, 0);
    const opt = new AdamW();
    const labels = Float32Array.from({ length: batch * 4 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    try {
      if (engine === 'tfjs') {
        const x = tf.tensor3d(signals, [batch, 12, 2500]);
        const y = tf.tensor2d(labels, [batch, 4]);
        const vars = [...encoder.trainableVariables(), ...head.variables()];
        const sps = await timed(steps, batch, async () => {
          const loss = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, head.logits(encoder.embed(x))) as tf.Scalar, true, vars);
          await loss?.data();
          loss?.dispose();
        });
        tf.dispose([x, y]);
        return sps;
      }
      const vars = finetuneVariables(encoder, head);
      const layout = layoutOf(vars);
      const trainer = await OrtTrainer.create(layout, await stateFromTfjs(vars, layout, opt), { weightDecay: opt.weightDecay });
      const feeds = finetuneFeeds(signals, batch, model.patch, labels, 4);
      const sps = await timed(steps, batch, () => trainer.train({ kind, config: model, batch, tasks: 4 }, feeds, 1e-4));
      await trainer.release();
      return sps;
    } finally {
      encoder.dispose();
      head.dispose();
      opt.dispose();
    }
  }
  const cfg = resolvePretrainConfig({ method: kind, dataset: 'synthetic', model, batchSize: batch });
  const fm = new FoundationModel(cfg.model, 0, { decoder: kind !== 'cl', head: kind !== 'gl' });
  const opt = new AdamW();
  const stepper = await createPretrainStepper(engine, fm, opt, cfg);
  const rng = new Rng(1);
  const b = { signals, size: batch, patientIds: Array.from({ length: batch }, (_, i) => `p${i >> 1}`) };
  try {
    return await timed(steps, batch, () => stepper.step(prepareStep(cfg, b, rng), cfg.lr));
  } finally {
    await stepper.release();
    fm.dispose();
    opt.dispose();
  }
}

/** Embeddings per second of one engine (the encoder on all patches, no gradients). */
export async function measureInferRate(engine: 'tfjs' | 'ort', model: VitConfig, batch: number, steps: number): Promise<number> {
  const signals = syntheticEcgs(batch, 4);
  const encoder = new FoundationModel(model, 0, { decoder: false, head: false });
  try {
    if (engine === 'tfjs') {
      const x = tf.tensor3d(signals, [batch, 12, 2500]);
      const sps = await timed(steps, batch, async () => {
        const y = tf.tidy(() => encoder.embed(x));
        await y.data();
        y.dispose();
      });
      x.dispose();
      return sps;
    }
    const vars = modelVariables(encoder);
    const layout = layoutOf(vars);
    const ort = await OrtEncoder.create(model, layout, await flatten(vars, layout), { frozen: true });
    const sps = await timed(steps, batch, () => ort.run(signals, batch));
    await ort.release();
    return sps;
  } finally {
    encoder.dispose();
  }
}

