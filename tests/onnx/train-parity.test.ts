/**
 * One model, two engines: the ONNX Runtime step graphs against the tfjs engine on PTB-XL batches, for fine-tuning
 * and the three pre-training methods, on P250/D32/L1 and P125/D64/L2 with fixed seeds. The first step's loss terms
 * agree to 1e-5 relative and every weight's gradient to 1e-4 relative (max norm); a 50-step run's losses stay
 * within 1e-3.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { ECG_SIZE } from '../../main/data/types.js';
import { openDataset } from '../../main/data/registry.js';
import { labelOf } from '../../main/evaluation/splits.js';
import { LinearHead } from '../../main/evaluation/train.js';
import { FoundationModel } from '../../main/models/foundation.js';
import { finetuneVariables, layoutOf, modelVariables, stateFromTfjs, type NamedVariable } from '../../main/onnx/train/bridge.js';
import { OrtTrainer, type StepShape } from '../../main/onnx/train/engine.js';
import { finetuneFeeds, pretrainFeeds, pretrainSpec, type Feeds } from '../../main/onnx/train/feeds.js';
import { Rng } from '../../main/ssl/rng.js';
import { AdamW } from '../../main/training/adamw.js';
import { resolvePretrainConfig, type PretrainConfig } from '../../main/training/config.js';
import { lossTensors, prepareStep, type StepBatch } from '../../main/training/methods.js';
import { trainStep } from '../../main/training/step.js';
import type { LossValues } from '../../contract/training.js';
import { patientRichSubset, ptbxlWorkspace } from '../training/ptbxl.js';

process.env.ECGFM_THREADS ??= '1';

const SHAPES = [
  { patch: 250, dim: 32, depth: 1 },
  { patch: 125, dim: 64, depth: 2 },
] as const;
const TASKS = ['MI', 'STTC', 'CD', 'HYP'];
const B = 8;
const STEPS = 50;

interface LabelledBatch extends StepBatch {
  labels: Float32Array;
}

let batches: LabelledBatch[] = [];

/** Per weight: max |Δg| / max |g_tfjs|; the worst over all weights. */
function worstGradient(vars: NamedVariable[], tfGrads: tf.NamedTensorMap, flat: Float32Array): number {
  let worst = 0;
  const layout = layoutOf(vars);
  vars.forEach((v, i) => {
    const e = layout.entries[i]!;
    const want = tfGrads[v.variable.name]!.dataSync();
    let scale = 0;
    let diff = 0;
    for (let k = 0; k < e.size; k++) {
      scale = Math.max(scale, Math.abs(want[k]!));
      diff = Math.max(diff, Math.abs(want[k]! - flat[e.offset + k]!));
    }
    worst = Math.max(worst, scale > 0 ? diff / scale : diff);
  });
  return worst;
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

function expectTermsClose(ort: Record<string, number>, tfjs: LossValues, tol: number, absolute = false): void {
  const close = (a: number, b: number) => (absolute ? Math.abs(a - b) / Math.max(1, Math.abs(b)) : rel(a, b));
  expect(close(ort.loss!, tfjs.total)).toBeLessThan(tol);
  for (const k of ['recon', 'sample', 'patient'] as const) {
    if (tfjs[k] !== undefined) expect(close(ort[k]!, tfjs[k])).toBeLessThan(tol);
  }
}

function pretrainConfig(method: 'gl' | 'cl' | 'hl', model: (typeof SHAPES)[number]): PretrainConfig {
  // HL also exercises gradient clipping; lr 1e-3 moves the weights enough for the 50 steps to mean something.
  return resolvePretrainConfig({ method, dataset: 'ptbxl', model, batchSize: B, seed: 11, lr: 1e-3, clipNorm: method === 'hl' ? 0.5 : 0 });
}

describe('ONNX Runtime training engine against tfjs', () => {
  beforeAll(async () => {
    await initBackend();
    await ptbxlWorkspace('ecgfm-ort-parity-');
    const ds = openDataset('ptbxl');
    const subset = patientRichSubset(4 * B);
    batches = [0, 1, 2, 3].map((k) => {
      const rows = subset.slice(k * B, (k + 1) * B);
      const signals = new Float32Array(B * ECG_SIZE);
      rows.forEach((r, i) => ds.readSignal(r, signals.subarray(i * ECG_SIZE, (i + 1) * ECG_SIZE)));
      const labels = Float32Array.from(rows.flatMap((r) => TASKS.map((t) => (labelOf(ds, r, t) ? 1 : 0))));
      return { signals, size: B, patientIds: rows.map((r) => ds.meta(r).patientId), labels };
    });
    // The patient-level term needs a batch with a repeated patient.
    expect(batches.some((b) => new Set(b.patientIds).size < b.size)).toBe(true);
  });

  describe.each(SHAPES)('P$patch/D$dim/L$depth', (shape) => {
    it.each(['gl', 'cl', 'hl'] as const)('%s: first-step losses and gradients, then 50 steps', async (method) => {
      const cfg = pretrainConfig(method, shape);
      const parts = { decoder: method !== 'cl', head: method !== 'gl' };
      const tfModel = new FoundationModel(cfg.model, cfg.seed, parts);
      const tfOpt = new AdamW({ learningRate: cfg.lr, weightDecay: cfg.weightDecay });
      const vars = modelVariables(tfModel);
      const layout = layoutOf(vars);
      const trainer = await OrtTrainer.create(layout, await stateFromTfjs(vars, layout, tfOpt), { weightDecay: cfg.weightDecay });
      const rng = new Rng(cfg.seed);
      try {
        for (let step = 0; step < STEPS; step++) {
          const batch = batches[step % batches.length]!;
          const prepared = prepareStep(cfg, batch, rng);
          const { feeds } = pretrainFeeds(cfg, prepared);
          const spec = pretrainSpec(cfg, prepared);
          if (step === 0) {
            const kept: Partial<Record<'recon' | 'sample' | 'patient', tf.Scalar>> = {};
            const { value, grads } = tf.variableGrads(() => {
              const l = lossTensors(tfModel, cfg, prepared);
              for (const k of ['recon', 'sample', 'patient'] as const) if (l[k]) kept[k] = tf.keep(l[k]);
              return l.total;
            }, vars.map((v) => v.variable));
            const want: LossValues = { total: value.dataSync()[0]! };
            for (const k of ['recon', 'sample', 'patient'] as const) if (kept[k]) want[k] = kept[k].dataSync()[0]!;
            const got = await trainer.gradients(spec, feeds);
            expectTermsClose(got.losses, want, 1e-5);
            if (method !== 'gl') expect(want.patient).toBeGreaterThan(0);
            expect(worstGradient(vars, grads, got.grad)).toBeLessThan(1e-4);
            tf.dispose([value, ...Object.values(grads), ...Object.values(kept)]);
          }
          const want = await trainStep(tfModel, tfOpt, cfg, prepared, vars.map((v) => v.variable));
          const got = await trainer.train(spec, feeds, cfg.lr);
          expectTermsClose(got, want, 1e-3, true);
        }
        expect(trainer.step).toBe(STEPS);
      } finally {
        await trainer.release();
        tfModel.dispose();
        tfOpt.dispose();
      }
    }, 300_000);

    it('fine-tuning: first-step loss and gradients, then 50 steps', async () => {
      const config = pretrainConfig('gl', shape).model;
      const encoder = new FoundationModel(config, 5, { decoder: false, head: false });
      const head = new LinearHead(config.dim, TASKS.length, 5);
      const opt = new AdamW({ learningRate: 1e-3, weightDecay: 1e-5 });
      const vars = finetuneVariables(encoder, head);
      const layout = layoutOf(vars);
      const trainer = await OrtTrainer.create(layout, await stateFromTfjs(vars, layout, opt), { weightDecay: 1e-5 });
      const spec: StepShape = { kind: 'finetune', config, batch: B, tasks: TASKS.length };
      try {
        for (let step = 0; step < STEPS; step++) {
          const batch = batches[step % batches.length]!;
          const x = tf.tensor3d(batch.signals, [B, 12, 2500]);
          const y = tf.tensor2d(batch.labels, [B, TASKS.length]);
          const loss = (): tf.Scalar => tf.losses.sigmoidCrossEntropy(y, head.logits(encoder.embed(x))) as tf.Scalar;
          const feeds: Feeds = finetuneFeeds(batch.signals, B, config.patch, batch.labels, TASKS.length);
          if (step === 0) {
            const { value, grads } = tf.variableGrads(loss, vars.map((v) => v.variable));
            const got = await trainer.gradients(spec, feeds);
            expect(rel(got.losses.loss!, value.dataSync()[0]!)).toBeLessThan(1e-5);
            expect(worstGradient(vars, grads, got.grad)).toBeLessThan(1e-4);
            tf.dispose([value, ...Object.values(grads)]);
          }
          const want = opt.minimize(loss, true, vars.map((v) => v.variable))!;
          const got = await trainer.train(spec, feeds, 1e-3);
          expect(Math.abs(got.loss! - want.dataSync()[0]!)).toBeLessThan(1e-3);
          tf.dispose([want, x, y]);
        }
      } finally {
        await trainer.release();
        encoder.dispose();
        head.dispose();
        opt.dispose();
      }
    }, 300_000);
  });
});
