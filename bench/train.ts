/**
 * Training and inference speed of the foundation model on the selected backend, against PyTorch where it exists.
 *
 *   npx tsx bench/train.ts [--patch 125 --depth 4 --dim 512 --batch 32 --infer-batch 64 --steps 5] [--all-methods]
 *                          [--backend auto|tfjs-node-gpu|webgpu|tfjs-node|wasm|cpu]
 *
 * train_sps is the GL pre-training step (mask 0.75, decoder D/2 × 2 blocks, AdamW) at the training batch;
 * infer_sps is `Encoder.embed` on all patches at the inference batch. With --all-methods the CL and HL steps and a
 * full-sequence (fine-tuning-like) step are printed too. Ends with the one `train:` line of issue 4.
 */
import { parseArgs } from 'node:util';
import { runTorchScript } from './torch.js';
import { initBackend } from '../main/compute/backend.js';
import { tf } from '../main/compute/tf.js';
import { ECG_SIZE } from '../main/data/types.js';
import { FoundationModel } from '../main/models/foundation.js';
import { Rng } from '../main/ssl/rng.js';
import { AdamW } from '../main/training/adamw.js';
import { resolvePretrainConfig } from '../main/training/config.js';
import { prepareStep } from '../main/training/methods.js';
import { trainStep } from '../main/training/step.js';
import type { SslMethod } from '../contract/training.js';

interface Args {
  patch: number;
  depth: number;
  dim: number;
  batch: number;
  inferBatch: number;
  steps: number;
}

function ecgs(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * ECG_SIZE }, (_, i) => Math.sin(i / 25) + 0.1 * rng.normal());
}

async function trainSps(a: Args, method: SslMethod): Promise<number> {
  const cfg = resolvePretrainConfig({ method, dataset: 'bench', model: { patch: a.patch, depth: a.depth, dim: a.dim }, batchSize: a.batch });
  const model = new FoundationModel(cfg.model, 0, { decoder: method !== 'cl', head: method !== 'gl' });
  const opt = new AdamW();
  const rng = new Rng(1);
  const batch = { signals: ecgs(a.batch, 2), size: a.batch, patientIds: Array.from({ length: a.batch }, (_, i) => `p${i >> 1}`) };
  const vars = model.allVariables();
  let t0 = 0;
  for (let s = 0; s <= a.steps; s++) {
    if (s === 1) t0 = performance.now();
    await trainStep(model, opt, cfg, prepareStep(cfg, batch, rng), vars);
  }
  const sps = (a.batch * a.steps * 1000) / (performance.now() - t0);
  model.dispose();
  opt.dispose();
  return sps;
}

/** Encoder forward + backward on all patches with a simple loss: what fine-tuning costs per sample. */
async function fullStepSps(a: Args): Promise<number> {
  const model = new FoundationModel(resolvePretrainConfig({ method: 'gl', dataset: 'b', model: a }).model, 0, { decoder: false, head: false });
  const opt = new AdamW();
  const x = tf.tensor3d(ecgs(a.batch, 3), [a.batch, 12, 2500]);
  let t0 = 0;
  for (let s = 0; s <= a.steps; s++) {
    if (s === 1) t0 = performance.now();
    const loss = opt.minimize(() => tf.mean(tf.square(model.embed(x))), true, model.trainableVariables());
    await loss?.data();
    loss?.dispose();
  }
  const sps = (a.batch * a.steps * 1000) / (performance.now() - t0);
  x.dispose();
  model.dispose();
  opt.dispose();
  return sps;
}

async function inferSps(a: Args): Promise<number> {
  const model = new FoundationModel(resolvePretrainConfig({ method: 'gl', dataset: 'b', model: a }).model, 0, { decoder: false, head: false });
  const x = tf.tensor3d(ecgs(a.inferBatch, 4), [a.inferBatch, 12, 2500]);
  let t0 = 0;
  for (let s = 0; s <= a.steps; s++) {
    if (s === 1) t0 = performance.now();
    const y = tf.tidy(() => model.embed(x));
    await y.data();
    y.dispose();
  }
  const sps = (a.inferBatch * a.steps * 1000) / (performance.now() - t0);
  x.dispose();
  model.dispose();
  return sps;
}

function torchFigures(a: Args): { train: number; infer: number; version: string } | null {
  const args = { patch: a.patch, depth: a.depth, dim: a.dim, batch: a.batch, 'infer-batch': a.inferBatch, steps: a.steps, threads: 2 };
  const r = runTorchScript<{ train_sps: number; infer_sps: number; torch: string }>(
    'torch_train.py',
    Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]),
  );
  return r && { train: r.train_sps, infer: r.infer_sps, version: r.torch };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      patch: { type: 'string', default: '125' }, depth: { type: 'string', default: '4' }, dim: { type: 'string', default: '512' },
      batch: { type: 'string', default: '32' }, 'infer-batch': { type: 'string', default: '64' }, steps: { type: 'string', default: '5' },
      'all-methods': { type: 'boolean', default: false }, backend: { type: 'string' },
    },
  });
  const a: Args = {
    patch: Number(values.patch), depth: Number(values.depth), dim: Number(values.dim),
    batch: Number(values.batch), inferBatch: Number(values['infer-batch']), steps: Number(values.steps),
  };
  const backend = await initBackend(values.backend ? { backend: values.backend } : {});
  const fmt = (x: number): string => x.toFixed(1);
  console.log(`backend: ${backend.description}`);
  console.log(`model: P${a.patch} D${a.dim} L${a.depth}, train batch ${a.batch}, inference batch ${a.inferBatch}, ${a.steps} timed steps`);
  const train = await trainSps(a, 'gl');
  console.log(`gl step: ${fmt(train)} samples/s`);
  if (values['all-methods']) {
    console.log(`cl step: ${fmt(await trainSps(a, 'cl'))} samples/s (two views each)`);
    console.log(`hl step: ${fmt(await trainSps(a, 'hl'))} samples/s (two masked views each)`);
    console.log(`full-sequence encoder step: ${fmt(await fullStepSps(a))} samples/s`);
  }
  const infer = await inferSps(a);
  console.log(`inference: ${fmt(infer)} samples/s`);
  const torch = torchFigures(a);
  if (torch) console.log(`torch ${torch.version}: train ${fmt(torch.train)} samples/s, inference ${fmt(torch.infer)} samples/s`);
  else console.log('torch: /usr/bin/python3 cannot import torch; torch fields are na');
  const ratio = (x: number, y: number | undefined): string => (y ? (x / y).toFixed(2) : 'na');
  console.log(
    `train: backend=${backend.description.split(':')[0]} train_sps=${fmt(train)} infer_sps=${fmt(infer)} ` +
      `torch_train_sps=${torch ? fmt(torch.train) : 'na'} torch_infer_sps=${torch ? fmt(torch.infer) : 'na'} ` +
      `train_ratio=${ratio(train, torch?.train)} infer_ratio=${ratio(infer, torch?.infer)}`,
  );
}

void main().then(() => process.exit(0));
