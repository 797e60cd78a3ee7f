/**
 * Downstream training loops: a logistic head over cached embeddings (linear probing) or over a trainable encoder
 * (fine-tuning / supervised). Both use AdamW (lr 1e-4, wd 1e-5 by default, as the paper), a per-step learning-rate
 * schedule (linear warm-up, then cosine decay: training/config.ts `learningRateAt`), layer-wise learning-rate decay
 * when fine-tuning a ViT (training/layer-decay.ts), and early stopping on the validation mean AUROC: the weights of
 * the best epoch are restored, and that epoch and the one training stopped at are recorded.
 * The test records are only scored after training, with the chosen weights.
 */
import { tf } from '../compute/tf.js';
import type { CachedDataset } from '../data/types.js';
import { dense } from '../models/ops.js';
import { FoundationModel } from '../models/foundation.js';
import type { Encoder } from '../models/types.js';
import { AdamW } from '../training/adamw.js';
import { learningRateAt } from '../training/config.js';
import { layerDecayScale } from '../training/layer-decay.js';
import { chunks, labelTensor, labelVectors, type SignalSource } from './batches.js';
import { auroc, meanAuroc } from './metrics.js';
import { createRng, deriveSeed, shuffleInPlace } from './random.js';
import type { ResolvedEngine } from '../../contract/training.js';
import type { LrSchedule } from '../../contract/vocabulary.js';
import type { TrainingStep } from '../../contract/progress.js';

/** Thrown when the caller's AbortSignal fires; the encoder's weights are restored before it propagates. */
export class EvaluationCancelled extends Error {
  constructor() {
    super('evaluation cancelled');
    this.name = 'EvaluationCancelled';
  }
}

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  seed: number;
  learningRate: number;
  weightDecay: number;
  /** Epochs without a better validation AUROC before stopping. */
  patience: number;
  /** Learning rate after warm-up: constant, or cosine decay to minLrRatio·lr over all `epochs` (default constant). */
  schedule?: LrSchedule;
  /** Linear warm-up, in epochs (fractions allowed; default 0). */
  warmupEpochs?: number;
  /** Floor of the cosine schedule as a fraction of the learning rate (default 0). */
  minLrRatio?: number;
  /**
   * Layer-wise learning-rate decay of the encoder (ViT only): block i of L trains at lr·decay^(L−i), the patch
   * embedding at lr·decay^(L+1), the final norm and the head at lr. 1 (default) = one rate for all.
   */
  layerDecay?: number;
  /** Random time shift and amplitude scaling of training ECGs (end-to-end protocols only). */
  augment?: boolean;
  /** Engine of end-to-end training steps (tfjs when absent); probes always train their small head in tfjs. */
  engine?: ResolvedEngine;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valMeanAuroc: number;
  /** Validation AUROC per task of the head (NaN where the validation part has one class). */
  valAurocs: number[];
  seconds: number;
}

export interface TrainOutcome {
  /** Sigmoid scores per task for the validation and test records, from the chosen epoch's weights. */
  valScores: Float32Array[];
  testScores: Float32Array[];
  /** 1-based epoch whose weights were used (0 = the untrained head, when no epoch beat it). */
  chosenEpoch: number;
  bestValMeanAuroc: number;
  history: EpochRecord[];
  stoppedEarly: boolean;
  /**
   * Linear probes: the chosen head on the raw embeddings, the feature standardisation folded in
   * (w' = w/sd, b' = b − Σ w·mean/sd), row-major [dim × tasks]; exportable as a model package with its encoder.
   */
  probeHead?: { dim: number; w: Float32Array; b: Float32Array };
  /** The last epoch trained (= history.length; below `epochs` when early stopping ended the run). */
  stoppedEpoch: number;
}

/** A logistic head: one output per task, PyTorch Linear's uniform ±1/√D initialisation, seeded. */
export class LinearHead {
  readonly w: tf.Variable;
  readonly b: tf.Variable;

  constructor(dim: number, outputs: number, seed: number) {
    const rng = createRng(deriveSeed(seed, 'head'));
    const limit = 1 / Math.sqrt(dim);
    const w = Float32Array.from({ length: dim * outputs }, () => (rng() * 2 - 1) * limit);
    // Inside tidy so the initial-value tensors are freed (variables survive tidy).
    this.w = tf.tidy(() => tf.variable(tf.tensor2d(w, [dim, outputs]), true));
    this.b = tf.tidy(() => tf.variable(tf.zeros([outputs]), true));
  }

  logits(x: tf.Tensor2D): tf.Tensor2D {
    return dense(x, this.w, this.b);
  }

  variables(): tf.Variable[] {
    return [this.w, this.b];
  }

  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}

