/**
 * One pre-training step's losses for CL, GL and HL. Random choices (views, masks) are drawn in plain arrays from
 * the run's PRNG before any tensor exists; `lossTensors` then builds the graph, so it can run inside a gradient tape.
 */
import { tf } from '../compute/tf.js';
import { N_LEADS } from '../data/types.js';
import type { FoundationModel } from '../models/foundation.js';
import { decode, encodeTokens, pool, project, tokenCount } from '../models/vit.js';
import { augmentBatch } from '../ssl/augment.js';
import { patientInfoNce, reconstructionL1, sampleInfoNce } from '../ssl/losses.js';
import { positionSelector, sampleMask, selectVisible, unshuffleMatrix, type MaskPlan } from '../ssl/masking.js';
import { patchify } from '../ssl/patches.js';
import type { Rng } from '../ssl/rng.js';
import type { PretrainConfig } from './config.js';

export interface StepBatch {
  signals: Float32Array;
  size: number;
  patientIds: string[];
}

/**
 * Everything random about one step, fixed before the graph is built. As the paper's preprocessor, it creates the
 * augmented pairs for the contrastive objective and the masked patches for the generative one; HL gets both.
 */
export interface PreparedStep {
  /** ECGs in the batch (B). */
  size: number;
  /** CL/HL: [2B, n, 12·P] patches of the two augmented views (view 1 of every ECG, then view 2), all seen. */
  views: Float32Array | null;
  /** GL/HL: [B, n, 12·P] patches of the ECGs themselves (the reconstruction target) and which ones the encoder sees. */
  masked: { patches: Float32Array; mask: MaskPlan } | null;
  patientIds: string[];
}

/**
 * HL's InfoNCE views are whole: masking them as well leaves the two views of an ECG a few patches each, often not the
 * same ones, and in PTB-XL runs the patient-level term then stayed at ln(batch) on validation batches.
 */
export function prepareStep(cfg: PretrainConfig, batch: StepBatch, rng: Rng): PreparedStep {
  const P = cfg.model.patch;
  const n = tokenCount(P);
  const B = batch.size;
  let views: Float32Array | null = null;
  if (cfg.method !== 'gl') {
    const v1 = augmentBatch(batch.signals, B, cfg.augment, rng);
    const v2 = augmentBatch(batch.signals, B, cfg.augment, rng);
    views = new Float32Array(2 * B * n * N_LEADS * P);
    views.set(patchify(v1, B, P), 0);
    views.set(patchify(v2, B, P), B * n * N_LEADS * P);
  }
  const masked = cfg.method !== 'cl' ? { patches: patchify(batch.signals, B, P), mask: sampleMask(rng, B, n, cfg.maskRatio) } : null;
  return { size: B, views, masked, patientIds: batch.patientIds };
}

export interface StepLosses {
  total: tf.Scalar;
  recon?: tf.Scalar;
  patient?: tf.Scalar;
  sample?: tf.Scalar;
}

/** Generative objective: encode the visible patches, decode every position, L1 on the masked ones. */
function reconstructionLoss(model: FoundationModel, cfg: PretrainConfig, s: NonNullable<PreparedStep['masked']>, B: number): tf.Scalar {
  const { config: c, params: p } = model;
  const n = tokenCount(c.patch);
  const width = N_LEADS * c.patch;
  const m = s.mask.visible;
  const tokens = encodeTokens(p, c, {
    patches: tf.tensor2d(selectVisible(s.patches, s.mask, width), [B * m, width]),
    positions: tf.tensor2d(positionSelector(s.mask), [B * m, n]),
    batch: B,
    count: m,
  });
  const masked = tf.tensor3d(s.mask.masked, [B, n, 1]);
  const pred = decode(p, c, tokens, { scatter: tf.tensor3d(unshuffleMatrix(s.mask), [B, n, m]), masked });
  return reconstructionL1(pred, tf.tensor3d(s.patches, [B, n, width]), cfg.reconAllPatches ? undefined : masked);
}

/** Contrastive objectives: embed both views; sample-level InfoNCE, and patient-level where the batch has a pair. */
function contrastiveLosses(model: FoundationModel, cfg: PretrainConfig, views: Float32Array, B: number, patientIds: string[]): { sample: tf.Scalar; patient: tf.Scalar | null } {
  const { config: c, params: p } = model;
  const n = tokenCount(c.patch);
  const width = N_LEADS * c.patch;
  const tokens = encodeTokens(p, c, { patches: tf.tensor2d(views, [2 * B * n, width]), batch: 2 * B, count: n });
  const z = project(p, pool(tokens, c.pooling));
  const z1 = tf.slice(z, [0, 0], [B, -1]);
  const z2 = tf.slice(z, [B, 0], [B, -1]);
  return { sample: sampleInfoNce(z1, z2, cfg.tau), patient: patientInfoNce(z1, z2, patientIds, cfg.tau) };
}

/** The paper's objectives: L_RECON (GL), L_CONT_Sample + L_CONT_Patient (CL), and their weighted sum (HL, its eq. 3). */
export function lossTensors(model: FoundationModel, cfg: PretrainConfig, s: PreparedStep): StepLosses {
  const out: Partial<StepLosses> = {};
  const terms: tf.Scalar[] = [];
  if (s.masked) {
    out.recon = reconstructionLoss(model, cfg, s.masked, s.size);
    terms.push(cfg.method === 'gl' ? out.recon : tf.mul(out.recon, cfg.lossWeights.recon));
  }
  if (s.views) {
    const { sample, patient } = contrastiveLosses(model, cfg, s.views, s.size, s.patientIds);
    out.sample = sample;
    terms.push(tf.mul(sample, cfg.lossWeights.sample));
    if (patient) {
      out.patient = patient;
      terms.push(tf.mul(patient, cfg.lossWeights.patient));
    }
  }
  return { ...out, total: terms.length === 1 ? terms[0]! : (tf.addN(terms) as tf.Scalar) };
}
