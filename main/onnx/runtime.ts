/**
 * ONNX Runtime (CPU, onnxruntime-node) sessions of an exported clinical model. Loaded lazily, so builds without
 * the native package still run on tfjs.
 */
import { availableParallelism } from 'node:os';
import { ECG_SIZE, N_LEADS, TARGET_SAMPLES } from '../data/types.js';
import type { ClinicalModel } from '../clinical/model.js';
import type { Scorer } from '../clinical/run.js';
import { HEAD_B, HEAD_W } from '../clinical/model.js';
import { buildOnnxModel } from './export.js';

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

export async function createOrtSession(bytes: Uint8Array, threads = availableParallelism()): Promise<OrtSession> {
  const ort = await loadOrt();
  if (!ort) throw new Error('onnxruntime-node is not available in this build (install it with `npm install onnxruntime-node`)');
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return {
    description: `onnxruntime-node ${ort.env.versions.common} cpu, ${threads} thread(s)`,
    async run(signals, count) {
      const input = new ort.Tensor('float32', signals.subarray(0, count * ECG_SIZE), [count, N_LEADS, TARGET_SAMPLES]);
      const out = await session.run({ ecg: input });
      return { logits: out.logits!.data as Float32Array, probabilities: out.probabilities!.data as Float32Array };
    },
    release: () => session.release(),
  };
}

/** A cohort-run scorer backed by ONNX Runtime. */
export async function createOrtScorer(model: ClinicalModel, threads?: number): Promise<Scorer> {
  const s = await createOrtSession(clinicalOnnx(model), threads);
  return {
    description: s.description,
    score: async (signals, count) => (await s.run(signals, count)).probabilities.slice(),
    dispose: () => void s.release(),
  };
}