/** Reads are asynchronous so that the loops run on webgpu too (it has no synchronous readback in Node). */
async function snapshot(vars: tf.Variable[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const v of vars) out.push(((await v.data()) as Float32Array).slice());
  return out;
}

function restore(vars: tf.Variable[], values: Float32Array[]): void {
  vars.forEach((v, k) => tf.tidy(() => v.assign(tf.tensor(values[k] as Float32Array, v.shape))));
}

/** [N·T] row-major sigmoid outputs → one Float32Array per task. */
export function splitTasks(flat: Float32Array, n: number, tasks: number): Float32Array[] {
  return Array.from({ length: tasks }, (_, t) => Float32Array.from({ length: n }, (_, i) => flat[i * tasks + t] as number));
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

export interface LoopParts {
  tasks: string[];
  trainCount: number;
  valLabels: Uint8Array[];
  settings: TrainSettings;
  /** One optimizer step on these rows (positions in the train list) at learning rate `lr`; resolves to its mean loss. */
  trainStep(rows: number[], lr: number): Promise<number>;
  /** Copies of the trained weights, and their restoration (early stopping keeps the best epoch's). */
  snapshot(): Promise<Float32Array[]>;
  restore(values: Float32Array[]): void;
  /** Sigmoid scores for the validation records, per task. */
  scoreVal(): Promise<Float32Array[]>;
  onEpoch?(record: EpochRecord): void;
  /** After each optimizer step, for a progress bar between epoch lines. */
  onStep?(s: TrainStepProgress): void;
  signal?: AbortSignal;
}

/** One training step, as progress reports it: the contract's shape, so the UI and the CLI read the same fields. */
export type TrainStepProgress = TrainingStep;

/** The learning rate of each step of a downstream run: the schedule over all `epochs`, warm-up in epochs. */
export function stepLearningRate(settings: TrainSettings, stepsPerEpoch: number): (step: number) => number {
  const total = settings.epochs * stepsPerEpoch;
  const schedule = {
    lr: settings.learningRate,
    warmupSteps: Math.round((settings.warmupEpochs ?? 0) * stepsPerEpoch),
    schedule: settings.schedule ?? 'constant',
    minLrRatio: settings.minLrRatio ?? 0,
  };
  return (step) => learningRateAt(schedule, step, total);
}

/** The epoch loop shared by every engine: shuffled batches, validation AUROC, early stopping, best weights restored. */
export async function trainLoop(parts: LoopParts): Promise<Omit<TrainOutcome, 'valScores' | 'testScores'>> {
  const { settings } = parts;
  const lrAt = stepLearningRate(settings, Math.ceil(parts.trainCount / settings.batchSize));
  let globalStep = 0;
  const history: EpochRecord[] = [];
  const valAurocs = (scores: Float32Array[]) => parts.valLabels.map((y, t) => auroc(y, scores[t] as Float32Array));
  let best = meanAuroc(parts.valLabels, await parts.scoreVal());
  let bestWeights = await parts.snapshot();
  let chosenEpoch = 0;
  let stale = 0;
  let stoppedEarly = false;
  const order = Array.from({ length: parts.trainCount }, (_, i) => i);
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    const started = performance.now();
    shuffleInPlace(order, createRng(deriveSeed(settings.seed, `epoch:${epoch}`)));
    let lossSum = 0;
    let steps = 0;
    let samples = 0;
    const perEpoch = Math.ceil(parts.trainCount / settings.batchSize);
    for (const rows of chunks(order, settings.batchSize)) {
      if (parts.signal?.aborted) throw new EvaluationCancelled();
      lossSum += await parts.trainStep(rows, lrAt(globalStep++));
      steps++;
      samples += rows.length;
      parts.onStep?.({ epoch, epochs: settings.epochs, step: steps, steps: perEpoch, samples, trainCount: parts.trainCount });
      await tick();
    }
    const scores = await parts.scoreVal();
    const val = meanAuroc(parts.valLabels, scores);
    const record = {
      epoch,
      trainLoss: lossSum / Math.max(1, steps),
      valMeanAuroc: val,
      valAurocs: valAurocs(scores),
      seconds: (performance.now() - started) / 1000,
    };
    history.push(record);
    parts.onEpoch?.(record);
    // NaN (a validation part with one class only) never counts as an improvement.
    if (val > best || (Number.isNaN(best) && Number.isFinite(val))) {
      best = val;
      bestWeights = await parts.snapshot();
      chosenEpoch = epoch;
      stale = 0;
    } else if (++stale >= settings.patience) {
      stoppedEarly = epoch < settings.epochs;
      break;
    }
  }
  parts.restore(bestWeights);
  return { chosenEpoch, bestValMeanAuroc: best, history, stoppedEarly, stoppedEpoch: history.length };
}

