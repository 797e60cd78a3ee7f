/** ONNX Runtime sessions for the training graphs (CPU execution provider, all graph optimisations on). */
import { availableParallelism } from 'node:os';
import type * as OrtTypes from 'onnxruntime-node';
import { loadOrt } from '../runtime.js';

export type Ort = typeof OrtTypes;
export type OrtTensor = OrtTypes.Tensor;
export type OrtInferenceSession = OrtTypes.InferenceSession;

export async function requireOrt(): Promise<Ort> {
  const ort = await loadOrt();
  if (!ort) throw new Error('The ONNX Runtime engine needs onnxruntime-node, which does not load here: use --engine tfjs');
  return ort;
}

export interface SessionOptions {
  threads?: number;
  /** Write an ONNX Runtime profile (JSON) with this file prefix. */
  profilePrefix?: string;
}

export async function createSession(bytes: Uint8Array, o: SessionOptions = {}): Promise<OrtInferenceSession> {
  const ort = await requireOrt();
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: o.threads ?? Number(process.env.ECGFM_THREADS ?? availableParallelism()),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    ...(o.profilePrefix ? { enableProfiling: true, profileFilePrefix: o.profilePrefix } : {}),
  });
}

/** Run and return every output as a Float32Array, by name. */
export async function runGraph(session: OrtInferenceSession, feeds: Record<string, { data: Float32Array | BigInt64Array; shape: readonly number[] }>): Promise<Record<string, Float32Array>> {
  const ort = await requireOrt();
  const inputs: Record<string, OrtTensor> = {};
  for (const [k, v] of Object.entries(feeds)) {
    inputs[k] = v.data instanceof BigInt64Array ? new ort.Tensor('int64', v.data, [...v.shape]) : new ort.Tensor('float32', v.data, [...v.shape]);
  }
  const out = await session.run(inputs);
  const res: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(out)) res[k] = t.data as Float32Array;
  return res;
}
