/**
 * ONNX Runtime (onnxruntime-node) sessions of an exported clinical model, on the CPU or the WebGPU execution
 * provider. Loaded lazily, so builds without the native package still run on tfjs.
 */
import { availableParallelism } from 'node:os';
import { ECG_SIZE, N_LEADS, TARGET_SAMPLES } from '../data/types.js';
import type { ClinicalModel } from '../clinical/model.js';
import type { Scorer } from '../clinical/run.js';
import { HEAD_B, HEAD_W } from '../clinical/model.js';
import { initBackend } from '../compute/backend.js';
import { adapterLine, gpuDeviceNodes, probeAdapter, type GpuAdapterInfo } from '../compute/webgpu.js';
import { buildOnnxModel } from './export.js';
import { probeSignals } from './verify.js';

type Ort = typeof import('onnxruntime-node');

let ortPromise: Promise<Ort | null> | null = null;

/** onnxruntime-node, or null when it is not installed or its native binding does not load here. */
export function loadOrt(): Promise<Ort | null> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => ((m as { default?: Ort }).default ?? m) as Ort,
    () => null,
  );
  return ortPromise;
}

/** The ONNX bytes of a loaded clinical model. */
export function clinicalOnnx(model: ClinicalModel): Uint8Array {
  return buildOnnxModel(model.config, model.namedWeights(), {
    tasks: model.tasks,
    headW: HEAD_W,
    headB: HEAD_B,
    metadata: { weightsSha256: model.header.weightsSha256 },
  });
}

export interface OrtSession {
  run(signals: Float32Array, count: number): Promise<{ logits: Float32Array; probabilities: Float32Array }>;
  release(): Promise<void>;
  description: string;
}

/** ONNX Runtime execution providers the product uses: the CPU one, and WebGPU (Dawn bundled in onnxruntime-node). */
export type OrtProvider = 'cpu' | 'webgpu';

export async function createOrtSession(bytes: Uint8Array, threads = availableParallelism(), provider: OrtProvider = 'cpu'): Promise<OrtSession> {
  const ort = await loadOrt();
  if (!ort) throw new Error('onnxruntime-node is not available in this build (install it with `npm install onnxruntime-node`)');
  if (provider === 'webgpu' && !ort.listSupportedBackends().some((b) => b.name === 'webgpu' && b.bundled)) {
    throw new Error(`this onnxruntime-node (${ort.env.versions.common}) has no WebGPU execution provider`);
  }
  const session = await ort.InferenceSession.create(bytes, {
    // No silent CPU fallback: a graph the WebGPU provider cannot place fails here instead.
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // The WebGPU provider warns that shape ops stay on the CPU, which is by design.
    logSeverityLevel: provider === 'webgpu' ? 3 : 2,
  });
  return {
    description: `onnxruntime-node ${ort.env.versions.common} ${provider}${provider === 'cpu' ? `, ${threads} thread(s)` : ''}`,
    async run(signals, count) {
      const input = new ort.Tensor('float32', signals.subarray(0, count * ECG_SIZE), [count, N_LEADS, TARGET_SAMPLES]);
      const out = await session.run({ ecg: input });
      return { logits: out.logits!.data as Float32Array, probabilities: out.probabilities!.data as Float32Array };
    },
    release: () => session.release(),
  };
}

/** A cohort-run scorer backed by ONNX Runtime. */
export async function createOrtScorer(model: ClinicalModel, threads?: number, provider: OrtProvider = 'cpu'): Promise<Scorer> {
  const s = await createOrtSession(clinicalOnnx(model), threads, provider);
  return {
    description: s.description,
    score: async (signals, count) => (await s.run(signals, count)).probabilities.slice(),
    dispose: () => void s.release(),
  };
}

/** Largest |Δlogit| between two sessions on the same probe ECGs. */
export async function sessionsAgree(a: OrtSession, b: OrtSession, count = 2): Promise<number> {
  const x = probeSignals(count, 7);
  const [ya, yb] = [(await a.run(x, count)).logits, (await b.run(x, count)).logits];
  let max = 0;
  for (let i = 0; i < ya.length; i++) max = Math.max(max, Math.abs((ya[i] as number) - (yb[i] as number)));
  return max;
}

/**
 * Which provider scores cohorts: `ECGFM_ORT_PROVIDER` (cpu, webgpu or auto); in auto, WebGPU where a hardware
 * adapter exists or the process already trains on webgpu, else the CPU.
 */
export async function cohortProvider(): Promise<{ provider: OrtProvider; adapter: GpuAdapterInfo | null }> {
  const wanted = (process.env.ECGFM_ORT_PROVIDER ?? 'auto').toLowerCase();
  if (wanted !== 'auto' && wanted !== 'cpu' && wanted !== 'webgpu') throw new Error(`ECGFM_ORT_PROVIDER must be auto, cpu or webgpu, not "${wanted}"`);
  if (wanted === 'cpu') return { provider: 'cpu', adapter: null };
  const backend = await initBackend();
  if (backend.adapter) return { provider: 'webgpu', adapter: backend.adapter };
  if (wanted === 'auto' && process.platform === 'linux' && gpuDeviceNodes().length === 0) return { provider: 'cpu', adapter: null };
  const probe = await probeAdapter();
  if (probe.ok && (wanted === 'webgpu' || !probe.info.software)) return { provider: 'webgpu', adapter: probe.info };
  if (wanted === 'webgpu') throw new Error(`ECGFM_ORT_PROVIDER=webgpu but ${probe.ok ? 'no adapter' : probe.problem}`);
  return { provider: 'cpu', adapter: null };
}

/**
 * The cohort scorer on ONNX Runtime: on the GPU where there is one, checked against the CPU provider on probe
 * ECGs before any record is scored (a disagreement over 1e-4 in the logits is an error, not a quiet fallback).
 */
export async function createCohortOrtScorer(model: ClinicalModel, threads?: number): Promise<Scorer> {
  const { provider, adapter } = await cohortProvider();
  if (provider === 'cpu') return createOrtScorer(model, threads, 'cpu');
  const bytes = clinicalOnnx(model);
  const gpu = await createOrtSession(bytes, threads, 'webgpu');
  const cpu = await createOrtSession(bytes, threads, 'cpu');
  let diff: number;
  try {
    diff = await sessionsAgree(gpu, cpu);
  } finally {
    await cpu.release();
  }
  if (!(diff <= 1e-4)) {
    await gpu.release();
    throw new Error(`ONNX Runtime's WebGPU provider disagrees with its CPU provider by ${diff} in the logits; set ECGFM_ORT_PROVIDER=cpu`);
  }
  return {
    description: `${gpu.description} on ${adapter ? adapterLine(adapter) : 'its default adapter'} (matches cpu to ${diff.toExponential(1)})`,
    score: async (signals, count) => (await gpu.run(signals, count)).probabilities.slice(),
    dispose: () => void gpu.release(),
  };
}
