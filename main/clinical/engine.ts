/**
 * Which engine scores a cohort: tfjs (the selected backend) or ONNX Runtime (its WebGPU provider where there is a
 * GPU adapter, else the CPU). `auto` times one small batch
 * on each and keeps the faster (bench/clinical.ts measured ORT at ~2.4× tfjs-wasm for P125/D512/L4 on 2 cores).
 */
import { initBackend } from '../compute/backend.js';
import { createCohortOrtScorer, loadOrt } from '../onnx/runtime.js';
import { probeSignals } from '../onnx/verify.js';
import type { ClinicalModel } from './model.js';
import type { Scorer } from './run.js';

export type EngineChoice = 'auto' | 'tfjs' | 'onnx';

export async function tfjsScorer(model: ClinicalModel): Promise<Scorer> {
  const backend = await initBackend();
  return { description: `tfjs ${backend.description}`, score: async (s, n) => model.predict(s, n), dispose() {} };
}

async function secondsPerBatch(s: Scorer, x: Float32Array, n: number): Promise<number> {
  await s.score(x, n);
  const t = performance.now();
  await s.score(x, n);
  return (performance.now() - t) / 1000;
}

export async function selectScorer(model: ClinicalModel, engine: EngineChoice, probeBatch = 8): Promise<Scorer> {
  const tfjs = await tfjsScorer(model);
  if (engine === 'tfjs') return tfjs;
  if (!(await loadOrt())) {
    if (engine === 'onnx') throw new Error('the onnx engine needs onnxruntime-node, which does not load here');
    return tfjs;
  }
  const ort = await createCohortOrtScorer(model);
  if (engine === 'onnx') return ort;
  const x = probeSignals(probeBatch);
  const [tT, tO] = [await secondsPerBatch(tfjs, x, probeBatch), await secondsPerBatch(ort, x, probeBatch)];
  const pick = tO <= tT ? ort : tfjs;
  (pick === ort ? tfjs : ort).dispose();
  const rate = (t: number) => `${(probeBatch / t).toFixed(0)} ECG/s`;
  return { ...pick, score: pick.score, dispose: pick.dispose, description: `${pick.description} (auto: ORT ${rate(tO)} vs tfjs ${rate(tT)} on a ${probeBatch}-ECG probe)` };
}
