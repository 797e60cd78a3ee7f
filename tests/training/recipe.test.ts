/**
 * The training recipe's rules: learning-rate warm-up then cosine decay (pre-training's auto warm-up, fine-tuning's
 * epoch-based schedule), layer-wise decay multipliers per parameter, and early stopping that keeps the best epoch.
 */
import { describe, expect, it } from 'vitest';
import { checkRecipe, PROTOCOL_DEFAULTS } from '../../main/evaluation/evaluate.js';
import { stepLearningRate, trainLoop, type TrainSettings } from '../../main/evaluation/train.js';
import { learningRateAt, resolvePretrainConfig, warmupStepsOf } from '../../main/training/config.js';
import { layerDecayScale, layerOf } from '../../main/training/layer-decay.js';

describe('learning-rate schedule', () => {
  it('pre-training warms up over 5 % of the run by default, then decays by a cosine to 1 % of lr', () => {
    const cfg = resolvePretrainConfig({ method: 'hl', dataset: 'x', model: { patch: 250, depth: 1, dim: 32 }, lr: 1e-3 });
    expect(cfg.schedule).toBe('cosine');
    expect(cfg.minLrRatio).toBe(0.01);
    expect(warmupStepsOf(cfg, 1000)).toBe(50);
    expect(learningRateAt(cfg, 0, 1000)).toBeCloseTo(1e-3 / 50, 12);
    expect(learningRateAt(cfg, 49, 1000)).toBeCloseTo(1e-3, 12);
    // Half-way through the decay the rate is the mean of lr and the floor; at the end it is the floor.
    expect(learningRateAt(cfg, 50 + 475, 1000)).toBeCloseTo((1e-3 + 1e-5) / 2, 12);
    expect(learningRateAt(cfg, 1000, 1000)).toBeCloseTo(1e-5, 12);
    // An explicit warm-up and a constant schedule are kept as given.
    const fixed = resolvePretrainConfig({ method: 'hl', dataset: 'x', model: { patch: 250, depth: 1, dim: 32 }, warmupSteps: 0, schedule: 'constant' });
    expect(learningRateAt(fixed, 0, 1000)).toBe(1e-4);
    expect(learningRateAt(fixed, 999, 1000)).toBe(1e-4);
  });

  it('fine-tuning warms up for one epoch, then follows a cosine over every epoch to the floor', () => {
    const s: TrainSettings = { ...PROTOCOL_DEFAULTS.endToEnd, learningRate: 1e-4, seed: 0 };
    const lr = stepLearningRate(s, 20); // 10 epochs of 20 steps
    expect(lr(0)).toBeCloseTo(1e-4 / 20, 14);
    expect(lr(19)).toBeCloseTo(1e-4, 14);
    const values = Array.from({ length: 200 }, (_, k) => lr(k));
    for (let k = 20; k < 199; k++) expect(values[k + 1]!).toBeLessThanOrEqual(values[k]!);
    expect(values[199]!).toBeLessThan(2e-6);
    expect(values[199]!).toBeGreaterThan(1e-6);
    // Probes keep a constant rate.
    const probe = stepLearningRate({ ...PROTOCOL_DEFAULTS.probe, seed: 0 }, 20);
    expect(probe(0)).toBe(1e-3);
    expect(probe(1999)).toBe(1e-3);
  });

  it('refuses settings outside their range, naming them', () => {
    expect(() => checkRecipe({ ...PROTOCOL_DEFAULTS.endToEnd, layerDecay: 1.5 })).toThrow(/layerDecay must be in \(0, 1\]/);
    expect(() => checkRecipe({ ...PROTOCOL_DEFAULTS.endToEnd, warmupEpochs: 11 })).toThrow(/warmupEpochs/);
    expect(() => checkRecipe({ ...PROTOCOL_DEFAULTS.endToEnd, patience: 0 })).toThrow(/patience/);
  });
});

