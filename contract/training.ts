/**
 * The training worker's message protocol, shared by the host (child_process in Node, utilityProcess in Electron)
 * and the worker. Plain serialisable objects only; nothing here imports Node or Electron.
 */

import type { SslMethod } from './vocabulary.js';

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

/** What a user asks for; every field but method, dataset and model has a default. */
export interface PretrainConfigInput {
  method: SslMethod;
  /** A standardised dataset in the workspace cache. */
  dataset: string;
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
  warmupSteps?: number;
  schedule?: 'constant' | 'cosine';
  /** Floor of the cosine schedule, as a fraction of lr. */
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
  | { type: 'checkpoint'; step: number; path: string; best: boolean }
  | { type: 'state'; state: 'paused' | 'running' }
  | { type: 'done'; result: PretrainResult }
  | { type: 'error'; message: string; stack?: string };

/** The two halves of a message channel (child_process, utilityProcess, MessagePort, or an in-process pair). */
export interface Transport<Out, In> {
  send(message: Out): void;
  onMessage(handler: (message: In) => void): void;
}
