/**
 * One downstream evaluation: a protocol (linear probe, fine-tune, or a baseline) on a dataset's split, scored on
 * the test part with AUROC, AUPRC, F1 at the validation-chosen threshold, bootstrap CIs, curves and the criteria.
 * This is the per-cell API that studies, simulations and the CLI call.
 */
import { initBackend } from '../compute/backend.js';
import { tf } from '../compute/tf.js';
import type { CachedDataset } from '../data/types.js';
import { createEncoder } from '../models/encoder.js';
import type { Encoder } from '../models/types.js';
import type { VitConfigInput } from '../models/vit.js';
import { labelVectors, SignalSource } from './batches.js';
import { computeEmbeddings, rowsOf, type EmbeddingCache } from './embeddings.js';
import { criteriaScore, taskMetrics, type TaskMetrics } from './metrics.js';
import { deriveSeed } from './random.js';
import { DEFAULT_EXCLUDE, excludedRecords, type QualityFlag } from '../data/quality.js';
import { checkTasks, makeSplit, patientsShared, type Split, type SplitSpec } from './splits.js';
import { chooseEngine, forwardEngine } from '../training/engine-choice.js';
import type { TrainingEngine } from '../../contract/training.js';
import { trainEndToEnd, trainProbe, type EpochRecord, type TrainOutcome, type TrainSettings, type TrainStepProgress } from './train.js';
import { describeResNet1d, RESNET1D_DEFAULT, type ResNet1dConfig } from '../models/resnet1d.js';
import { trainResNet1d, type ResNet1dModel } from '../onnx/train/resnet-train.js';

import { PROTOCOL_LABELS as PROTOCOL_TITLES, PROTOCOL_NAMES as PROTOCOLS, type ProtocolName as Protocol } from '../../contract/vocabulary.js';
import type { LrSchedule } from '../../contract/vocabulary.js';

export { PROTOCOLS, PROTOCOL_TITLES, type Protocol };

export const DEFAULT_TASKS = ['MI', 'STTC', 'CD', 'HYP'];

/**
 * Smoke-scale defaults: a tiny encoder on 500 PTB-XL records finishes all four protocols in about a minute.
 * End-to-end training warms up for one epoch, then decays the rate by a cosine to 1 % of it; fine-tuning a
 * pre-trained ViT adds layer-wise decay 0.75 (supervised training from random init has no pre-trained lower layers
 * to preserve and trains every layer at the full rate).
 */
export const PROTOCOL_DEFAULTS: Record<'probe' | 'endToEnd' | 'resnet1d', Omit<TrainSettings, 'seed'>> = {
  probe: { epochs: 100, batchSize: 32, learningRate: 1e-3, weightDecay: 1e-5, patience: 20, schedule: 'constant', warmupEpochs: 0, minLrRatio: 0, layerDecay: 1 },
  endToEnd: { epochs: 10, batchSize: 16, learningRate: 1e-4, weightDecay: 1e-5, patience: 4, schedule: 'cosine', warmupEpochs: 1, minLrRatio: 0.01, layerDecay: 0.75 },
  // A CNN from scratch at a constant 1e-3 with weight decay 1e-2 (on the 1,499 PTB-XL records, 10 epochs: fold-10 macro AUROC 0.846).
  resnet1d: { epochs: 10, batchSize: 32, learningRate: 1e-3, weightDecay: 1e-2, patience: 4, schedule: 'constant', warmupEpochs: 0, minLrRatio: 0, layerDecay: 1 },
};

export interface EvaluationProgress {
  protocol: Protocol;
  phase: 'embedding' | 'training' | 'scoring';
  done: number;
  total: number;
  /** Which task group trains (single-task mode trains one head per task). */
  tasks: string[];
  epoch?: EpochRecord;
  /** End-to-end training: each optimizer step, for a progress bar between the epoch lines. */
  step?: TrainStepProgress;
}

