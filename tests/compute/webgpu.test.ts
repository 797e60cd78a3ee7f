/**
 * The webgpu backend (Dawn on CI's Mesa lavapipe) computes what wasm computes: one step of each pre-training
 * method and one fine-tuning step, losses to 1e-3 relative and every gradient to 1e-3 relative in the max norm;
 * AdamW's update agrees too, the tensor count stays flat, and a tensor too large for the adapter is an OOM error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendInfo } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { guardGpu } from '../../main/compute/webgpu.js';
import { ECG_SIZE, N_LEADS, TARGET_SAMPLES, type CachedDataset } from '../../main/data/types.js';
import { LinearHead } from '../../main/evaluation/train.js';
import { isOutOfMemory } from '../../main/experiments/study.js';
import { FoundationModel } from '../../main/models/foundation.js';
import { Rng } from '../../main/ssl/rng.js';
import { AdamW } from '../../main/training/adamw.js';
import { resolvePretrainConfig } from '../../main/training/config.js';
import { lossTensors, prepareStep, type PreparedStep } from '../../main/training/methods.js';
import { trainStep } from '../../main/training/step.js';
import type { SslMethod } from '../../contract/training.js';
import { ptbxlDataset } from '../helpers/ptbxl.js';

const B = 4;
const MODEL = { patch: 250, depth: 1, dim: 32 };
const LR = 1e-3;

interface StepResult {
  losses: Record<string, number>;
  grads: Map<string, Float32Array>;
  /** Weights after one AdamW step (clipping on). */
  updated: Map<string, Float32Array>;
}

async function read(named: Map<string, tf.Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of named) out.set(k, (await t.data()) as Float32Array);
  return out;
}

/** Gradients and the update of one pre-training step on `backend`, from the same seeded weights. */
async function pretrainStep(backend: string, method: SslMethod, prepared: PreparedStep): Promise<StepResult> {
  await tf.setBackend(backend);
  const cfg = resolvePretrainConfig({ method, dataset: 'ptbxl', model: MODEL, batchSize: B, clipNorm: 1 });
  const model = new FoundationModel(cfg.model, 11, { decoder: method !== 'cl', head: method !== 'gl' });
  const names = model.params.names();
  const vars = model.allVariables();
  try {
    const parts: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const l = lossTensors(model, cfg, prepared);
      for (const [k, t] of Object.entries(l)) if (t && k !== 'total') parts[k] = tf.keep(t);
      return l.total;
    }, vars);
    const losses: Record<string, number> = { total: (await value.data())[0]! };
    for (const [k, t] of Object.entries(parts)) losses[k] = (await t.data())[0]!;
    const g = await read(new Map(names.map((n, i) => [n, grads[vars[i]!.name]!])));
    tf.dispose([value, ...Object.values(parts), ...Object.values(grads)]);
    const opt = new AdamW({ learningRate: LR, weightDecay: 0.05 });
    await trainStep(model, opt, cfg, prepared, vars);
    const updated = await read(new Map(names.map((n, i) => [n, vars[i]!])));
    opt.dispose();
    return { losses, grads: g, updated };
  } finally {
    model.dispose();
  }
}

