/**
 * Fine-tuning on ONNX Runtime against tfjs on PTB-XL (folds 1–8 train, 9 validation), same seed: the same
 * recipe (head init, shuffles, augmentation, AdamW) gives validation AUROCs within 0.01 at every epoch, and the
 * chosen weights land back in the caller's tfjs encoder.
 */
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { SignalSource } from '../../main/evaluation/batches.js';
import { makeSplit } from '../../main/evaluation/splits.js';
import { trainEndToEnd, type TrainOutcome } from '../../main/evaluation/train.js';
import { createEncoder } from '../../main/models/encoder.js';
import { ptbxlDataset } from '../helpers/ptbxl.js';

process.env.ECGFM_THREADS ??= '1';

const TASKS = ['MI', 'STTC', 'CD', 'HYP'];

describe('fine-tuning on ONNX Runtime and on tfjs', () => {
  it('gives validation AUROCs within 0.01 of each other on PTB-XL', async () => {
    await initBackend();
    const ds = await ptbxlDataset();
    const split = makeSplit(ds, { kind: 'strat_fold', trainFolds: [1, 2, 3, 4, 5, 6, 7, 8], valFolds: [9], testFolds: [10] }, TASKS);
    const source = new SignalSource(ds);
    const outcomes: Record<string, TrainOutcome> = {};
    const finalWeights: Record<string, Float32Array> = {};
    for (const engine of ['tfjs', 'ort'] as const) {
      const encoder = createEncoder({ patch: 250, depth: 1, dim: 32 }, 7);
      outcomes[engine] = await trainEndToEnd(encoder, { dataset: ds, source, train: split.train, val: split.val, test: split.test }, TASKS, {
        epochs: 3, batchSize: 16, learningRate: 1e-3, weightDecay: 1e-5, patience: 10, seed: 3, augment: true, engine,
      });
      finalWeights[engine] = encoder.trainableVariables()[0]!.dataSync() as Float32Array;
      encoder.dispose();
    }
    const [a, b] = [outcomes.tfjs!, outcomes.ort!];
    expect(b.history).toHaveLength(a.history.length);
    a.history.forEach((ea, e) => {
      const eb = b.history[e]!;
      expect(Math.abs(eb.trainLoss - ea.trainLoss)).toBeLessThan(1e-3);
      ea.valAurocs.forEach((v, t) => expect(Math.abs(eb.valAurocs[t]! - v), `epoch ${e + 1} ${TASKS[t]}`).toBeLessThan(0.01));
    });
    expect(b.chosenEpoch).toBe(a.chosenEpoch);
    expect(Math.abs(b.bestValMeanAuroc - a.bestValMeanAuroc)).toBeLessThan(0.01);
    // Training moved the model well above chance, and the ORT run's chosen weights are in the tfjs encoder.
    expect(a.bestValMeanAuroc).toBeGreaterThan(0.6);
    let gap = 0;
    finalWeights.tfjs!.forEach((v, i) => (gap = Math.max(gap, Math.abs(v - finalWeights.ort![i]!))));
    expect(gap).toBeLessThan(1e-3);
    expect(tf.memory().numTensors).toBeLessThan(100);
  }, 300_000);
});
