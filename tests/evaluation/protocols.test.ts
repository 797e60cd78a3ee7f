import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import type { CachedDataset } from '../../main/data/types.js';
import { SignalSource } from '../../main/evaluation/batches.js';
import { evaluate, predictionsCsv } from '../../main/evaluation/evaluate.js';
import { auroc } from '../../main/evaluation/metrics.js';
import { readPredictionCsv, scorePredictions } from '../../main/evaluation/predictions-csv.js';
import { riskDecomposition } from '../../main/evaluation/risk.js';
import { runSimulation } from '../../main/evaluation/simulate.js';
import { createRng } from '../../main/evaluation/random.js';
import { makeSplit } from '../../main/evaluation/splits.js';
import { EvaluationCancelled } from '../../main/evaluation/train.js';
import { createEncoder } from '../../main/models/encoder.js';
import type { Encoder } from '../../main/models/types.js';
import { tempWorkspace } from '../helpers/paths.js';
import { ptbxlDataset } from '../helpers/ptbxl.js';

const TASKS = ['MI', 'STTC', 'CD', 'HYP'];
const TINY = { patch: 250, depth: 1, dim: 32, heads: 2 };
const ds = await ptbxlDataset();
const source = new SignalSource(ds);
const split = makeSplit(ds, { kind: 'strat_fold' }, TASKS);
let encoder: Encoder;

/**
 * A fixed, informative stand-in encoder: per-lead mean, sd and mean absolute slope (36 features).
 * Amplitude features carry real signal for HYP (voltage criteria), so a working probe must beat chance with it.
 */
const statsEncoder: Encoder = {
  config: { patch: 250, depth: 1, dim: 36, heads: 1, mlpRatio: 4, decoderDim: 18, decoderDepth: 0, pooling: 'mean' },
  embed: (x) =>
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, 2);
      const n = x.shape[2];
      const slope = tf.abs(tf.sub(tf.slice(x, [0, 0, 1], [-1, -1, -1]), tf.slice(x, [0, 0, 0], [-1, -1, n - 1])));
      return tf.concat([mean, tf.sqrt(variance), tf.mean(slope, 2)], 1) as tf.Tensor2D;
    }),
  trainableVariables: () => [],
  dispose: () => undefined,
};

/** Tensors that creating and disposing a model of `TINY` leaves behind (owned by main/models, not this engine). */
function modelLeak(): number {
  const before = tf.memory().numTensors;
  createEncoder(TINY, 0).dispose();
  return tf.memory().numTensors - before;
}

beforeAll(async () => {
  await initBackend();
  encoder = createEncoder(TINY, 5);
});
afterAll(() => encoder.dispose());

/** The same records with every test label flipped: training must not notice. */
function flipTestLabels(d: CachedDataset): CachedDataset {
  const test = new Set(split.test);
  return {
    ...d,
    readSignal: (i, out) => d.readSignal(i, out),
    meta: (i) => {
      const m = d.meta(i);
      if (!test.has(i)) return m;
      return { ...m, labels: Object.fromEntries(Object.entries(m.labels).map(([k, v]) => [k, !v])) };
    },
  };
}

