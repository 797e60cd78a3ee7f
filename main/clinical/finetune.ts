/**
 * Fine-tuning that keeps its weights, for export as a clinical model.
 *
 * Training is the evaluation engine's `trainEndToEnd` (its recipe: logistic head, AdamW, augmentation, early
 * stopping on validation mean AUROC, best epoch restored); its `onChosen` hook hands over the chosen weights
 * before the head is disposed. What is clinical here: the split without a test part, the run record with the
 * validation predictions that later choose operating points, and the weights file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../compute/backend.js';
import type { CachedDataset } from '../data/types.js';
import { labelVectors, SignalSource } from '../evaluation/batches.js';
import { checkRecipe, PROTOCOL_DEFAULTS } from '../evaluation/evaluate.js';
import { auroc, averagePrecision } from '../evaluation/metrics.js';
import { deriveSeed } from '../evaluation/random.js';
import { checkTasks, makeSplit, patientsShared, type SplitSpec } from '../evaluation/splits.js';
import { trainEndToEnd, type LinearHead, type TrainStepProgress } from '../evaluation/train.js';
import { createEncoder } from '../models/encoder.js';
import type { FoundationModel } from '../models/foundation.js';
import { loadTensorFile, saveTensorFile } from '../models/tensor-file.js';
import type { Encoder, VitConfig } from '../models/types.js';
import type { VitConfigInput } from '../models/vit.js';
import { chooseEngine } from '../training/engine-choice.js';
import type { TrainingEngine } from '../../contract/training.js';
import { HEAD_B, HEAD_W } from './model.js';
import type { NamedWeights } from './package.js';
import { encoderSeen, mergeSeen, seenOf } from './provenance.js';
import type { LrSchedule } from '../../contract/vocabulary.js';

export const CLINICAL_RUN_FILE = 'clinical-model.json';
export const CLINICAL_WEIGHTS_FILE = 'clinical-weights.ecgfmt';

export interface FineTuneOptions {
  /** A pre-trained encoder (fine-tuned in place; the caller disposes it) or null for random init of `config`. */
  encoder: Encoder | null;
  encoderRun?: string | null;
  /** The pre-training run folder of `encoder`: its records join what the package saw (cohort-overlap check). */
  encoderRunDir?: string;
  config?: VitConfigInput;
  dataset: CachedDataset;
  tasks: string[];
  /** Training and validation parts; the test part is never read here. Default: folds 1–8 train, 9 validation. */
  split?: SplitSpec;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  patience?: number;
  /** The recipe (evaluation/evaluate.ts PROTOCOL_DEFAULTS.endToEnd): warm-up epochs, schedule, cosine floor. */
  warmupEpochs?: number;
  schedule?: LrSchedule;
  minLrRatio?: number;
  /** Layer-wise learning-rate decay of a pre-trained encoder (default 0.75; random init trains at one rate). */
  layerDecay?: number;
  seed?: number;
  /** Engine of the training steps (auto by default: measured once per machine and model shape). */
  engine?: TrainingEngine;
  outDir: string;
  /** Stops training at the next batch (throws EvaluationCancelled); nothing is written. */
  signal?: AbortSignal;
  /** After each optimizer step (a progress bar between the epoch lines). */
  onStep?(s: TrainStepProgress): void;
  /** After each epoch; `samples` is the training records per epoch, for a rate. */
  onEpoch?(e: { epoch: number; epochs: number; trainLoss: number; valMeanAuroc: number; seconds: number; samples: number }): void;
}

/** What a clinical fine-tuning run folder records next to its weights. */
export interface ClinicalRunRecord {
  architecture: VitConfig;
  tasks: string[];
  dataset: string;
  datasetKind: string;
  split: string;
  encoderRun: string | null;
  /** `augment` is absent in runs made before fine-tuning moved onto the evaluation engine (they trained without it). */
  settings: {
    epochs: number; batchSize: number; learningRate: number; weightDecay: number; patience: number; seed: number; augment?: boolean;
    /** Absent in runs made before the warm-up / cosine / layer-decay recipe. */
    schedule?: LrSchedule; warmupEpochs?: number; minLrRatio?: number; layerDecay?: number;
  };
  chosenEpoch: number;
  history: Array<{ epoch: number; trainLoss: number; valMeanAuroc: number; seconds: number }>;
  validation: { ids: string[]; labels: number[][]; scores: number[][] };
  /** Every record and patient the package learned from or was calibrated on (training + validation parts, and its encoder's pre-training records). */
  seen?: { records: string[]; patients: string[] };
  validationMetrics: Array<{ task: string; n: number; positives: number; auroc: number; auprc: number }>;
  backend: string;
  /** Which engine trained, and why (absent in runs made before the ONNX Runtime engine). */
  engine?: string;
  createdAt: string;
}

/** The encoder's `enc.*` weights plus the task head, as the clinical package stores them. */
async function deployableWeights(encoder: Encoder, head: LinearHead): Promise<NamedWeights> {
  const weights: NamedWeights = await (encoder as FoundationModel).params.read();
  for (const name of [...weights.keys()]) if (!name.startsWith('enc.')) weights.delete(name);
  weights.set(HEAD_W, { shape: [...head.w.shape], data: ((await head.w.data()) as Float32Array).slice() });
  weights.set(HEAD_B, { shape: [...head.b.shape], data: ((await head.b.data()) as Float32Array).slice() });
  return weights;
}

