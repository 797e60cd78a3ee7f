/**
 * Speed of the 1-D ResNet baseline (main/models/resnet1d.ts) on ONNX Runtime against PyTorch on the same shape:
 * training steps at batch B (AdamW, BatchNorm in training mode) and inference at batch 64, on random ECG-shaped
 * input. Prints one line:
 *   resnet: params=… ort_train_sps=… ort_infer_sps=… torch_train_sps=… torch_infer_sps=… train_ratio=… infer_ratio=… load=…
 * Usage: npx tsx bench/resnet.ts [--batch 32] [--steps 10] [--threads N]
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { N_LEADS, TARGET_SAMPLES } from '../main/data/types.js';
import { initialStatistics, initialWeights, parameterCount, resnet1dLayout, RESNET1D_DEFAULT } from '../main/models/resnet1d.js';
import { OrtTrainer } from '../main/onnx/train/engine.js';
import { buildResNetStepGraph } from '../main/onnx/train/resnet.js';
import { ResNet1dScorer } from '../main/onnx/train/resnet-train.js';
import { Rng } from '../main/ssl/rng.js';
import { runTorchScript, torchBlasSetup } from './torch.js';

const { values } = parseArgs({ options: { batch: { type: 'string' }, steps: { type: 'string' }, threads: { type: 'string' }, tasks: { type: 'string' } } });
const B = Number(values.batch ?? 32);
const steps = Number(values.steps ?? 10);
const tasks = Number(values.tasks ?? 4);
const threads = Number(values.threads ?? availableParallelism());
process.env.ECGFM_THREADS = String(threads);

const config = RESNET1D_DEFAULT;
const layout = resnet1dLayout(config, tasks);
const P = parameterCount(layout);
const rng = new Rng(1);
const random = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const signals = random(B * N_LEADS * TARGET_SAMPLES);
const labels = Float32Array.from({ length: B * tasks }, () => (rng.uniform(0, 1) > 0.5 ? 1 : 0));
const trainer = await OrtTrainer.create({ entries: [], total: P }, { theta: initialWeights(layout, 0), m: new Float32Array(P), v: new Float32Array(P), step: 0 }, { weightDecay: 1e-2, threads });
const feeds = { signals: { data: signals, shape: [B, N_LEADS, TARGET_SAMPLES] }, labels: { data: labels, shape: [B, tasks] } };
const build = () => buildResNetStepGraph({ config, layout, batch: B, tasks, emit: 'update' });
let t0 = 0;
for (let i = 0; i < 2 + steps; i++) {
  if (i === 2) t0 = performance.now();
  await trainer.trainGraph('bench', build, feeds, 1e-3, ['loss']);
}
const ortTrain = (B * steps) / ((performance.now() - t0) / 1000);
const scorer = await ResNet1dScorer.create(config, layout, threads);
const stats = initialStatistics(layout);
const x64 = random(64 * N_LEADS * TARGET_SAMPLES);
for (let i = 0; i < 2 + steps; i++) {
  if (i === 2) t0 = performance.now();
  await scorer.probabilities(x64, 64, trainer.theta, stats);
}
const ortInfer = (64 * steps) / ((performance.now() - t0) / 1000);
await trainer.release();
await scorer.release();

const torch = runTorchScript<{ params: number; train_sps: number; infer_sps: number }>('torch_resnet.py', ['--config', JSON.stringify(config), '--batch', String(B), '--steps', String(steps), '--tasks', String(tasks), '--threads', String(threads)]);
if (torch && torch.params !== P) throw new Error(`PyTorch's network has ${torch.params} weights, ours ${P}: the two are not the same model`);
const f = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(1));
if (torch) console.error(`torch blas: ${torchBlasSetup().description}`);
console.log(
  `resnet: params=${P} batch=${B} threads=${threads} ort_train_sps=${f(ortTrain)} ort_infer_sps=${f(ortInfer)} ` +
    `torch_train_sps=${f(torch?.train_sps)} torch_infer_sps=${f(torch?.infer_sps)} ` +
    `train_ratio=${torch ? (ortTrain / torch.train_sps).toFixed(2) : 'n/a'} infer_ratio=${torch ? (ortInfer / torch.infer_sps).toFixed(2) : 'n/a'} ` +
    `load=${loadavg().map((l) => l.toFixed(1)).join('/')}`,
);