export interface EvaluateOptions {
  /** The pre-trained encoder; null means a randomly initialised one of `config`'s architecture. */
  encoder: Encoder | null;
  /** Architecture for random init when `encoder` is null; otherwise the encoder's own is used. */
  config?: VitConfigInput;
  protocol: Protocol;
  dataset: CachedDataset;
  tasks: string[];
  split: SplitSpec | Split;
  /** Replaces the split's training part (data-usage and case-ratio simulations); must lie inside it. */
  trainIndices?: number[];
  /** Records with these quality flags are left out of every part (default clipped, constant; [] keeps all). */
  excludeFlags?: readonly QualityFlag[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  patience?: number;
  /** Learning-rate schedule after warm-up (end-to-end default cosine, probes constant). */
  schedule?: LrSchedule;
  /** Warm-up epochs (end-to-end default 1, probes 0). */
  warmupEpochs?: number;
  /** Cosine floor as a fraction of the learning rate (end-to-end default 0.01). */
  minLrRatio?: number;
  /** Layer-wise learning-rate decay when fine-tuning a pre-trained ViT (default 0.75; 1 = off; ignored otherwise). */
  layerDecay?: number;
  /** Time-shift / amplitude augmentation while training end to end (default on); ignored by linear probes. */
  augment?: boolean;
  seed: number;
  /** One head per task, trained separately, instead of one head with an output per task. */
  singleTask?: boolean;
  /** Where frozen embeddings are cached (linear protocols). */
  embeddingCache?: EmbeddingCache;
  /** Bootstrap resamples for the CIs (1,000 by default). */
  resamples?: number;
  /** Share decoded signals between calls on the same dataset. */
  signalSource?: SignalSource;
  /** Engine of fine-tuning steps and frozen embeddings (auto by default; see main/training/engine-choice.ts). */
  engine?: TrainingEngine;
  /** Architecture of the resnet1d protocol (RESNET1D_DEFAULT when absent). */
  resnet1d?: ResNet1dConfig;
  /** resnet1d: receives each trained network (the chosen epoch's weights and running statistics), e.g. to export it. */
  onResNet1d?(model: ResNet1dModel): void | Promise<void>;
  onProgress?(p: EvaluationProgress): void;
  signal?: AbortSignal;
}

export interface Predictions {
  indices: number[];
  /** Per task, aligned with `indices`. */
  labels: number[][];
  scores: number[][];
}

export interface EvaluationResult {
  protocol: Protocol;
  dataset: string;
  tasks: string[];
  split: { description: string; train: number; val: number; test: number };
  metrics: TaskMetrics[];
  criteria: number;
  meanAuroc: number;
  /** Early stopping: the epoch whose weights were used, per head (one entry unless single-task). */
  chosenEpochs: number[];
  epochsRun: number[];
  history: EpochRecord[][];
  settings: Omit<TrainSettings, 'seed'> & { seed: number; singleTask: boolean };
  encoder: { dim: number; patch: number; depth: number; pretrained: boolean };
  /** The CNN baseline's architecture in words and its weight count (resnet1d only; `encoder` then gives its width and block count). */
  model?: { description: string; parameters: number };
  embeddingsFromCache: boolean | null;
  /** Records left out for their quality flags, by flag, and the policy. */
  dataQuality?: { exclude: QualityFlag[]; excluded: Record<string, number> };
  val: Predictions;
  test: Predictions;
  /**
   * Linear protocols: the chosen head over the raw embeddings ([dim × tasks] row-major, standardisation folded in)
   * and the training records, so the probe can be exported as a model package with its encoder.
   */
  probe?: { dim: number; w: number[]; b: number[]; train: number[] };
  seconds: number;
  backend: string;
  /** The engine that trained (end-to-end) or embedded (probes), and why. */
  engine: string;
}

/** The recipe's settings are checked before any training: a bad value names the setting. */
export function checkRecipe(s: Omit<TrainSettings, 'seed'>): void {
  const bad = (name: string, rule: string, v: unknown) => new Error(`Training setting ${name} must be ${rule}, got ${String(v)}`);
  if (s.schedule !== undefined && s.schedule !== 'constant' && s.schedule !== 'cosine') throw bad('schedule', 'constant or cosine', s.schedule);
  if (s.warmupEpochs !== undefined && !(s.warmupEpochs >= 0 && s.warmupEpochs <= s.epochs)) throw bad('warmupEpochs', `between 0 and the epochs (${s.epochs})`, s.warmupEpochs);
  if (s.minLrRatio !== undefined && !(s.minLrRatio >= 0 && s.minLrRatio <= 1)) throw bad('minLrRatio', 'in [0, 1]', s.minLrRatio);
  if (s.layerDecay !== undefined && !(s.layerDecay > 0 && s.layerDecay <= 1)) throw bad('layerDecay', 'in (0, 1]', s.layerDecay);
  if (!(Number.isInteger(s.patience) && s.patience >= 1)) throw bad('patience', 'an integer ≥ 1', s.patience);
}

function isSplit(s: SplitSpec | Split): s is Split {
  return Array.isArray((s as Split).train);
}

/** Resolves the split and applies a training-part override, refusing anything that touches test records. */
export function resolveSplit(
  dataset: CachedDataset,
  spec: SplitSpec | Split,
  tasks: string[],
  trainIndices?: number[],
): Split {
  const split = isSplit(spec) ? spec : makeSplit(dataset, spec, tasks);
  const shared = patientsShared(dataset, split);
  if (shared.length) throw new Error(`split of ${dataset.name} puts ${shared.length} patient(s) in two parts`);
  if (!trainIndices) return split;
  const allowed = new Set(split.train);
  const outside = trainIndices.filter((i) => !allowed.has(i));
  if (outside.length) throw new Error(`${outside.length} training indices lie outside the split's training part`);
  return { ...split, train: [...trainIndices], description: `${split.description}; training subset of ${trainIndices.length}` };
}

function predictions(dataset: CachedDataset, indices: number[], tasks: string[], scores: Float32Array[]): Predictions {
  return {
    indices,
    labels: labelVectors(dataset, indices, tasks).map((y) => Array.from(y)),
    scores: scores.map((s) => Array.from(s)),
  };
}

export async function evaluate(opts: EvaluateOptions): Promise<EvaluationResult> {
  if (!PROTOCOLS.includes(opts.protocol)) {
    throw new Error(`unknown protocol "${String(opts.protocol)}" (use ${PROTOCOLS.join(', ')})`);
  }
  checkTasks(opts.dataset, opts.tasks);
  const exclude = [...(opts.excludeFlags ?? DEFAULT_EXCLUDE)];
  const { set: out, excluded } = excludedRecords(opts.dataset, exclude);
  const keep = (idx: number[]): number[] => (out.size ? idx.filter((i) => !out.has(i)) : idx);
  const whole = resolveSplit(opts.dataset, opts.split, opts.tasks);
  const base: Split = out.size
    ? { train: keep(whole.train), val: keep(whole.val), test: keep(whole.test), description: `${whole.description}; ${out.size} flagged records left out` }
    : whole;
  const split = opts.trainIndices ? resolveSplit(opts.dataset, base, opts.tasks, keep(opts.trainIndices)) : base;
  const result = await runProtocol(opts, split, base.train);
  return { ...result, dataQuality: { exclude, excluded: { ...excluded } } };
}

/**
 * The protocol on an already-checked split. Risk decomposition calls it directly for its oracle settings, whose
 * training part deliberately includes the test records; everything else goes through `evaluate`.
 * `embedTrain` lists training records whose embeddings are worth caching (the full training part, so subsets share them).
 */
export async function runProtocol(
  opts: Omit<EvaluateOptions, 'split' | 'trainIndices'>,
  split: Split,
  embedTrain: number[] = split.train,
): Promise<EvaluationResult> {
  const started = performance.now();
  const backend = await initBackend();
  const { dataset, tasks, protocol } = opts;
  const probe = protocol === 'linear' || protocol === 'random-linear';
  const randomInit = opts.encoder === null || protocol === 'supervised' || protocol === 'random-linear';
  const defaults = PROTOCOL_DEFAULTS[protocol === 'resnet1d' ? 'resnet1d' : probe ? 'probe' : 'endToEnd'];
  const settings: TrainSettings = {
    epochs: opts.epochs ?? defaults.epochs,
    batchSize: opts.batchSize ?? defaults.batchSize,
    learningRate: opts.learningRate ?? defaults.learningRate,
    weightDecay: opts.weightDecay ?? defaults.weightDecay,
    patience: opts.patience ?? defaults.patience,
    schedule: opts.schedule ?? defaults.schedule,
    warmupEpochs: opts.warmupEpochs ?? defaults.warmupEpochs,
    minLrRatio: opts.minLrRatio ?? defaults.minLrRatio,
    // Only a pre-trained encoder has lower layers worth keeping close to where pre-training left them.
    layerDecay: protocol === 'finetune' && !randomInit ? (opts.layerDecay ?? defaults.layerDecay) : 1,
    seed: opts.seed,
    augment: !probe && (opts.augment ?? true),
  };
  checkRecipe(settings);
  if (!(settings.epochs >= 1 && settings.batchSize >= 1)) throw new Error('epochs and batch size must be at least 1');
  const source = opts.signalSource ?? new SignalSource(dataset);
  const groups = opts.singleTask ? tasks.map((t) => [t]) : [tasks];
  const progress = (p: Omit<EvaluationProgress, 'protocol'>) => opts.onProgress?.({ protocol, ...p });
  const onEpoch = (group: string[]) => (epoch: EpochRecord) => progress({ phase: 'training', done: epoch.epoch, total: settings.epochs, tasks: group, epoch });
  const onStep = (group: string[]) => (step: TrainStepProgress) => progress({ phase: 'training', done: step.epoch - 1, total: settings.epochs, tasks: group, step });

  if (protocol === 'resnet1d') {
    // The CNN baseline: no encoder, trained from its labels on the same split, seeds and early stopping.
    settings.engine = 'ort';
    const cnn = opts.resnet1d ?? RESNET1D_DEFAULT;
    const outcomes: Array<TrainOutcome & { parameters: number }> = [];
    for (const group of groups) {
      const data = { dataset, source, train: split.train, val: split.val, test: split.test };
      outcomes.push(await trainResNet1d(data, group, settings, { signal: opts.signal, onEpoch: onEpoch(group), onStep: onStep(group), onChosen: opts.onResNet1d }, cnn));
    }
    const parameters = outcomes[0]?.parameters ?? 0;
    return scored(opts, split, outcomes, settings, {
      encoder: { dim: cnn.blocks[cnn.blocks.length - 1]!.filters, patch: 0, depth: cnn.blocks.length, pretrained: false },
      model: { description: describeResNet1d(cnn, parameters), parameters },
      embeddingsFromCache: null,
      started,
      backend: backend.description,
      engine: `ort (the ResNet baseline trains on ONNX Runtime${opts.engine === 'tfjs' ? '; --engine tfjs applies to the ViT protocols only' : ''})`,
    });
  }

  const architecture = opts.encoder?.config ?? opts.config;
  if (randomInit && !architecture) throw new Error(`protocol ${protocol} with no encoder needs a model config for random init`);
  const encoder = randomInit ? createEncoder(architecture as VitConfigInput, deriveSeed(opts.seed, 'random-init')) : (opts.encoder as Encoder);

  // Forward-only work takes ONNX Runtime unless tfjs is asked for; end-to-end training measures (auto).
  const engine = probe ? await forwardEngine(opts.engine) : await chooseEngine(opts.engine, { kind: 'finetune', model: encoder.config, batch: settings.batchSize });
  settings.engine = engine.name;
  let embeddingsFromCache: boolean | null = null;
  const outcomes: TrainOutcome[] = [];
  // Fine-tuning changes the caller's encoder: keep its weights and put them back afterwards.
  const original = !randomInit && !probe ? encoder.trainableVariables().map((v) => tf.clone(v)) : null;
  try {
    if (probe) {
      const cache = randomInit ? undefined : opts.embeddingCache;
      // A cached table covers the whole dataset, so every split and subset of it reuses one pass.
      const wanted = cache ? Array.from({ length: dataset.count }, (_, i) => i) : [...embedTrain, ...split.train, ...split.val, ...split.test];
      const table = await computeEmbeddings(encoder, source, wanted, {
        batchSize: 64,
        engine: engine.name,
        cache,
        onBatch: (done, total) => progress({ phase: 'embedding', done, total, tasks }),
      });
      embeddingsFromCache = table.fromCache;
      for (const group of groups) {
        const outcome = await trainProbe(
          {
            dim: table.dim,
            train: rowsOf(table, split.train),
            val: rowsOf(table, split.val),
            test: rowsOf(table, split.test),
            trainLabels: labelVectors(dataset, split.train, group),
            valLabels: labelVectors(dataset, split.val, group),
          },
          group,
          settings,
          {
            signal: opts.signal,
            onEpoch: onEpoch(group),
          },
        );
        outcomes.push(outcome);
      }
    } else {
      for (const group of groups) {
        if (original) encoder.trainableVariables().forEach((v, k) => v.assign(original[k] as tf.Tensor));
        const outcome = await trainEndToEnd(
          encoder,
          { dataset, source, train: split.train, val: split.val, test: split.test },
          group,
          settings,
          {
            signal: opts.signal,
            onEpoch: onEpoch(group),
            onStep: onStep(group),
          },
        );
        outcomes.push(outcome);
        // A fresh random encoder per task group in single-task supervised runs.
        if (randomInit && groups.length > 1) {
          const fresh = createEncoder(architecture as VitConfigInput, deriveSeed(opts.seed, 'random-init'));
          encoder.trainableVariables().forEach((v, k) => v.assign(fresh.trainableVariables()[k] as tf.Variable));
          fresh.dispose();
        }
      }
    }
  } finally {
    if (original) {
      encoder.trainableVariables().forEach((v, k) => v.assign(original[k] as tf.Tensor));
      tf.dispose(original);
    }
    if (randomInit) encoder.dispose();
  }

  return scored(opts, split, outcomes, settings, {
    encoder: {
      dim: (architecture as VitConfigInput).dim,
      patch: (architecture as VitConfigInput).patch,
      depth: (architecture as VitConfigInput).depth,
      pretrained: !randomInit,
    },
    embeddingsFromCache,
    started,
    backend: backend.description,
    engine: engine.reason,
  });
}

/** Test metrics with CIs (thresholds from validation) and the result record, from the trained heads' scores. */
function scored(
  opts: Omit<EvaluateOptions, 'split' | 'trainIndices'>,
  split: Split,
  outcomes: TrainOutcome[],
  settings: TrainSettings,
  meta: Pick<EvaluationResult, 'encoder' | 'model' | 'embeddingsFromCache' | 'backend' | 'engine'> & { started: number },
): EvaluationResult {
  const { dataset, tasks, protocol } = opts;
  const probe = protocol === 'linear' || protocol === 'random-linear';
  opts.onProgress?.({ protocol, phase: 'scoring', done: 0, total: tasks.length, tasks });
  const valScores = outcomes.flatMap((o) => o.valScores);
  const testScores = outcomes.flatMap((o) => o.testScores);
  const valLabels = labelVectors(dataset, split.val, tasks);
  const testLabels = labelVectors(dataset, split.test, tasks);
  const metrics = tasks.map((task, t) =>
    taskMetrics(task, testLabels[t] as Uint8Array, testScores[t] as Float32Array, {
      validation: { labels: valLabels[t] as Uint8Array, scores: valScores[t] as Float32Array },
      resamples: opts.resamples ?? 1000,
      seed: opts.seed,
    }),
  );
  const finite = metrics.map((m) => m.auroc).filter(Number.isFinite);
  return {
    ...(probe ? { probe: probeHead(outcomes, tasks.length, split.train) } : {}),
    protocol,
    dataset: dataset.name,
    tasks,
    split: { description: split.description, train: split.train.length, val: split.val.length, test: split.test.length },
    metrics,
    criteria: criteriaScore(metrics),
    meanAuroc: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN,
    chosenEpochs: outcomes.map((o) => o.chosenEpoch),
    epochsRun: outcomes.map((o) => o.history.length),
    history: outcomes.map((o) => o.history),
    settings: {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      weightDecay: settings.weightDecay,
      patience: settings.patience,
      schedule: settings.schedule,
      warmupEpochs: settings.warmupEpochs,
      minLrRatio: settings.minLrRatio,
      layerDecay: settings.layerDecay,
      seed: settings.seed,
      augment: Boolean(settings.augment),
      singleTask: Boolean(opts.singleTask),
    },
    encoder: meta.encoder,
    ...(meta.model ? { model: meta.model } : {}),
    embeddingsFromCache: meta.embeddingsFromCache,
    val: predictions(dataset, split.val, tasks, valScores),
    test: predictions(dataset, split.test, tasks, testScores),
    seconds: (performance.now() - meta.started) / 1000,
    backend: meta.backend,
    engine: meta.engine,
  };
}

/** The task groups' probe heads side by side, one column per task in task order. */
function probeHead(outcomes: TrainOutcome[], tasks: number, train: number[]): NonNullable<EvaluationResult['probe']> {
  const heads = outcomes.map((o) => o.probeHead);
  const dim = heads[0]?.dim ?? 0;
  const w = new Array<number>(dim * tasks).fill(0);
  const b: number[] = [];
  let col = 0;
  for (const h of heads) {
    if (!h) throw new Error('a linear probe finished without its head');
    const k = h.b.length;
    for (let j = 0; j < dim; j++) for (let t = 0; t < k; t++) w[j * tasks + col + t] = h.w[j * k + t] as number;
    b.push(...h.b);
    col += k;
  }
  return { dim, w, b, train: [...train] };
}

/** Predictions as the CSV `ecgfm metrics` reads: id, split, label_<task>…, score_<task>…. */
export function predictionsCsv(result: EvaluationResult, dataset: CachedDataset): string {
  const lines = [['id', 'split', ...result.tasks.map((t) => `label_${t}`), ...result.tasks.map((t) => `score_${t}`)].join(',')];
  for (const [part, p] of [
    ['val', result.val],
    ['test', result.test],
  ] as const) {
    p.indices.forEach((i, k) => {
      const id = dataset.meta(i).id.replace(/[",\n]/g, '_');
      lines.push([id, part, ...p.labels.map((l) => String(l[k])), ...p.scores.map((s) => String(s[k]))].join(','));
    });
  }
  return lines.join('\n') + '\n';
}
