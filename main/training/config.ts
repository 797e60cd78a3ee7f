/** Pre-training settings with their defaults filled in and checked. */
import type { PretrainConfigInput, SslMethod } from '../../contract/training.js';
import { SSL_METHODS, TRAINING_ENGINES, type TrainingEngine } from '../../contract/training.js';
import { DEFAULT_AUGMENT, type AugmentConfig } from '../ssl/augment.js';
import { resolveVitConfig } from '../models/vit.js';
import type { VitConfig } from '../models/types.js';
import { DEFAULT_EXCLUDE, parseExcludeFlags, type QualityFlag } from '../data/quality.js';
import { LR_SCHEDULES, type LrSchedule } from '../../contract/vocabulary.js';

export type { PretrainConfigInput, ProgressEvent, PretrainResult, LossValues, SslMethod } from '../../contract/training.js';

export interface PretrainConfig {
  method: SslMethod;
  dataset: string;
  /** Datasets sampled together (null: `dataset` alone, sampled as before). */
  sources: { dataset: string; indices: number[] | null; weight: number | null }[] | null;
  model: VitConfig;
  indices: number[] | null;
  /** Quality flags that keep a record out of pre-training. */
  excludeFlags: QualityFlag[];
  batchSize: number;
  steps: number | null;
  epochs: number | null;
  seed: number;
  lr: number;
  weightDecay: number;
  /** Linear warm-up steps; null = auto, 5 % of the run's steps (see `warmupStepsOf`). */
  warmupSteps: number | null;
  schedule: LrSchedule;
  minLrRatio: number;
  clipNorm: number;
  maskRatio: number;
  reconAllPatches: boolean;
  tau: number;
  lossWeights: { recon: number; patient: number; sample: number };
  patientAware: boolean;
  patientPairRate: number;
  pairsPerBatch: number;
  augment: AugmentConfig;
  checkpointEvery: number;
  keepLast: number;
  logEvery: number;
  runId: string | null;
  resume: boolean;
  engine: TrainingEngine;
  /** Validation records whose loss terms are logged every `every` steps (monitoring only; null = none). */
  validation: { dataset: string; indices: number[]; every: number; batches: number } | null;
}

/** Defaults of the recipe (see the README's pre-training section). */
export const PRETRAIN_DEFAULTS = {
  lr: 1e-4,
  schedule: 'cosine',
  /** Warm-up as a fraction of the run's steps when `warmupSteps` is not given. */
  warmupFraction: 0.05,
  minLrRatio: 0.01,
  tau: 0.1,
  /** GL and HL (HL's InfoNCE views are whole ECGs, so its masking serves only the reconstruction, as in GL). */
  maskRatio: 0.75,
  validateEvery: 50,
  validationBatches: 8,
} as const;

function num(name: string, v: number | undefined, dflt: number, ok: (x: number) => boolean, rule: string): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw new Error(`Pre-training setting ${name} must be ${rule}, got ${String(v)}`);
  return x;
}

const posInt = (x: number): boolean => Number.isInteger(x) && x > 0;
const nonNeg = (x: number): boolean => x >= 0;

