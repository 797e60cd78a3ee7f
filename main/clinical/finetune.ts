/**
 * Fine-tuning that keeps its weights, for export as a clinical model.
 *
 * The evaluation engine's `trainEndToEnd` disposes its task head and `runProtocol` restores the encoder
 * afterwards, so an evaluation run holds no deployable weights. This loop is the same recipe (logistic head,
 * AdamW, early stopping on validation mean AUROC, best epoch restored) but saves encoder + head in a run
 * folder, with the validation predictions that later choose operating points.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../compute/backend.js';
import { tf } from '../compute/tf.js';
import type { CachedDataset } from '../data/types.js';
import { chunks, labelTensor, labelVectors, SignalSource } from '../evaluation/batches.js';
import { auroc, averagePrecision, meanAuroc } from '../evaluation/metrics.js';
import { createRng, deriveSeed, shuffleInPlace } from '../evaluation/random.js';
import { checkTasks, makeSplit, patientsShared, type SplitSpec } from '../evaluation/splits.js';
import { LinearHead } from '../evaluation/train.js';
import { createEncoder } from '../models/encoder.js';
import type { FoundationModel } from '../models/foundation.js';
import { loadTensorFile, saveTensorFile } from '../models/tensor-file.js';
import type { Encoder, VitConfig } from '../models/types.js';
import type { VitConfigInput } from '../models/vit.js';
import { AdamW } from '../training/adamw.js';
import { HEAD_B, HEAD_W } from './model.js';
import type { NamedWeights } from './package.js';

export const CLINICAL_RUN_FILE = 'clinical-model.json';
export const CLINICAL_WEIGHTS_FILE = 'clinical-weights.ecgfmt';

export interface FineTuneOptions {
  /** A pre-trained encoder (fine-tuned in place; the caller disposes it) or null for random init of `config`. */
  encoder: Encoder | null;
  encoderRun?: string | null;
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
  seed?: number;
  outDir: string;
  onEpoch?(e: { epoch: number; epochs: number; trainLoss: number; valMeanAuroc: number; seconds: number }): void;
}

/** What a clinical fine-tuning run folder records next to its weights. */
export interface ClinicalRunRecord {
  architecture: VitConfig;
  tasks: string[];
  dataset: string;
  datasetKind: string;
  split: string;
  encoderRun: string | null;
  settings: { epochs: number; batchSize: number; learningRate: number; weightDecay: number; patience: number; seed: number };
  chosenEpoch: number;
  history: Array<{ epoch: number; trainLoss: number; valMeanAuroc: number; seconds: number }>;
  validation: { ids: string[]; labels: number[][]; scores: number[][] };
  validationMetrics: Array<{ task: string; n: number; positives: number; auroc: number; auprc: number }>;
  backend: string;
  createdAt: string;
}

function scores(encoder: Encoder, head: LinearHead, source: SignalSource, indices: number[], tasks: number): number[][] {
  const out = Array.from({ length: tasks }, () => [] as number[]);
  for (const chunk of chunks(indices, 64)) {
    const x = source.batch(chunk);
    const p = tf.tidy(() => tf.sigmoid(head.logits(encoder.embed(x, false))));
    const flat = p.dataSync() as Float32Array;
    tf.dispose([x, p]);
    for (let i = 0; i < chunk.length; i++) for (let t = 0; t < tasks; t++) out[t]!.push(flat[i * tasks + t] as number);
  }
  return out;
}

