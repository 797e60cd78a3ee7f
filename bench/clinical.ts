/**
 * Clinical inference speed: encoder + task head on CPU, tfjs (the selected backend) against ONNX Runtime
 * (onnxruntime-node, CPU) and PyTorch where `/usr/bin/python3 -c 'import torch'` works.
 *
 *   npx tsx bench/clinical.ts [--patch 125 --depth 4 --dim 512 --batch 64 --steps 4]
 *
 * Also checks that the ONNX export matches tfjs (max |Δlogit|). Ends with the one `clinical:` line of issue 9.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { runTorchScript, torchAvailable, torchBlasSetup } from './torch.js';
import { ClinicalModel, HEAD_B, HEAD_W } from '../main/clinical/model.js';
import { defaultPreprocessing, type PackageHeader } from '../main/clinical/package.js';
import { initBackend } from '../main/compute/backend.js';
import { FoundationModel } from '../main/models/foundation.js';
import { resolveVitConfig } from '../main/models/vit.js';
import { clinicalOnnx, createOrtSession, loadOrt } from '../main/onnx/runtime.js';
import { probeSignals, verifyOnnx } from '../main/onnx/verify.js';

const { values } = parseArgs({
  options: {
    patch: { type: 'string', default: '125' },
    depth: { type: 'string', default: '4' },
    dim: { type: 'string', default: '512' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '4' },
  },
});
const [patch, depth, dim, batch, steps] = [values.patch, values.depth, values.dim, values.batch, values.steps].map(Number) as [number, number, number, number, number];
const tasks = ['MI', 'STTC', 'CD', 'HYP'];

const backend = await initBackend();
const config = resolveVitConfig({ patch, depth, dim });
const enc = new FoundationModel(config, 1, { decoder: false, head: false });
const weights = enc.params.snapshot();
enc.dispose();
weights.set(HEAD_W, { shape: [dim, tasks.length], data: Float32Array.from({ length: dim * tasks.length }, (_, i) => Math.sin(i) * 0.05) });
weights.set(HEAD_B, { shape: [tasks.length], data: new Float32Array(tasks.length) });
const header = {
  format: 'ecgfm-package', version: 1, architecture: config, preprocessing: defaultPreprocessing(),
  tasks: tasks.map((name) => ({ name, threshold: 0.5, thresholdRule: 'bench' })),
  calibration: { description: 'none', ids: [], labels: [], scores: [] },
  provenance: { datasets: [], split: '', encoderRun: null, config: {}, backend: backend.description, seed: 1, createdAt: '', software: 'bench' },
  metrics: {}, weights: [], weightsSha256: 'bench',
} satisfies PackageHeader;
const model = new ClinicalModel(header, weights, 'bench model');
const x = probeSignals(batch, 3);

async function timeIt(label: string, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const t = performance.now();
  for (let s = 0; s < steps; s++) await fn();
  const eps = (batch * steps) / ((performance.now() - t) / 1000);
  console.log(`${label}: ${eps.toFixed(1)} ECGs/s (batch ${batch}, ${steps} batches)`);
  return eps;
}

console.log(`model P${patch} D${dim} L${depth}, ${availableParallelism()} CPU(s)`);
const tfjsEps = await timeIt(`tfjs [${backend.description}]`, async () => model.predict(x, batch));

let ortEps: number | null = null;
if (await loadOrt()) {
  const bytes = clinicalOnnx(model);
  const diff = await verifyOnnx(model, bytes, (b) => createOrtSession(b), probeSignals(4, 9));
  console.log(`onnx export: ${(bytes.length / 1e6).toFixed(1)} MB, opset 17, ORT vs tfjs max |Δlogit| ${diff.toExponential(2)}`);
  const session = await createOrtSession(bytes);
  ortEps = await timeIt(session.description, () => session.run(x, batch));
  await session.release();
} else console.log('onnxruntime-node: not available');
model.dispose();

function torchEps(): number | null {
  if (torchAvailable()) console.log(`torch blas: ${torchBlasSetup().description}`);
  const r = runTorchScript<{ eps: number; torch: string }>('torch_infer.py', [String(patch), String(depth), String(dim), String(batch), String(steps)]);
  if (!r) return null;
  console.log(`torch ${r.torch}: ${r.eps.toFixed(1)} ECGs/s`);
  return r.eps;
}
const torch = torchEps();
const best = Math.max(tfjsEps, ortEps ?? 0);
const fmt = (v: number | null) => (v === null ? 'na' : v.toFixed(1));
console.log(`clinical: tfjs_eps=${fmt(tfjsEps)} ort_eps=${fmt(ortEps)} torch_eps=${fmt(torch)} ratio=${torch ? (best / torch).toFixed(2) : 'na'}`);
