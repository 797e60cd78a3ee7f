/** Checks an ONNX export against the tfjs model on the same inputs: the largest absolute logit difference. */
import { tf } from '../compute/tf.js';
import { ECG_SIZE, N_LEADS, TARGET_SAMPLES } from '../data/types.js';
import type { ClinicalModel } from '../clinical/model.js';
import type { OrtSession } from './runtime.js';

/** ECG-like test inputs (sums of sines with noise, ±2 mV) when no real ECGs are given. */
export function probeSignals(count: number, seed = 1): Float32Array {
  const x = new Float32Array(count * ECG_SIZE);
  let s = seed >>> 0;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.031 + (i % 7)) + 0.3 * Math.sin(i * 0.27) + 0.2 * rand();
  return x;
}

export async function verifyOnnx(
  model: ClinicalModel,
  bytes: Uint8Array,
  open: (bytes: Uint8Array) => Promise<OrtSession>,
  signals: Float32Array = probeSignals(4),
): Promise<number> {
  const count = Math.floor(signals.length / ECG_SIZE);
  const session = await open(bytes);
  try {
    const ort = await session.run(signals, count);
    const ref = tf.tidy(() => model.logits(tf.tensor3d(signals.subarray(0, count * ECG_SIZE), [count, N_LEADS, TARGET_SAMPLES])));
    const want = await ref.data();
    ref.dispose();
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs((want[i] as number) - (ort.logits[i] as number)));
    return max;
  } finally {
    await session.release();
  }
}
