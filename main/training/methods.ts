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

/** Everything random about one step, fixed before the graph is built. */
export interface PreparedStep {
  /** ECGs fed to the encoder: B for GL, 2B (view 1 then view 2) for CL/HL. */
  rows: number;
  /** [rows, n, 12·P] patches of what the encoder sees (augmented views for CL/HL). */
  patches: Float32Array;
  mask: MaskPlan | null;
  patientIds: string[];
}

export function prepareStep(cfg: PretrainConfig, batch: StepBatch, rng: Rng): PreparedStep {
  const P = cfg.model.patch;
  const n = tokenCount(P);
  const B = batch.size;
  if (cfg.method === 'gl') {
    return { rows: B, patches: patchify(batch.signals, B, P), mask: sampleMask(rng, B, n, cfg.maskRatio), patientIds: batch.patientIds };
  }
  const v1 = augmentBatch(batch.signals, B, cfg.augment, rng);
  const v2 = augmentBatch(batch.signals, B, cfg.augment, rng);
  const patches = new Float32Array(2 * B * n * N_LEADS * P);
  patches.set(patchify(v1, B, P), 0);
  patches.set(patchify(v2, B, P), B * n * N_LEADS * P);
  const mask = cfg.method === 'hl' ? sampleMask(rng, 2 * B, n, cfg.maskRatio) : null;
  return { rows: 2 * B, patches, mask, patientIds: batch.patientIds };
}

export interface StepLosses {
  total: tf.Scalar;
  recon?: tf.Scalar;
  patient?: tf.Scalar;
  sample?: tf.Scalar;
}

export function lossTensors(model: FoundationModel, cfg: PretrainConfig, s: PreparedStep): StepLosses {
  const c = model.config;
  const p = model.params;
  const n = tokenCount(c.patch);
  const width = N_LEADS * c.patch;
  const all = tf.tensor3d(s.patches, [s.rows, n, width]);

  let tokens: tf.Tensor3D;
  if (s.mask) {
    const m = s.mask.visible;
    tokens = encodeTokens(p, c, {
      patches: tf.tensor2d(selectVisible(s.patches, s.mask, width), [s.rows * m, width]),
      positions: tf.tensor2d(positionSelector(s.mask), [s.rows * m, n]),
      batch: s.rows,
      count: m,
    });
  } else {
    tokens = encodeTokens(p, c, { patches: tf.reshape(all, [s.rows * n, width]), batch: s.rows, count: n });
  }

  const out: Partial<StepLosses> = {};
  const terms: tf.Scalar[] = [];
  if (cfg.method !== 'cl' && s.mask) {
    const masked = tf.tensor3d(s.mask.masked, [s.rows, n, 1]);
    const pred = decode(p, c, tokens, { scatter: tf.tensor3d(unshuffleMatrix(s.mask), [s.rows, n, s.mask.visible]), masked });
    out.recon = reconstructionL1(pred, all, cfg.reconAllPatches ? undefined : masked);
    terms.push(cfg.method === 'gl' ? out.recon : tf.mul(out.recon, cfg.lossWeights.recon));
  }
  if (cfg.method !== 'gl') {
    const b = s.rows / 2;
    const z = project(p, pool(tokens, c.pooling));
    const z1 = tf.slice(z, [0, 0], [b, -1]);
    const z2 = tf.slice(z, [b, 0], [b, -1]);
    out.sample = sampleInfoNce(z1, z2, cfg.tau);
    terms.push(tf.mul(out.sample, cfg.lossWeights.sample));
    const patient = patientInfoNce(z1, z2, s.patientIds, cfg.tau);
    if (patient) {
      out.patient = patient;
      terms.push(tf.mul(patient, cfg.lossWeights.patient));
    }
  }
  return { ...out, total: terms.length === 1 ? terms[0]! : (tf.addN(terms) as tf.Scalar) };
}