describe('linear probe', () => {
  it('trains a logistic head on cached embeddings, beats chance, and records the chosen epoch', async () => {
    const dir = tempWorkspace('ecgfm-eval-');
    const cache = { dir, key: 'tiny-seed5-ptbxl' };
    const before = tf.memory().numTensors;
    const r = await evaluate({ encoder: statsEncoder, protocol: 'linear', dataset: ds, tasks: TASKS, split: { kind: 'strat_fold' }, seed: 1, epochs: 40, embeddingCache: cache, signalSource: source });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.split).toMatchObject({ train: split.train.length, val: split.val.length, test: split.test.length });
    expect(r.metrics.map((m) => m.task)).toEqual(TASKS);
    expect(r.criteria).toBeCloseTo(r.metrics.reduce((a, m) => a + m.auroc + m.auprc, 0), 12);
    expect(r.meanAuroc).toBeGreaterThan(0.65);
    expect(r.metrics[3]?.auroc).toBeGreaterThan(0.8);
    for (const m of r.metrics) {
      expect(m.aurocCi[0]).toBeLessThanOrEqual(m.auroc);
      expect(m.aurocCi[1]).toBeGreaterThanOrEqual(m.auroc);
      expect(m.thresholdSource).toBe('validation');
      expect(m.auroc).toBeCloseTo(auroc(r.test.labels[TASKS.indexOf(m.task)] as number[], r.test.scores[TASKS.indexOf(m.task)] as number[]), 12);
    }
    expect(r.chosenEpochs[0]).toBeGreaterThan(0);
    expect(r.chosenEpochs[0]).toBeLessThanOrEqual(40);
    const best = r.history[0]?.[(r.chosenEpochs[0] as number) - 1];
    expect(best?.valMeanAuroc).toBe(Math.max(...(r.history[0] ?? []).map((h) => h.valMeanAuroc)));
    expect(r.embeddingsFromCache).toBe(false);
    expect(readdirSync(dir).some((f) => f.endsWith('.f32'))).toBe(true);

    // The second run reads the cache and, being seeded, reproduces the result.
    const again = await evaluate({ encoder: statsEncoder, protocol: 'linear', dataset: ds, tasks: TASKS, split: { kind: 'strat_fold' }, seed: 1, epochs: 40, embeddingCache: cache, signalSource: source });
    expect(again.embeddingsFromCache).toBe(true);
    expect(again.metrics.map((m) => m.auroc)).toEqual(r.metrics.map((m) => m.auroc));

    // Predictions round-trip through the CSV that `ecgfm metrics` reads.
    const csv = join(dir, 'predictions.csv');
    writeFileSync(csv, predictionsCsv(r, ds));
    const offline = scorePredictions(readPredictionCsv(csv), csv, { seed: 1 });
    offline.tasks.forEach((m, t) => {
      expect(m.auroc).toBeCloseTo(r.metrics[t]?.auroc as number, 6);
      expect(m.threshold).toBeCloseTo(r.metrics[t]?.threshold as number, 6);
    });
  });

  it('never lets the test labels influence training, early stopping or thresholds', async () => {
    const opts = { encoder: statsEncoder, protocol: 'linear' as const, tasks: TASKS, split: { kind: 'strat_fold' as const }, seed: 2, epochs: 15, signalSource: source };
    const a = await evaluate({ ...opts, dataset: ds });
    const b = await evaluate({ ...opts, dataset: flipTestLabels(ds) });
    expect(b.chosenEpochs).toEqual(a.chosenEpochs);
    expect(b.test.scores).toEqual(a.test.scores);
    expect(b.metrics.map((m) => m.threshold)).toEqual(a.metrics.map((m) => m.threshold));
    // …while the test metrics do see them.
    expect(b.metrics[0]?.auroc).toBeCloseTo(1 - (a.metrics[0]?.auroc as number), 9);
  });

  it('single-task mode trains one head per task', async () => {
    const r = await evaluate({ encoder, protocol: 'random-linear', dataset: ds, tasks: ['MI', 'CD'], split: { kind: 'strat_fold' }, seed: 3, epochs: 5, singleTask: true, signalSource: source });
    expect(r.chosenEpochs).toHaveLength(2);
    expect(r.encoder.pretrained).toBe(false);
    expect(r.metrics.map((m) => m.task)).toEqual(['MI', 'CD']);
  });

  it('rejects unknown tasks and training indices outside the training split', async () => {
    await expect(evaluate({ encoder, protocol: 'linear', dataset: ds, tasks: ['AFIB'], split: { kind: 'strat_fold' }, seed: 0 })).rejects.toThrow(/no label AFIB/);
    await expect(
      evaluate({ encoder, protocol: 'linear', dataset: ds, tasks: TASKS, split: { kind: 'strat_fold' }, seed: 0, trainIndices: [split.test[0] as number] }),
    ).rejects.toThrow(/outside the split's training part/);
  });
});

describe('fine-tuning augmentation', () => {
  it('rolls each ECG in time and scales it, keeping its values otherwise', () => {
    const idx = [0, 7];
    const plain = source.batch(idx);
    const aug = source.batch(idx, createRng(1));
    const [p, a] = [plain.dataSync() as Float32Array, aug.dataSync() as Float32Array];
    tf.dispose([plain, aug]);
    expect(a).not.toEqual(p);
    const n = 12 * 2500;
    for (let k = 0; k < idx.length; k++) {
      const sorted = (x: Float32Array) => Array.from(x.subarray(k * n, k * n + 2500)).sort((u, v) => u - v);
      const [sp, sa] = [sorted(p), sorted(a)];
      const scale = (sa[2499] as number) / (sp[2499] as number);
      expect(scale).toBeGreaterThanOrEqual(0.9);
      expect(scale).toBeLessThanOrEqual(1.1);
      sp.forEach((v, j) => expect(sa[j]).toBeCloseTo(v * scale, 4));
    }
  });
});