export async function fineTuneClinical(opts: FineTuneOptions): Promise<ClinicalRunRecord> {
  const backend = await initBackend();
  const { dataset, tasks } = opts;
  checkTasks(dataset, tasks);
  const split = makeSplit(dataset, opts.split ?? { kind: 'strat_fold', trainFolds: [1, 2, 3, 4, 5, 6, 7, 8], valFolds: [9], testFolds: [10] }, tasks);
  if (patientsShared(dataset, split).length) throw new Error(`split of ${dataset.name} puts a patient in two parts`);
  const settings = {
    epochs: opts.epochs ?? 10,
    batchSize: opts.batchSize ?? 16,
    learningRate: opts.learningRate ?? 1e-4,
    weightDecay: opts.weightDecay ?? 1e-5,
    patience: opts.patience ?? 4,
    seed: opts.seed ?? 0,
  };
  const architecture = opts.encoder?.config ?? opts.config;
  if (!architecture) throw new Error('fine-tuning needs an encoder run or a model config for random init');
  const encoder = opts.encoder ?? createEncoder(architecture, deriveSeed(settings.seed, 'random-init'));
  const head = new LinearHead(encoder.config.dim, tasks.length, settings.seed);
  const optimizer = new AdamW({ learningRate: settings.learningRate, weightDecay: settings.weightDecay });
  const source = new SignalSource(dataset);
  const variables = [...encoder.trainableVariables(), ...head.variables()];
  const valLabels = labelVectors(dataset, split.val, tasks);
  const snap = () => variables.map((v) => (v.dataSync() as Float32Array).slice());
  try {
    let best = meanAuroc(valLabels, scores(encoder, head, source, split.val, tasks.length));
    let bestWeights = snap();
    let chosenEpoch = 0;
    let stale = 0;
    const history: ClinicalRunRecord['history'] = [];
    const order = [...split.train];
    for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      const started = performance.now();
      shuffleInPlace(order, createRng(deriveSeed(settings.seed, `epoch:${epoch}`)));
      let lossSum = 0;
      let steps = 0;
      for (const batch of chunks(order, settings.batchSize)) {
        const x = source.batch(batch);
        const y = labelTensor(dataset, batch, tasks);
        const loss = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, head.logits(encoder.embed(x, true))) as tf.Scalar, true, variables);
        tf.dispose([x, y]);
        if (loss) {
          lossSum += (loss.dataSync() as Float32Array)[0] as number;
          loss.dispose();
        }
        steps++;
        await new Promise((r) => setImmediate(r));
      }
      const val = meanAuroc(valLabels, scores(encoder, head, source, split.val, tasks.length));
      const rec = { epoch, trainLoss: lossSum / Math.max(1, steps), valMeanAuroc: val, seconds: (performance.now() - started) / 1000 };
      history.push(rec);
      opts.onEpoch?.({ ...rec, epochs: settings.epochs });
      if (val > best || (Number.isNaN(best) && Number.isFinite(val))) {
        best = val;
        bestWeights = snap();
        chosenEpoch = epoch;
        stale = 0;
      } else if (++stale >= settings.patience) break;
    }
    variables.forEach((v, k) => tf.tidy(() => v.assign(tf.tensor(bestWeights[k] as Float32Array, v.shape))));
    const valScores = scores(encoder, head, source, split.val, tasks.length);

    mkdirSync(opts.outDir, { recursive: true });
    const weights: NamedWeights = (encoder as FoundationModel).params.snapshot();
    for (const name of [...weights.keys()]) if (!name.startsWith('enc.')) weights.delete(name);
    weights.set(HEAD_W, { shape: [...head.w.shape], data: (head.w.dataSync() as Float32Array).slice() });
    weights.set(HEAD_B, { shape: [...head.b.shape], data: (head.b.dataSync() as Float32Array).slice() });
    saveTensorFile(join(opts.outDir, CLINICAL_WEIGHTS_FILE), weights);
    const record: ClinicalRunRecord = {
      architecture: encoder.config,
      tasks,
      dataset: dataset.name,
      datasetKind: dataset.kind,
      split: split.description,
      encoderRun: opts.encoderRun ?? null,
      settings,
      chosenEpoch,
      history,
      validation: { ids: split.val.map((i) => dataset.meta(i).id), labels: valLabels.map((l) => Array.from(l)), scores: valScores },
      validationMetrics: tasks.map((task, t) => ({
        task,
        n: split.val.length,
        positives: valLabels[t]!.reduce((a, b) => a + b, 0),
        auroc: auroc(valLabels[t]!, valScores[t]!),
        auprc: averagePrecision(valLabels[t]!, valScores[t]!),
      })),
      backend: backend.description,
      createdAt: new Date().toISOString(),
    };
    writeFileSync(join(opts.outDir, CLINICAL_RUN_FILE), JSON.stringify(record, null, 2));
    return record;
  } finally {
    optimizer.dispose();
    head.dispose();
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