describe('layer-wise learning-rate decay', () => {
  it('scales block i of L by decay^(L−i), the embeddings lowest and the final norm and head at the full rate', () => {
    const L = 4;
    const d = 0.75;
    expect(layerOf('enc.patch.w', L)).toBe(0);
    expect(layerOf('enc.blocks.3.mlp.fc2.b', L)).toBe(4);
    const scale = (n: string) => layerDecayScale(n, L, d);
    for (const n of ['enc.patch.w', 'enc.patch.b', 'enc.cls', 'enc.pos']) expect(scale(n)).toBeCloseTo(d ** 5, 7);
    for (let i = 0; i < L; i++) {
      expect(scale(`enc.blocks.${i}.attn.qkv.w`)).toBeCloseTo(d ** (L - i), 7);
      expect(scale(`enc.blocks.${i}.ln1.g`)).toBe(scale(`enc.blocks.${i}.mlp.fc1.w`));
    }
    for (const n of ['enc.norm.g', 'enc.norm.b', 'head.w', 'head.b']) expect(scale(n)).toBe(1);
    expect(layerDecayScale('enc.patch.w', L, 1)).toBe(1);
    expect(() => layerDecayScale('enc.patch.w', L, 0)).toThrow(/\(0, 1\]/);
  });
});

describe('early stopping', () => {
  /** A loop whose validation AUROC follows `aurocs` epoch by epoch (one task, 4 records: 2 positives). */
  async function scripted(aurocs: number[], patience: number, epochs = aurocs.length - 1) {
    const labels = Uint8Array.of(0, 0, 1, 1);
    // Scores whose AUROC is exactly a/4 for a in 0..4 positive-negative pairs ordered correctly.
    const scoresFor = (auc: number): Float32Array => {
      const pairs = Math.round(auc * 4);
      const table: Record<number, number[]> = { 2: [0.1, 0.3, 0.2, 0.4], 3: [0.1, 0.25, 0.2, 0.4], 4: [0.1, 0.2, 0.3, 0.4] };
      return Float32Array.from(table[pairs] ?? [0.4, 0.3, 0.2, 0.1]);
    };
    let weights = 0;
    let calls = 0;
    const restored: number[] = [];
    const lrs: number[] = [];
    const out = await trainLoop({
      tasks: ['MI'],
      trainCount: 8,
      valLabels: [labels],
      settings: { epochs, batchSize: 4, seed: 1, learningRate: 1e-3, weightDecay: 0, patience, schedule: 'cosine', warmupEpochs: 1 },
      trainStep: async (_rows, lr) => {
        lrs.push(lr);
        weights++;
        return 0.5;
      },
      snapshot: async () => [Float32Array.of(weights)],
      restore: ([w]) => {
        restored.push(w![0]!);
        weights = w![0]!;
      },
      scoreVal: async () => [scoresFor(aurocs[calls++]!)],
    });
    return { out, restored, weights, lrs };
  }

  it('stops after `patience` epochs without a better validation AUROC and restores the best epoch', async () => {
    // Untrained 0.5, then epochs 1–5: 0.75, 1.0 (best), 0.75, 0.75 → stops at epoch 4 with patience 2.
    const { out, restored, weights, lrs } = await scripted([0.5, 0.75, 1, 0.75, 0.75, 1, 1], 2, 6);
    expect(out.chosenEpoch).toBe(2);
    expect(out.stoppedEarly).toBe(true);
    expect(out.stoppedEpoch).toBe(4);
    expect(out.history.map((h) => h.valMeanAuroc)).toEqual([0.75, 1, 0.75, 0.75]);
    expect(out.bestValMeanAuroc).toBe(1);
    // Two steps per epoch: the weights after epoch 2 (4 steps) are what the caller keeps.
    expect(restored).toEqual([4]);
    expect(weights).toBe(4);
    // Warm-up over epoch 1's two steps, then the cosine over all 6 epochs (12 steps).
    expect(lrs[0]).toBeCloseTo(5e-4, 12);
    expect(lrs[1]).toBeCloseTo(1e-3, 12);
    expect(lrs[2]).toBeCloseTo(1e-3, 12);
    expect(lrs[3]!).toBeLessThan(lrs[2]!);
  });

  it('keeps the untrained weights when no epoch beats them, and runs every epoch when patience allows', async () => {
    const none = await scripted([1, 0.75, 0.5, 0.75], 10);
    expect(none.out).toMatchObject({ chosenEpoch: 0, stoppedEarly: false, stoppedEpoch: 3 });
    expect(none.restored).toEqual([0]);
  });
});