describe('fine-tuning and supervised baseline', () => {
  it('fine-tunes end to end, keeps tensors flat and gives the caller its encoder back unchanged', async () => {
    const weights = encoder.trainableVariables().map((v) => (v.dataSync() as Float32Array).slice());
    const before = tf.memory().numTensors;
    const train = split.train.slice(0, 96);
    const r = await evaluate({ encoder, protocol: 'finetune', dataset: ds, tasks: TASKS, split: { kind: 'strat_fold' }, trainIndices: train, seed: 4, epochs: 2, batchSize: 16, signalSource: source });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.history[0]).toHaveLength(2);
    expect(r.history[0]?.every((h) => Number.isFinite(h.trainLoss))).toBe(true);
    expect(r.split.train).toBe(96);
    encoder.trainableVariables().forEach((v, k) => expect(v.dataSync()).toEqual(weights[k]));

    // Cancelling mid-run also hands the weights back.
    const ac = new AbortController();
    const cancelled = evaluate({ encoder, protocol: 'finetune', dataset: ds, tasks: TASKS, split: { kind: 'strat_fold' }, trainIndices: train, seed: 4, epochs: 2, signalSource: source, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(cancelled).rejects.toBeInstanceOf(EvaluationCancelled);
    encoder.trainableVariables().forEach((v, k) => expect(v.dataSync()).toEqual(weights[k]));
    expect(tf.memory().numTensors).toBe(before);

    const sl = await evaluate({ encoder: null, config: TINY, protocol: 'supervised', dataset: ds, tasks: TASKS, split: { kind: 'strat_fold' }, trainIndices: train, seed: 4, epochs: 1, batchSize: 16, signalSource: source });
    expect(sl.encoder.pretrained).toBe(false);
    expect(sl.metrics).toHaveLength(4);
    expect(tf.memory().numTensors).toBe(before + modelLeak());
  });
});

describe('simulations and risk decomposition (smoke scale, linear probe)', () => {
  it('data usage runs nested subsets over seeds and reports mean ± sd', async () => {
    const r = await runSimulation({ kind: 'data-usage', levels: [0.25, 1], repeats: 2, encoder, protocol: 'linear', dataset: ds, tasks: TASKS, split: { kind: 'strat_fold' }, seed: 0, epochs: 10, signalSource: source, resamples: 50 });
    expect(r.rows.map((x) => x.label)).toEqual(['100%', '25%']);
    expect(r.cells).toHaveLength(4);
    const [full, quarter] = r.rows as [(typeof r.rows)[0], (typeof r.rows)[0]];
    expect(full.trainSize).toBe(split.train.length);
    expect(quarter.trainSize / full.trainSize).toBeGreaterThan(0.2);
    expect(quarter.trainSize / full.trainSize).toBeLessThan(0.3);
    expect(quarter.criteriaValues).toHaveLength(2);
    expect(quarter.criteria.sd).toBeGreaterThan(0);
  });

  it('case ratio subsamples positives per task with one head each', async () => {
    const r = await runSimulation({ kind: 'case-ratio', levels: [0.05], repeats: 1, encoder, protocol: 'linear', dataset: ds, tasks: TASKS, split: { kind: 'strat_fold' }, seed: 0, epochs: 5, signalSource: source, resamples: 50 });
    const c = r.cells[0];
    expect(c?.chosenEpochs).toHaveLength(4);
    for (const share of c?.positiveShare ?? []) expect(Math.abs(share - 0.05)).toBeLessThan(0.01);
  });

  it('risk decomposition components add up to the usual test error', async () => {
    const seeds: string[] = [];
    const r = await riskDecomposition({
      dataset: ds,
      tasks: TASKS,
      split: { kind: 'strat_fold' },
      seed: 0,
      // Stand-in for pre-training: a different initialisation for U and U ∪ test.
      pretrainEncoder: (extra) => {
        seeds.push(extra ? `with ${extra.length}` : 'U');
        return Promise.resolve(createEncoder(TINY, extra ? 8 : 7));
      },
      supervisedEpochs: 1,
      probeEpochs: 8,
      batchSize: 32,
      resamples: 20,
    });
    expect(seeds).toEqual(['U', `with ${split.test.length}`]);
    TASKS.forEach((_, t) => {
      const sum = r.components.approximation[t]! + r.components.usability[t]! + r.components.probeGeneralization[t]! + r.components.encoderGeneralization[t]!;
      expect(sum).toBeCloseTo(r.total[t] as number, 12);
      expect(r.settings.probeTrainPretrained[t]).toBe(r.total[t]);
    });
    expect(r.averages.approximation).toBeCloseTo(r.components.approximation.reduce((a, b) => a + b, 0) / 4, 12);
  });
});