/** One fine-tuning step: encoder + logistic head, sigmoid cross-entropy on PTB-XL labels. */
async function finetuneStep(backend: string, signals: Float32Array, labels: Float32Array): Promise<StepResult> {
  await tf.setBackend(backend);
  const cfg = resolvePretrainConfig({ method: 'hl', dataset: 'ptbxl', model: MODEL });
  const encoder = new FoundationModel(cfg.model, 5, { decoder: false, head: false });
  const head = new LinearHead(MODEL.dim, 2, 3);
  const vars = [...encoder.trainableVariables(), ...head.variables()];
  const names = [...encoder.params.names().filter((n) => n.startsWith('enc.')), 'head.w', 'head.b'];
  const x = tf.tensor3d(signals, [B, N_LEADS, TARGET_SAMPLES]);
  const y = tf.tensor2d(labels, [B, 2]);
  try {
    const loss = () => tf.losses.sigmoidCrossEntropy(y, head.logits(encoder.embed(x))) as tf.Scalar;
    const { value, grads } = tf.variableGrads(loss, vars);
    const losses = { total: (await value.data())[0]! };
    const g = await read(new Map(names.map((n, i) => [n, grads[vars[i]!.name]!])));
    tf.dispose([value, ...Object.values(grads)]);
    const opt = new AdamW({ learningRate: LR, weightDecay: 1e-5 });
    const l = opt.minimize(loss, true, vars);
    await l?.data();
    l?.dispose();
    const updated = await read(new Map(names.map((n, i) => [n, vars[i]!])));
    opt.dispose();
    return { losses, grads: g, updated };
  } finally {
    tf.dispose([x, y]);
    encoder.dispose();
    head.dispose();
  }
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function expectSame(gpu: StepResult, ref: StepResult): void {
  expect(Object.keys(gpu.losses).sort()).toEqual(Object.keys(ref.losses).sort());
  for (const [k, v] of Object.entries(ref.losses)) {
    expect(Math.abs(gpu.losses[k]! - v) / Math.max(Math.abs(v), 1e-6), `loss ${k}`).toBeLessThan(1e-3);
  }
  expect([...gpu.grads.keys()]).toEqual([...ref.grads.keys()]);
  for (const [name, g] of ref.grads) {
    // Relative in the max norm; an all-zero gradient (e.g. a bias behind a masked token) must stay zero.
    const scale = Math.max(maxAbs(g), 1e-7);
    expect(maxDiff(gpu.grads.get(name)!, g) / scale, `gradient of ${name}`).toBeLessThan(1e-3);
  }
  // AdamW's first update is ≈ lr·sign(g), so where a gradient is near zero the two backends may step apart by
  // up to 2·lr; elsewhere they agree. The update itself is compared on fixed gradients below.
  for (const [name, w] of ref.updated) {
    expect(maxDiff(gpu.updated.get(name)!, w), `AdamW update of ${name}`).toBeLessThanOrEqual(2.0001 * LR);
  }
}

describe('webgpu backend (Dawn) against wasm', () => {
  let backend: BackendInfo;
  let ds: CachedDataset;
  let signals: Float32Array;
  beforeAll(async () => {
    backend = await initBackend({ backend: 'webgpu' });
    // The reference: single-threaded wasm in the same process, the same seeded weights.
    await import('@tensorflow/tfjs-backend-wasm');
    ds = await ptbxlDataset();
    signals = new Float32Array(B * ECG_SIZE);
    for (let i = 0; i < B; i++) ds.readSignal(i, signals.subarray(i * ECG_SIZE, (i + 1) * ECG_SIZE));
  });

  it('runs on the adapter and records it', () => {
    expect(backend.name).toBe('webgpu');
    expect(backend.adapter?.vendor).toBeTruthy();
    expect(backend.adapter?.driver).toBeTruthy();
    expect(backend.description).toContain(backend.adapter!.vendor);
    expect(backend.description).toContain(backend.adapter!.driver);
  });

  it.each(['cl', 'gl', 'hl'] as const)('one %s pre-training step matches wasm', async (method) => {
    const cfg = resolvePretrainConfig({ method, dataset: 'ptbxl', model: MODEL, batchSize: B });
    // Two ECGs per patient so the patient-level InfoNCE term is present for CL and HL.
    const prepared = prepareStep(cfg, { signals, size: B, patientIds: ['a', 'a', 'b', 'b'] }, new Rng(21));
    const ref = await pretrainStep('wasm', method, prepared);
    const gpu = await pretrainStep('webgpu', method, prepared);
    expectSame(gpu, ref);
    if (method !== 'gl') expect(gpu.losses.patient).toBeGreaterThan(0);
  });

  it('one fine-tuning step matches wasm', async () => {
    const labels = Float32Array.from({ length: B * 2 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    expectSame(await finetuneStep('webgpu', signals, labels), await finetuneStep('wasm', signals, labels));
  });

  it('AdamW updates (two steps, weight decay) match wasm on fixed gradients', async () => {
    const run = async (b: string): Promise<Float32Array> => {
      await tf.setBackend(b);
      const opt = new AdamW({ learningRate: 0.01, weightDecay: 0.1 });
      const w = tf.variable(tf.tensor2d([[1, -2, 3], [0.5, 0, -0.25]]));
      for (const g of [[0.3, -0.1, 2, 0, 1e-3, -5], [0.1, 0.2, -1, 0.5, 1e-3, -4]]) {
        const gt = tf.tensor2d(g, [2, 3]);
        opt.applyGradients({ [w.name]: gt });
        gt.dispose();
      }
      const out = (await w.data()) as Float32Array;
      opt.dispose();
      w.dispose();
      return out;
    };
    expect(maxDiff(await run('webgpu'), await run('wasm'))).toBeLessThan(1e-6);
  });

  // llvmpipe runs ~0.3 ms per shader dispatch and a pre-training step is ~1,300 dispatches, so 200 of them would
  // take minutes: the 200 steps here train a head through the whole encoder's forward pass (the probe/fine-tune
  // path), and the worker test below checks the pre-training steps' count through its progress events.
  it('keeps the tensor count flat over 200 training steps', async () => {
    await tf.setBackend('webgpu');
    const cfg = resolvePretrainConfig({ method: 'hl', dataset: 'ptbxl', model: { patch: 500, depth: 1, dim: 16 } });
    const encoder = new FoundationModel(cfg.model, 1, { decoder: false, head: false });
    const head = new LinearHead(16, 2, 1);
    const opt = new AdamW({ learningRate: 1e-3 });
    const x = tf.tensor3d(signals.subarray(0, 2 * ECG_SIZE), [2, N_LEADS, TARGET_SAMPLES]);
    const y = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    const step = async (): Promise<number> =>
      guardGpu(async () => {
        const loss = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, head.logits(encoder.embed(x))) as tf.Scalar, true, head.variables());
        const v = (await loss!.data())[0]!;
        loss!.dispose();
        return v;
      });
    const first = await step();
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    let last = first;
    for (let s = 0; s < 200; s++) {
      last = await step();
      if (s % 50 === 49) counts.push(tf.memory().numTensors);
    }
    expect(counts).toEqual([before, before, before, before]);
    expect(last).toBeLessThan(first);
    tf.dispose([x, y]);
    encoder.dispose();
    head.dispose();
    opt.dispose();
  }, 300_000);

  it('a tensor larger than the adapter can bind fails as GPU out of memory, and the device keeps working', async () => {
    await tf.setBackend('webgpu');
    const limit = backend.adapter!.maxBindingBytes;
    const n = Math.ceil((limit * 1.5) / 4);
    const attempt = guardGpu(async () => {
      const s = tf.tidy(() => tf.sum(tf.ones([n])));
      const v = (await s.data())[0];
      s.dispose();
      return v;
    });
    const err = await attempt.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/GPU out of memory/);
    expect(isOutOfMemory(err)).toBe(true);
    const ok = await guardGpu(async () => {
      const s = tf.sum(tf.ones([1000]));
      const v = (await s.data())[0];
      s.dispose();
      return v;
    });
    expect(ok).toBe(1000);
  });

  it('a synchronous read on webgpu says how to read instead of crashing inside the backend', async () => {
    await tf.setBackend('webgpu');
    // Large enough that tfjs-webgpu does not hand the op to the CPU.
    const t = tf.tidy(() => tf.add(tf.ones([4096]), 1));
    expect(() => t.dataSync()).toThrow(/await tensor\.data\(\)/);
    expect(Array.from(await t.data()).slice(0, 3)).toEqual([2, 2, 2]);
    t.dispose();
  });
});