/**
 * A tfjs step: `inputs(rows)` gives the mean loss to build under the optimizer's gradient tape and a `dispose`
 * for the inputs after the update (they must outlive the backward pass).
 */
function tfjsStep(optimizer: AdamW, variables: tf.Variable[], inputs: (rows: number[]) => { loss(): tf.Scalar; dispose(): void }) {
  return async (rows: number[], lr: number): Promise<number> => {
    optimizer.learningRate = lr;
    const step = inputs(rows);
    const loss = optimizer.minimize(() => step.loss(), true, variables);
    step.dispose();
    let value = NaN;
    if (loss) {
      value = ((await loss.data()) as Float32Array)[0] ?? NaN;
      loss.dispose();
    }
    return value;
  };
}

export interface ProbeData {
  dim: number;
  train: Float32Array;
  val: Float32Array;
  test: Float32Array;
  trainLabels: Uint8Array[];
  valLabels: Uint8Array[];
}

/** Standardises features with the training part's mean and sd (the frozen encoder's scale is arbitrary). */
function standardise(d: ProbeData): ProbeData & { mean: Float64Array; sd: Float64Array } {
  const n = d.train.length / d.dim;
  const mean = new Float64Array(d.dim);
  const sq = new Float64Array(d.dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d.dim; j++) {
      const v = d.train[i * d.dim + j] as number;
      mean[j] = (mean[j] as number) + v;
      sq[j] = (sq[j] as number) + v * v;
    }
  }
  const sd = new Float64Array(d.dim);
  for (let j = 0; j < d.dim; j++) {
    mean[j] = (mean[j] as number) / Math.max(1, n);
    sd[j] = Math.sqrt(Math.max(0, (sq[j] as number) / Math.max(1, n) - (mean[j] as number) ** 2)) || 1;
  }
  const apply = (x: Float32Array) => x.map((v, k) => (v - (mean[k % d.dim] as number)) / (sd[k % d.dim] as number));
  return { ...d, train: apply(d.train), val: apply(d.val), test: apply(d.test), mean, sd };
}

async function scoreFeatures(head: LinearHead, x: Float32Array, dim: number, tasks: number): Promise<Float32Array[]> {
  const n = x.length / dim;
  if (n === 0) return Array.from({ length: tasks }, () => new Float32Array(0));
  const p = tf.tidy(() => tf.sigmoid(head.logits(tf.tensor2d(x, [n, dim]))));
  const flat = (await p.data()) as Float32Array;
  p.dispose();
  return splitTasks(flat, n, tasks);
}

/** Linear probing: a logistic head trained on frozen embeddings. */
export async function trainProbe(
  data: ProbeData,
  tasks: string[],
  settings: TrainSettings,
  hooks: { onEpoch?(r: EpochRecord): void; signal?: AbortSignal } = {},
): Promise<TrainOutcome> {
  const d = standardise(data);
  const n = d.train.length / d.dim;
  const head = new LinearHead(d.dim, tasks.length, settings.seed);
  const optimizer = new AdamW({ learningRate: settings.learningRate, weightDecay: settings.weightDecay });
  const x = tf.tensor2d(d.train, [n, d.dim]);
  const yFlat = new Float32Array(n * tasks.length);
  for (let i = 0; i < n; i++) for (let t = 0; t < tasks.length; t++) yFlat[i * tasks.length + t] = d.trainLabels[t]?.[i] ?? 0;
  const y = tf.tensor2d(yFlat, [n, tasks.length]);
  try {
    const loop = await trainLoop(
      {
        tasks,
        trainCount: n,
        valLabels: d.valLabels,
        settings,
        trainStep: tfjsStep(optimizer, head.variables(), (rows) => {
          // Gathering constants needs no gradient, so this stays on kernels wasm has.
          const [xb, yb] = tf.tidy(() => {
            const idx = tf.tensor1d(rows, 'int32');
            return [tf.gather(x, idx) as tf.Tensor2D, tf.gather(y, idx)];
          });
          return {
            loss: () => tf.losses.sigmoidCrossEntropy(yb, head.logits(xb)) as tf.Scalar,
            dispose: () => tf.dispose([xb, yb]),
          };
        }),
        snapshot: () => snapshot(head.variables()),
        restore: (values) => restore(head.variables(), values),
        scoreVal: () => scoreFeatures(head, d.val, d.dim, tasks.length),
        ...hooks,
      },
    );
    const [w, b] = await snapshot(head.variables());
    const folded = Float32Array.from(w as Float32Array, (v, k) => v / (d.sd[Math.floor(k / tasks.length)] as number));
    const bias = Float32Array.from(b as Float32Array, (v, t) => {
      let shift = 0;
      for (let j = 0; j < d.dim; j++) shift += (folded[j * tasks.length + t] as number) * (d.mean[j] as number);
      return v - shift;
    });
    return {
      ...loop,
      valScores: await scoreFeatures(head, d.val, d.dim, tasks.length),
      testScores: await scoreFeatures(head, d.test, d.dim, tasks.length),
      probeHead: { dim: d.dim, w: folded, b: bias },
    };
  } finally {
    x.dispose();
    y.dispose();
    optimizer.dispose();
    head.dispose();
  }
}

