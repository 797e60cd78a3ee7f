/**
 * The training worker's message protocol, shared by the host (child_process in Node, utilityProcess in Electron)
 * and the worker. Plain serialisable objects only; nothing here imports Node or Electron.
 */

import type { SslMethod } from './vocabulary.js';
import type { LrSchedule } from './vocabulary.js';

export { SSL_METHODS, type SslMethod } from './vocabulary.js';

/**
 * Where training steps run: tfjs (the selected backend) or ONNX Runtime (one ONNX graph per step, CPU).
 * `auto` measures both once per machine and model shape and takes the faster.
 */
export const TRAINING_ENGINES = ['auto', 'tfjs', 'ort'] as const;
export type TrainingEngine = (typeof TRAINING_ENGINES)[number];
export type ResolvedEngine = Exclude<TrainingEngine, 'auto'>;

export interface ModelSettings {
  patch: number;
  depth: number;
  dim: number;
  heads?: number;
  mlpRatio?: number;
  decoderDim?: number;
  decoderDepth?: number;
  pooling?: 'cls' | 'mean';
}

/** Augmentation strengths; 0 switches one off (see main/ssl/augment.ts). */
export interface AugmentSettings {
  shift?: number;
  cropMin?: number;
  scale?: number;
  noise?: number;
  wander?: number;
  wanderHz?: number;
  leadDropout?: number;
}

/** One dataset of a multi-source pre-training (the paper pre-trains on the union of five, its Table 1). */
export interface PretrainSource {
  /** A standardised dataset in the workspace cache. */
  dataset: string;
  /** Its indices to train on (the split's training part); all records when absent. */
  indices?: number[];
  /** Relative share of the ECGs drawn; give one for every source or for none (then each in proportion to its records). */
  weight?: number;
}

/** What a user asks for; every field but method, dataset and model has a default. */
export interface PretrainConfigInput {
  method: SslMethod;
  /** A standardised dataset in the workspace cache; with `sources`, the run's name for them (joined by '+'). */
  dataset: string;
  /** Several datasets sampled together; when present, `dataset` and `indices` are not read. */
  sources?: PretrainSource[];
  model: ModelSettings;
  /** Dataset indices to train on (a split); all records when absent. */
  indices?: number[];
  /** Records carrying any of these quality flags are left out (default clipped, constant; [] keeps all). */
  excludeFlags?: string[];
  batchSize?: number;
  /** Stop after this many optimizer steps; or after `epochs` passes when `steps` is absent. */
  steps?: number;
  epochs?: number;
  seed?: number;
  lr?: number;
  weightDecay?: number;
  /** Linear warm-up steps (default 5 % of the run's steps). */
  warmupSteps?: number;
  /** Learning-rate schedule after warm-up (default cosine). */
  schedule?: LrSchedule;
  /** Floor of the cosine schedule, as a fraction of lr (default 0.01). */
  minLrRatio?: number;
  /** Clip gradients to this global L2 norm; 0 = off. */
  clipNorm?: number;
  maskRatio?: number;
  /** GL/HL: count the L1 error on all patches, not only the masked ones. */
  reconAllPatches?: boolean;
  tau?: number;
  /** HL loss weights (L_recon + L_patient + L_sample by default). */
  lossWeights?: { recon?: number; patient?: number; sample?: number };
  /** CL/HL: put ECGs of the same patient into the same batch (needed for the patient loss). */
  patientAware?: boolean;
  /**
   * Patient-aware runs: at least this fraction of batches holds `pairsPerBatch` pairs of ECGs of one patient,
   * drawing more ECGs of patients who have several when the sources have too few pairs (default 0: pairs only as
   * they fall). Reported as `sampling.pairBatchFraction`.
   */
  patientPairRate?: number;
  /** Pairs a batch needs to count towards the rate (default 1). */
  pairsPerBatch?: number;
  augment?: AugmentSettings;
  /** Steps between checkpoints (and at the end). */
  checkpointEvery?: number;
  /** Checkpoints kept besides the best one. */
  keepLast?: number;
  /** Steps between progress events and metrics.jsonl lines. */
  logEvery?: number;
  /** Run folder name under <workspace>/runs; generated when absent. */
  runId?: string;
  /** Continue the run `runId` from its last checkpoint. */
  resume?: boolean;
  /** Training engine (default auto); a resumed run may switch, checkpoints are shared. */
  engine?: TrainingEngine;
  /**
   * Records of the split's validation part whose loss terms are logged (monitoring only; never trained on, and never
   * test records: see main/experiments/science.ts). None when absent.
   */
  validationIndices?: number[];
  /** The dataset of `validationIndices` (default the first source, or `dataset`). */
  validationDataset?: string;
  /** Steps between validation evaluations (default 50; also before the first step and after the last). */
  validateEvery?: number;
  /** Fixed validation batches evaluated each time (default 8, of `batchSize` records each). */
  validationBatches?: number;
}

