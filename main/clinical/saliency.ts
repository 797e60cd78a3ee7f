/**
 * Integrated gradients (Sundararajan et al. 2017) of one task's logit with respect to the input ECG, from a
 * flat-line (0 mV) baseline, by the midpoint rule over `steps` points on the straight path. Gradients flow through
 * the encoder with tf.grad; the model's ops stay on kernels wasm has (see main/models/ops.ts).
 * Attributions are summed per lead × time segment for overlay on the 12-lead viewer.
 */
import { tf } from '../compute/tf.js';
import { ECG_SIZE, LEADS, N_LEADS, TARGET_FS, TARGET_SAMPLES } from '../data/types.js';
import type { ClinicalModel } from './model.js';

/**
 * The path is sampled as α = u^γ with u evenly spaced: the logit changes fastest near the flat-line baseline (the
 * LayerNorms rescale small inputs), so points are packed there; this brings Σ attributions close to Δlogit.
 */
const PATH_POWER = 3;

export interface Saliency {
  task: string;
  leads: string[];
  segmentSeconds: number;
  /** [lead][segment]: summed attribution (logit units); positive pushes towards the task. */
  segments: number[][];
  /** Per-sample attribution, [12 × 2500] lead-major, when asked for. */
  samples?: Float32Array;
  logit: number;
  baselineLogit: number;
  /** Σ attributions; equals logit − baselineLogit up to the integration error. */
  total: number;
  steps: number;
}

export interface SaliencyOptions {
  steps?: number;
  /** Segment length in seconds (default 0.5 s: 20 segments per lead). */
  segmentSeconds?: number;
  /** ECGs on the path per gradient call (memory bound). */
  chunk?: number;
  keepSamples?: boolean;
}

export async function integratedGradients(model: ClinicalModel, signal: Float32Array, taskIndex: number, opts: SaliencyOptions = {}): Promise<Saliency> {
  if (signal.length !== ECG_SIZE) throw new Error(`saliency expects one standardised ECG of ${ECG_SIZE} floats, got ${signal.length}`);
  const task = model.tasks[taskIndex];
  if (task === undefined) throw new Error(`task index ${taskIndex} is out of range (model tasks: ${model.tasks.join(', ')})`);
  const steps = opts.steps ?? 32;
  const chunk = Math.max(1, opts.chunk ?? 8);
  const grad = tf.grad((xs: tf.Tensor) => tf.sum(tf.slice(model.logits(xs as tf.Tensor3D), [0, taskIndex], [-1, 1])));
  const x = tf.tensor3d(signal, [1, N_LEADS, TARGET_SAMPLES]);
  const gradSum = new Float64Array(ECG_SIZE);
  try {
    for (let s0 = 0; s0 < steps; s0 += chunk) {
      const m = Math.min(chunk, steps - s0);
      const u = Array.from({ length: m }, (_, k) => (s0 + k + 0.5) / steps);
      const alphas = u.map((v) => v ** PATH_POWER);
      // dα = γ·u^(γ−1)·du: each gradient weighs by its share of the path.
      const weights = u.map((v) => PATH_POWER * v ** (PATH_POWER - 1));
      const g = tf.tidy(() => {
        const grads = grad(tf.mul(x, tf.tensor3d(alphas, [m, 1, 1])));
        return tf.sum(tf.mul(grads, tf.tensor3d(weights, [m, 1, 1])), 0);
      });
      const data = await g.data();
      g.dispose();
      for (let i = 0; i < ECG_SIZE; i++) gradSum[i] = (gradSum[i] as number) + (data[i] as number);
    }
    const ends = tf.tidy(() => model.logits(tf.concat([tf.zerosLike(x), x], 0)));
    const endValues = await ends.data();
    const [baselineLogit, logit] = [0, 1].map((r) => (endValues[r * model.tasks.length + taskIndex] as number));
    ends.dispose();
    const segLen = Math.max(1, Math.round((opts.segmentSeconds ?? 0.5) * TARGET_FS));
    const nSeg = Math.ceil(TARGET_SAMPLES / segLen);
    const samples = new Float32Array(ECG_SIZE);
    const segments = Array.from({ length: N_LEADS }, () => new Array<number>(nSeg).fill(0));
    let total = 0;
    for (let lead = 0; lead < N_LEADS; lead++) {
      for (let j = 0; j < TARGET_SAMPLES; j++) {
        const i = lead * TARGET_SAMPLES + j;
        const a = ((signal[i] as number) * (gradSum[i] as number)) / steps;
        samples[i] = a;
        total += a;
        const row = segments[lead] as number[];
        row[Math.floor(j / segLen)] = (row[Math.floor(j / segLen)] as number) + a;
      }
    }
    return {
      task,
      leads: [...LEADS],
      segmentSeconds: segLen / TARGET_FS,
      segments,
      samples: opts.keepSamples ? samples : undefined,
      logit: logit as number,
      baselineLogit: baselineLogit as number,
      total,
      steps,
    };
  } finally {
    x.dispose();
  }
}