export async function fineTuneClinical(opts: FineTuneOptions): Promise<ClinicalRunRecord> {
  const backend = await initBackend();
  const { dataset, tasks } = opts;
  checkTasks(dataset, tasks);
  const split = makeSplit(dataset, opts.split ?? { kind: 'strat_fold', trainFolds: [1, 2, 3, 4, 5, 6, 7, 8], valFolds: [9], testFolds: [10] }, tasks);
  if (patientsShared(dataset, split).length) throw new Error(`split of ${dataset.name} puts a patient in two parts`);
  const defaults = PROTOCOL_DEFAULTS.endToEnd;
  const settings = {
    epochs: opts.epochs ?? defaults.epochs,
    batchSize: opts.batchSize ?? defaults.batchSize,
    learningRate: opts.learningRate ?? defaults.learningRate,
    weightDecay: opts.weightDecay ?? defaults.weightDecay,
    patience: opts.patience ?? defaults.patience,
    schedule: opts.schedule ?? defaults.schedule,
    warmupEpochs: opts.warmupEpochs ?? defaults.warmupEpochs,
    minLrRatio: opts.minLrRatio ?? defaults.minLrRatio,
    layerDecay: opts.encoder ? (opts.layerDecay ?? defaults.layerDecay) : 1,
    seed: opts.seed ?? 0,
    augment: true,
  };
  checkRecipe(settings);
  const architecture = opts.encoder?.config ?? opts.config;
  if (!architecture) throw new Error('fine-tuning needs an encoder run or a model config for random init');
  const encoder = opts.encoder ?? createEncoder(architecture, deriveSeed(settings.seed, 'random-init'));
  const engine = await chooseEngine(opts.engine, { kind: 'finetune', model: encoder.config, batch: settings.batchSize });
  try {
    let weights: NamedWeights | undefined;
    // No test indices: the clinical test part is only scored later, by the exported package.
    const outcome = await trainEndToEnd(
      encoder,
      { dataset, source: new SignalSource(dataset), train: split.train, val: split.val, test: [] },
      tasks,
      { ...settings, engine: engine.name },
      {
        signal: opts.signal,
        onStep: opts.onStep,
        onEpoch: ({ epoch, trainLoss, valMeanAuroc, seconds }) => opts.onEpoch?.({ epoch, epochs: settings.epochs, trainLoss, valMeanAuroc, seconds, samples: split.train.length }),
        onChosen: async (chosen) => {
          weights = await deployableWeights(chosen.encoder, chosen.head);
        },
      },
    );
    if (!weights) throw new Error('fine-tuning finished without handing over its weights');
    const valLabels = labelVectors(dataset, split.val, tasks);
    const valScores = outcome.valScores.map((s) => Array.from(s));

    mkdirSync(opts.outDir, { recursive: true });
    saveTensorFile(join(opts.outDir, CLINICAL_WEIGHTS_FILE), weights);
    const record: ClinicalRunRecord = {
      architecture: encoder.config,
      tasks,
      dataset: dataset.name,
      datasetKind: dataset.kind,
      split: split.description,
      encoderRun: opts.encoderRun ?? null,
      settings,
      chosenEpoch: outcome.chosenEpoch,
      history: outcome.history.map(({ epoch, trainLoss, valMeanAuroc, seconds }) => ({ epoch, trainLoss, valMeanAuroc, seconds })),
      validation: { ids: split.val.map((i) => dataset.meta(i).id), labels: valLabels.map((l) => Array.from(l)), scores: valScores },
      seen: mergeSeen(seenOf(dataset, [...split.train, ...split.val]), opts.encoderRunDir ? encoderSeen(opts.encoderRunDir, dataset).seen : null),
      validationMetrics: tasks.map((task, t) => ({
        task,
        n: split.val.length,
        positives: valLabels[t]!.reduce((a, b) => a + b, 0),
        auroc: auroc(valLabels[t]!, outcome.valScores[t]!),
        auprc: averagePrecision(valLabels[t]!, outcome.valScores[t]!),
      })),
      backend: backend.description,
      engine: engine.reason,
      createdAt: new Date().toISOString(),
    };
    writeFileSync(join(opts.outDir, CLINICAL_RUN_FILE), JSON.stringify(record, null, 2));
    return record;
  } finally {
    if (!opts.encoder) encoder.dispose();
  }
}

export function readClinicalRun(dir: string): { record: ClinicalRunRecord; weights: NamedWeights } {
  const path = join(dir, CLINICAL_RUN_FILE);
  if (!existsSync(path)) {
    throw new Error(`${dir} is not a clinical fine-tuning run (${CLINICAL_RUN_FILE} is missing): create one with \`ecgfm clinical finetune\``);
  }
  let record: ClinicalRunRecord;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as ClinicalRunRecord;
  } catch (err) {
    throw new Error(`${path}: unreadable (${(err as Error).message})`);
  }
  return { record, weights: loadTensorFile(join(dir, CLINICAL_WEIGHTS_FILE)) };
}
