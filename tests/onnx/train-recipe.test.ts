/**
 * The recipe on both engines, on PTB-XL batches: one fine-tuning step with layer-wise learning-rate decay gives the
 * same weights on tfjs and ONNX Runtime, and each weight moved by its own multiplier (Adam's first step moves a
 * weight by about lr·scale); the forward-only validation losses of a pre-training batch agree and change nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { openDataset } from '../../main/data/registry.js';
import { ECG_SIZE } from '../../main/data/types.js';
import { labelOf } from '../../main/evaluation/splits.js';
import { layerScales, LinearHead } from '../../main/evaluation/train.js';
import { FoundationModel } from '../../main/models/foundation.js';
import { resolveVitConfig } from '../../main/models/vit.js';
import { finetuneVariables, layoutOf, modelVariables, stateFromTfjs } from '../../main/onnx/train/bridge.js';
import { OrtTrainer } from '../../main/onnx/train/engine.js';
import { finetuneFeeds } from '../../main/onnx/train/feeds.js';
import { Rng } from '../../main/ssl/rng.js';
import { AdamW } from '../../main/training/adamw.js';
import { resolvePretrainConfig } from '../../main/training/config.js';
import { createPretrainStepper } from '../../main/training/engine.js';
import { layerDecayScale } from '../../main/training/layer-decay.js';
import { prepareStep } from '../../main/training/methods.js';
import { patientRichSubset, ptbxlWorkspace } from '../training/ptbxl.js';

process.env.ECGFM_THREADS ??= '1';

const TASKS = ['MI', 'STTC', 'CD', 'HYP'];
const B = 8;
const MODEL = resolveVitConfig({ patch: 250, depth: 2, dim: 32 });
let signals = new Float32Array(0);
let labels = new Float32Array(0);
let patientIds: string[] = [];

describe('the recipe on tfjs and ONNX Runtime', () => {
  beforeAll(async () => {
    await initBackend();
    await ptbxlWorkspace('ecgfm-ort-recipe-');
    const ds = openDataset('ptbxl');
    const rows = patientRichSubset(B);
    signals = new Float32Array(B * ECG_SIZE);
    rows.forEach((r, i) => ds.readSignal(r, signals.subarray(i * ECG_SIZE, (i + 1) * ECG_SIZE)));
    labels = Float32Array.from(rows.flatMap((r) => TASKS.map((t) => (labelOf(ds, r, t) ? 1 : 0))));
    patientIds = rows.map((r) => ds.meta(r).patientId);
  });

  it('one fine-tuning step with layer-wise decay 0.5 gives the same weights, each moved by lr·its multiplier', async () => {
    const decay = 0.5;
    const lr = 1e-3;
    const encoder = new FoundationModel(MODEL, 5, { decoder: false, head: false });
    const head = new LinearHead(MODEL.dim, TASKS.length, 5);
    const opt = new AdamW({ learningRate: lr, weightDecay: 1e-5 });
    for (const [v, s] of layerScales(encoder, decay)) opt.lrScale.set(v.name, s);
    const vars = finetuneVariables(encoder, head);
    const layout = layoutOf(vars);
    const lrScale = new Float32Array(layout.total);
    for (const e of layout.entries) lrScale.fill(layerDecayScale(e.name, MODEL.depth, decay), e.offset, e.offset + e.size);
    const before = (await stateFromTfjs(vars, layout, opt)).theta;
    const trainer = await OrtTrainer.create(layout, await stateFromTfjs(vars, layout, opt), { weightDecay: 1e-5, lrScale });
    try {
      const x = tf.tensor3d(signals, [B, 12, 2500]);
      const y = tf.tensor2d(labels, [B, TASKS.length]);
      const want = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, head.logits(encoder.embed(x))) as tf.Scalar, true, vars.map((v) => v.variable))!;
      const got = await trainer.train({ kind: 'finetune', config: encoder.config, batch: B, tasks: TASKS.length }, finetuneFeeds(signals, B, MODEL.patch, labels, TASKS.length), lr);
      expect(Math.abs(got.loss! - want.dataSync()[0]!)).toBeLessThan(1e-5);
      tf.dispose([want, x, y]);
      const after = (await stateFromTfjs(vars, layout, opt)).theta;
      const moved: Record<string, number> = {};
      for (const e of layout.entries) {
        let gap = 0;
        let far = 0;
        let step = 0;
        const rate = lr * layerDecayScale(e.name, MODEL.depth, decay);
        // The key bias has no gradient (softmax ignores a shift shared by all keys): both engines' "gradient" there is
        // float32 noise that Adam's first step scales to ±lr, so it is left out of the comparison.
        const keyBias = e.name.endsWith('attn.qkv.b') ? [e.offset + MODEL.dim, e.offset + 2 * MODEL.dim] : [0, 0];
        for (let k = e.offset; k < e.offset + e.size; k++) {
          if (k >= keyBias[0]! && k < keyBias[1]!) continue;
          const d = Math.abs(after[k]! - trainer.theta[k]!);
          gap += d;
          // Adam's first step is g/(|g|+ε): where |g| is near ε, float32 gradient noise flips a part of the step.
          if (d > 0.05 * rate) far++;
          step = Math.max(step, Math.abs(after[k]! - before[k]!));
        }
        expect(gap / e.size / rate, `${e.name}: mean gap between the engines' weights, in steps`).toBeLessThan(1e-3);
        expect(far / e.size, `${e.name}: weights whose engines differ by 5 % of a step`).toBeLessThan(0.01);
        moved[e.name] = step;
      }
      // Adam's first update is ±lr·scale wherever the gradient is not tiny: the largest move of each weight shows its rate.
      const expectMove = (name: string, scale: number) => expect(moved[name]! / (lr * scale), name).toBeCloseTo(1, 2);
      expectMove('enc.patch.w', decay ** 3);
      expectMove('enc.blocks.0.mlp.fc1.w', decay ** 2);
      expectMove('enc.blocks.1.mlp.fc1.w', decay);
      expectMove('head.w', 1);
    } finally {
      await trainer.release();
      encoder.dispose();
      head.dispose();
      opt.dispose();
    }
  }, 120_000);

  it('validation losses of an HL batch agree between engines and leave the weights as they were', async () => {
    const cfg = resolvePretrainConfig({ method: 'hl', dataset: 'ptbxl', model: MODEL, batchSize: B, seed: 3 });
    const prepared = prepareStep(cfg, { signals, size: B, patientIds }, new Rng(9));
    const values: Record<string, Record<string, number | undefined>> = {};
    for (const engine of ['tfjs', 'ort'] as const) {
      const model = new FoundationModel(cfg.model, cfg.seed, { decoder: true, head: true });
      const opt = new AdamW({ learningRate: cfg.lr, weightDecay: cfg.weightDecay });
      const stepper = await createPretrainStepper(engine, model, opt, cfg);
      try {
        const first = await stepper.evaluate(prepared);
        const again = await stepper.evaluate(prepared);
        expect(again).toEqual(first);
        values[engine] = { ...first };
        stepper.sync();
        const fresh = new FoundationModel(cfg.model, cfg.seed, { decoder: true, head: true });
        const a = modelVariables(model);
        const b = modelVariables(fresh);
        a.forEach((v, i) => expect(Array.from(v.variable.dataSync())).toEqual(Array.from(b[i]!.variable.dataSync())));
        fresh.dispose();
      } finally {
        await stepper.release();
        model.dispose();
        opt.dispose();
      }
    }
    expect(values.tfjs!.patient).toBeGreaterThan(0);
    for (const k of ['total', 'recon', 'sample', 'patient']) {
      expect(Math.abs(values.ort![k]! - values.tfjs![k]!) / Math.abs(values.tfjs![k]!), k).toBeLessThan(1e-5);
    }
  }, 120_000);
});
