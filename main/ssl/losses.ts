/** Self-supervised losses: InfoNCE (sample- and patient-level, cosine similarity) and masked L1 reconstruction. */
import { tf } from '../compute/tf.js';
import { matMul } from '../models/ops.js';

function normalizeRows(z: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(z, tf.rsqrt(tf.add(tf.sum(tf.square(z), 1, true), 1e-12)));
}

/** Cosine-similarity logits z1ᵢ·z2ⱼ / τ, [B, B]. */
export function cosineLogits(z1: tf.Tensor2D, z2: tf.Tensor2D, tau: number): tf.Tensor2D {
  if (!(tau > 0)) throw new Error(`InfoNCE temperature must be positive, got ${tau}`);
  return tf.div(matMul(normalizeRows(z1), normalizeRows(z2), true), tau);
}

/**
 * Sample-level InfoNCE: the two views of ECG i are the positive pair; the other ECGs' second views are the negatives.
 * Symmetric: ½ [CE(z1→z2) + CE(z2→z1)], with L(i) = −log exp(sᵢᵢ/τ) / Σⱼ exp(sᵢⱼ/τ).
 */
export function sampleInfoNce(z1: tf.Tensor2D, z2: tf.Tensor2D, tau: number): tf.Scalar {
  const b = z1.shape[0];
  const logits = cosineLogits(z1, z2, tau);
  const eye = tf.eye(b);
  const ab = tf.sum(tf.mul(tf.logSoftmax(logits), eye));
  const ba = tf.sum(tf.mul(tf.logSoftmax(tf.transpose(logits)), eye));
  return tf.div(tf.add(ab, ba), -2 * b) as tf.Scalar;
}

/**
 * Row weights for patient-level InfoNCE: W[i][j] = 1/|P(i)| for the other ECGs j of i's patient (j ≠ i), else 0.
 * Returns null when no ECG in the batch shares its patient with another.
 */
export function patientPositives(patientIds: string[]): { weights: Float32Array; anchors: number } | null {
  const b = patientIds.length;
  const weights = new Float32Array(b * b);
  let anchors = 0;
  for (let i = 0; i < b; i++) {
    const pos: number[] = [];
    for (let j = 0; j < b; j++) if (j !== i && patientIds[j] === patientIds[i]) pos.push(j);
    if (pos.length === 0) continue;
    anchors++;
    for (const j of pos) weights[i * b + j] = 1 / pos.length;
  }
  return anchors > 0 ? { weights, anchors } : null;
}

/**
 * Patient-level InfoNCE: for an anchor view of ECG i, the positives are the other view of every other ECG of the
 * same patient; the denominator is every other ECG's view except i's own (that pair belongs to the sample loss).
 * Averaged over anchors (ECGs whose patient has another ECG in the batch) and both directions.
 * Null when the batch has no such patient: single-ECG patients add to the sample-level loss only.
 */
export function patientInfoNce(z1: tf.Tensor2D, z2: tf.Tensor2D, patientIds: string[], tau: number): tf.Scalar | null {
  const b = z1.shape[0];
  if (patientIds.length !== b) throw new Error(`patientInfoNce: ${patientIds.length} patient ids for ${b} embeddings`);
  const pos = patientPositives(patientIds);
  if (!pos) return null;
  const logits = cosineLogits(z1, z2, tau);
  const notSelf = tf.mul(tf.eye(b), -1e9);
  const w = tf.tensor2d(pos.weights, [b, b]);
  const ab = tf.sum(tf.mul(tf.logSoftmax(tf.add(logits, notSelf)), w));
  const ba = tf.sum(tf.mul(tf.logSoftmax(tf.add(tf.transpose(logits), notSelf)), w));
  return tf.div(tf.add(ab, ba), -2 * pos.anchors) as tf.Scalar;
}

/** Mean absolute error over the patches with weight 1 ([B, n, 1]); all patches when `weights` is omitted. */
export function reconstructionL1(pred: tf.Tensor3D, target: tf.Tensor3D, weights?: tf.Tensor3D): tf.Scalar {
  // Per patch first, then over patches: one float32 running sum over all B·n·12·P errors drifts by ~1e-5.
  const err = tf.sum(tf.abs(tf.sub(pred, target)), -1, true);
  const width = pred.shape[2];
  if (!weights) return tf.div(tf.mean(err), width) as tf.Scalar;
  return tf.div(tf.sum(tf.mul(err, weights)), tf.mul(tf.maximum(tf.sum(weights), 1), width));
}