export function resolvePretrainConfig(input: PretrainConfigInput): PretrainConfig {
  if (!SSL_METHODS.includes(input.method)) throw new Error(`Pre-training method must be one of ${SSL_METHODS.join(', ')}, got ${String(input.method)}`);
  if (!input.dataset || typeof input.dataset !== 'string') throw new Error('Pre-training needs a dataset name');
  if (!input.model) throw new Error('Pre-training needs model settings (patch, depth, dim)');
  const steps = input.steps === undefined ? null : num('steps', input.steps, 0, posInt, 'a positive integer');
  const epochs = input.epochs === undefined ? null : num('epochs', input.epochs, 0, posInt, 'a positive integer');
  const augment = { ...DEFAULT_AUGMENT };
  for (const [k, v] of Object.entries(input.augment ?? {})) {
    if (!(k in augment)) throw new Error(`Unknown augmentation ${k}: use ${Object.keys(DEFAULT_AUGMENT).join(', ')}`);
    augment[k as keyof AugmentConfig] = num(`augment.${k}`, v, 0, nonNeg, 'a number ≥ 0');
  }
  const w = input.lossWeights ?? {};
  return {
    method: input.method,
    dataset: input.dataset,
    sources: resolveSources(input),
    model: resolveVitConfig(input.model),
    indices: input.indices ?? null,
    excludeFlags: input.excludeFlags === undefined ? [...DEFAULT_EXCLUDE] : parseExcludeFlags(input.excludeFlags.join(',')),
    batchSize: num('batchSize', input.batchSize, 32, (x) => posInt(x) && x >= 2, 'an integer ≥ 2'),
    steps,
    epochs: steps === null && epochs === null ? 1 : epochs,
    seed: num('seed', input.seed, 0, Number.isInteger, 'an integer'),
    lr: num('lr', input.lr, PRETRAIN_DEFAULTS.lr, (x) => x > 0, 'positive'),
    weightDecay: num('weightDecay', input.weightDecay, 1e-5, nonNeg, '≥ 0'),
    warmupSteps: input.warmupSteps === undefined ? null : num('warmupSteps', input.warmupSteps, 0, (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0'),
    schedule: scheduleOf(input.schedule),
    minLrRatio: num('minLrRatio', input.minLrRatio, PRETRAIN_DEFAULTS.minLrRatio, (x) => x >= 0 && x <= 1, 'in [0, 1]'),
    clipNorm: num('clipNorm', input.clipNorm, 0, nonNeg, '≥ 0'),
    maskRatio: num('maskRatio', input.maskRatio, PRETRAIN_DEFAULTS.maskRatio, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    reconAllPatches: input.reconAllPatches ?? false,
    tau: num('tau', input.tau, PRETRAIN_DEFAULTS.tau, (x) => x > 0, 'positive'),
    lossWeights: {
      recon: num('lossWeights.recon', w.recon, 1, nonNeg, '≥ 0'),
      patient: num('lossWeights.patient', w.patient, 1, nonNeg, '≥ 0'),
      sample: num('lossWeights.sample', w.sample, 1, nonNeg, '≥ 0'),
    },
    patientAware: input.patientAware ?? input.method !== 'gl',
    patientPairRate: num('patientPairRate', input.patientPairRate, 0, (x) => x >= 0 && x <= 1, 'in [0, 1]'),
    pairsPerBatch: num('pairsPerBatch', input.pairsPerBatch, 1, posInt, 'a positive integer'),
    augment,
    checkpointEvery: num('checkpointEvery', input.checkpointEvery, 500, posInt, 'a positive integer'),
    keepLast: num('keepLast', input.keepLast, 3, posInt, 'a positive integer'),
    logEvery: num('logEvery', input.logEvery, 10, posInt, 'a positive integer'),
    runId: input.runId ?? null,
    resume: input.resume ?? false,
    engine: engineOf(input.engine),
    validation: validationOf(input),
  };
}

function resolveSources(input: PretrainConfigInput): PretrainConfig['sources'] {
  if (input.sources === undefined) return null;
  if (!Array.isArray(input.sources) || input.sources.length === 0) throw new Error('Pre-training sources must list at least one dataset');
  const seen = new Set<string>();
  const out = input.sources.map((s) => {
    if (!s.dataset || typeof s.dataset !== 'string') throw new Error('Every pre-training source needs a dataset name');
    if (seen.has(s.dataset)) throw new Error(`Dataset ${s.dataset} is listed twice among the pre-training sources`);
    seen.add(s.dataset);
    const weight = s.weight === undefined ? null : num(`weight of ${s.dataset}`, s.weight, 0, (x) => x > 0, 'a number > 0');
    return { dataset: s.dataset, indices: s.indices ?? null, weight };
  });
  const unweighted = out.filter((s) => s.weight === null);
  if (unweighted.length && unweighted.length < out.length) throw new Error(`Give a weight for every pre-training source or for none (missing: ${unweighted.map((s) => s.dataset).join(', ')})`);
  return out;
}

function scheduleOf(v: PretrainConfigInput['schedule']): PretrainConfig['schedule'] {
  if (v !== undefined && !LR_SCHEDULES.includes(v)) throw new Error(`Pre-training setting schedule must be ${LR_SCHEDULES.join(' or ')}, got ${String(v)}`);
  return v ?? PRETRAIN_DEFAULTS.schedule;
}

function validationOf(input: PretrainConfigInput): PretrainConfig['validation'] {
  const idx = input.validationIndices;
  if (!idx || idx.length === 0) return null;
  if (!idx.every((i) => Number.isInteger(i) && i >= 0)) throw new Error('Pre-training setting validationIndices must list record indices (integers ≥ 0)');
  // The validation dataset is the first source of a multi-source run (the one whose split the evaluation uses).
  const dataset = input.validationDataset ?? input.sources?.[0]?.dataset ?? input.dataset;
  const trained = input.sources ? input.sources.find((x) => x.dataset === dataset)?.indices : input.indices;
  const train = trained ? new Set(trained) : null;
  const shared = train ? idx.filter((i) => train.has(i)).length : idx.length;
  if (shared) throw new Error(`${shared} validation records are also training records: validation batches must be records the run never trains on`);
  return {
    dataset,
    indices: [...idx],
    every: num('validateEvery', input.validateEvery, PRETRAIN_DEFAULTS.validateEvery, posInt, 'a positive integer'),
    batches: num('validationBatches', input.validationBatches, PRETRAIN_DEFAULTS.validationBatches, posInt, 'a positive integer'),
  };
}

/** The warm-up of a run of `totalSteps`: as set, or 5 % of the steps (at least 1 when the run has 20 or more). */
export function warmupStepsOf(c: Pick<PretrainConfig, 'warmupSteps'>, totalSteps: number): number {
  return c.warmupSteps ?? Math.round(PRETRAIN_DEFAULTS.warmupFraction * totalSteps);
}

function engineOf(v: TrainingEngine | undefined): TrainingEngine {
  if (v !== undefined && !TRAINING_ENGINES.includes(v)) throw new Error(`Pre-training setting engine must be one of ${TRAINING_ENGINES.join(', ')}, got ${String(v)}`);
  return v ?? 'auto';
}

/**
 * Learning rate at a step (0-based): linear warm-up, then constant or cosine decay towards minLrRatio·lr (reached at step totalSteps).
 * Pre-training and fine-tuning (main/evaluation/train.ts) both take their schedule from here.
 */
export function learningRateAt(c: Pick<PretrainConfig, 'lr' | 'warmupSteps' | 'schedule' | 'minLrRatio'>, step: number, totalSteps: number): number {
  const warmup = warmupStepsOf(c, totalSteps);
  if (warmup > 0 && step < warmup) return (c.lr * (step + 1)) / warmup;
  if (c.schedule === 'constant') return c.lr;
  const span = Math.max(1, totalSteps - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  const floor = c.lr * c.minLrRatio;
  return floor + (c.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