async function scoreSignals(
  encoder: Encoder,
  head: LinearHead,
  source: SignalSource,
  indices: number[],
  tasks: number,
  batchSize: number,
): Promise<Float32Array[]> {
  const flat = new Float32Array(indices.length * tasks);
  let done = 0;
  for (const chunk of chunks(indices, batchSize)) {
    const x = source.batch(chunk);
    const p = tf.tidy(() => tf.sigmoid(head.logits(encoder.embed(x, false))));
    flat.set((await p.data()) as Float32Array, done * tasks);
    x.dispose();
    p.dispose();
    done += chunk.length;
  }
  return splitTasks(flat, indices.length, tasks);
}

export interface EndToEndData {
  dataset: CachedDataset;
  source: SignalSource;
  train: number[];
  val: number[];
  test: number[];
}

export interface EndToEndHooks {
  onEpoch?(r: EpochRecord): void;
  onStep?(s: TrainStepProgress): void;
  signal?: AbortSignal;
  /**
   * Receives the encoder and head holding the chosen epoch's weights, before the head is disposed (and before
   * `evaluate` restores the caller's encoder): the one chance to keep the fine-tuned model, e.g. for export.
   */
  onChosen?(model: { encoder: Encoder; head: LinearHead }): void | Promise<void>;
}

/**
 * The learning-rate multiplier of each encoder weight under layer-wise decay (empty when off, or for an encoder
 * without ViT blocks); the head always trains at the full rate.
 */
export function layerScales(encoder: Encoder, decay: number | undefined): Array<[tf.Variable, number]> {
  if (decay === undefined || decay === 1 || !(encoder instanceof FoundationModel)) return [];
  return [...encoder.params.vars].filter(([n]) => n.startsWith('enc.')).map(([n, v]) => [v, layerDecayScale(n, encoder.config.depth, decay)]);
}

/**
 * Fine-tuning (pre-trained encoder) or supervised learning (random-init encoder): encoder and head train together.
 * The encoder's weights are changed in place; the caller restores or disposes it.
 */
export async function trainEndToEnd(
  encoder: Encoder,
  data: EndToEndData,
  tasks: string[],
  settings: TrainSettings,
  hooks: EndToEndHooks = {},
): Promise<TrainOutcome> {
  if (settings.engine === 'ort') {
    const { trainEndToEndOrt } = await import('../onnx/train/finetune.js');
    return trainEndToEndOrt(encoder, data, tasks, settings, hooks);
  }
  const { onChosen, ...loopHooks } = hooks;
  const head = new LinearHead(encoder.config.dim, tasks.length, settings.seed);
  const optimizer = new AdamW({ learningRate: settings.learningRate, weightDecay: settings.weightDecay });
  for (const [v, scale] of layerScales(encoder, settings.layerDecay)) optimizer.lrScale.set(v.name, scale);
  const evalBatch = Math.max(settings.batchSize, 64);
  const augment = settings.augment ? createRng(deriveSeed(settings.seed, 'augment')) : undefined;
  const variables = [...encoder.trainableVariables(), ...head.variables()];
  try {
    const loop = await trainLoop(
      {
        tasks,
        trainCount: data.train.length,
        valLabels: labelVectors(data.dataset, data.val, tasks),
        settings,
        trainStep: tfjsStep(optimizer, variables, (rows) => {
          const indices = rows.map((r) => data.train[r] as number);
          const x = data.source.batch(indices, augment);
          const y = labelTensor(data.dataset, indices, tasks);
          return {
            loss: () => tf.losses.sigmoidCrossEntropy(y, head.logits(encoder.embed(x, true))) as tf.Scalar,
            dispose: () => tf.dispose([x, y]),
          };
        }),
        snapshot: () => snapshot(variables),
        restore: (values) => restore(variables, values),
        scoreVal: () => scoreSignals(encoder, head, data.source, data.val, tasks.length, evalBatch),
        ...loopHooks,
      },
    );
    const outcome = {
      ...loop,
      valScores: await scoreSignals(encoder, head, data.source, data.val, tasks.length, evalBatch),
      testScores: await scoreSignals(encoder, head, data.source, data.test, tasks.length, evalBatch),
    };
    await onChosen?.({ encoder, head });
    return outcome;
  } finally {
    optimizer.dispose();
    head.dispose();
  }
}
