/** Batch inputs of the step graphs, assembled in plain arrays from what the TypeScript side drew (masks, views). */
import { N_LEADS } from '../../data/types.js';
import { tokenCount } from '../../models/vit.js';
import { patientPositives } from '../../ssl/losses.js';
import { positionSelector, selectVisible, unshuffleMatrix } from '../../ssl/masking.js';
import { patchify } from '../../ssl/patches.js';
import type { PretrainConfig } from '../../training/config.js';
import type { PreparedStep } from '../../training/methods.js';
import type { StepGraphSpec, StepKind } from './step.js';

export interface Feed {
  data: Float32Array;
  shape: number[];
}

export type Feeds = Record<string, Feed>;

/** The step-graph spec (without layout/emit) that a prepared pre-training step needs. */
export function pretrainSpec(cfg: PretrainConfig, s: PreparedStep): Omit<StepGraphSpec, 'layout' | 'emit'> {
  return {
    kind: cfg.method as StepKind,
    config: cfg.model,
    batch: s.size,
    visible: s.masked?.mask.visible,
    tau: cfg.tau,
    lossWeights: cfg.lossWeights,
    reconAllPatches: cfg.reconAllPatches,
    clipNorm: cfg.clipNorm,
  };
}

/** Feeds of a prepared pre-training step; `patient` says whether the batch has patient-level positives. */
export function pretrainFeeds(cfg: PretrainConfig, s: PreparedStep): { feeds: Feeds; patient: boolean } {
  const n = tokenCount(cfg.model.patch);
  const width = N_LEADS * cfg.model.patch;
  const B = s.size;
  const feeds: Feeds = {};
  if (s.masked) {
    const { patches, mask } = s.masked;
    const m = mask.visible;
    feeds.visible = { data: selectVisible(patches, mask, width), shape: [B * m, width] };
    feeds.positions = { data: positionSelector(mask), shape: [B * m, n] };
    feeds.target = { data: patches, shape: [B, n, width] };
    feeds.scatter = { data: unshuffleMatrix(mask), shape: [B, n, m] };
    feeds.masked = { data: mask.masked, shape: [B, n, 1] };
  }
  let patient = false;
  if (s.views) {
    feeds.patches = { data: s.views, shape: [2 * B * n, width] };
    const pos = patientPositives(s.patientIds);
    patient = pos !== null;
    feeds.pos_weights = { data: pos?.weights ?? new Float32Array(B * B), shape: [B, B] };
    feeds.pos_norm = { data: Float32Array.of(pos ? -1 / (2 * pos.anchors) : 0), shape: [] };
  }
  return { feeds, patient };
}

/** Feeds of a fine-tuning step: standardised ECGs [B, 12, 2500] and 0/1 labels [B, T]. */
export function finetuneFeeds(signals: Float32Array, batch: number, patch: number, labels: Float32Array, tasks: number): Feeds {
  const n = tokenCount(patch);
  return {
    patches: { data: patchify(signals, batch, patch), shape: [batch * n, N_LEADS * patch] },
    labels: { data: labels, shape: [batch, tasks] },
  };
}