/** Loss terms on the validation batches at one step; `lnBatch` is the InfoNCE chance level ln(batch). */
export interface ValidationLosses {
  step: number;
  losses: LossValues;
  batches: number;
  /** Batches holding a patient pair (the patient-level term is their mean). */
  patientBatches: number;
  lnBatch: number;
}

/** Loss components of one step or an average; absent components do not apply to the method or batch. */
export interface LossValues {
  total: number;
  recon?: number;
  patient?: number;
  sample?: number;
}

export interface ProgressEvent {
  step: number;
  totalSteps: number;
  epoch: number;
  losses: LossValues;
  lr: number;
  samplesPerSec: number;
  etaSeconds: number;
  memory: { numTensors: number; numBytes: number; rssBytes: number };
  /** The latest validation losses, when the run has validation records. */
  validation?: ValidationLosses;
}

/** What a run's batches held: ECGs seen per source (repeats counted) and patient pairs. */
export interface SamplingSummary {
  /** ECGs drawn per dataset, in source order. */
  seenBySource: Record<string, number>;
  /** Each source's intended share of the ECGs drawn (its weight, or its share of the records). */
  shares: Record<string, number>;
  batches: number;
  /** Batches with at least one pair of ECGs of one patient (the patient-level InfoNCE has a term only in those). */
  batchesWithPair: number;
  pairBatchFraction: number;
  /** Mean pairs of one patient per batch (Σ ⌊k/2⌋ over a batch's patients with k ECGs). */
  pairsPerBatch: number;
  /** The stated rate (0 when none was asked for), and how many pairs a batch needed to count. */
  patientPairRate: number;
  pairsNeeded: number;
  /** Batches that held at least `pairsNeeded` pairs (what the rate guarantees). */
  batchesWithPairsNeeded: number;
  /** What the sampler said once: sources without patients of ≥ 2 ECGs, a rate it cannot meet. */
  notes: string[];
}

export interface PretrainResult {
  runId: string;
  runDir: string;
  status: 'completed' | 'cancelled';
  step: number;
  totalSteps: number;
  /** Losses of the last step. */
  losses: LossValues;
  lastCheckpoint: string | null;
  bestCheckpoint: string | null;
  backend: string;
  /** The engine that ran the steps, and why it was chosen. */
  engine?: { name: ResolvedEngine; reason: string };
  /** ECGs per source and patient pairs of the batches the run trained on (from step 0, resumes included). */
  sampling?: SamplingSummary;
  seconds: number;
}

export type TrainingCommand =
  | { type: 'start'; config: PretrainConfigInput }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'cancel' };

export type TrainingEvent =
  | { type: 'started'; runId: string; runDir: string; backend: string; startStep: number; totalSteps: number; engine?: string }
  | ({ type: 'progress' } & ProgressEvent)
  | { type: 'epoch'; epoch: number; step: number; losses: LossValues }
  | ({ type: 'validation' } & ValidationLosses)
  | { type: 'checkpoint'; step: number; path: string; best: boolean }
  | { type: 'state'; state: 'paused' | 'running' }
  /** Said once when a run starts: something about its data the user should know (e.g. no patient pairs). */
  | { type: 'notice'; message: string }
  | { type: 'done'; result: PretrainResult }
  | { type: 'error'; message: string; stack?: string };

/** The two halves of a message channel (child_process, utilityProcess, MessagePort, or an in-process pair). */
export interface Transport<Out, In> {
  send(message: Out): void;
  onMessage(handler: (message: In) => void): void;
}
