/**
 * The 1-D ResNet baseline: the whole network's flat gradient (every weight slice, BatchNorm in training mode, the
 * strided shortcut, max pool, global pooling, head and loss) against finite differences; and a short training
 * through `evaluate` on real PTB-XL (folds 1–8 train, 9 validation, 10 test) that lifts the validation AUROC of
 * NORM well above chance and scores the test fold with CIs from the chosen epoch's weights and running statistics.
 */
import { describe, expect, it } from 'vitest';
import { N_LEADS, TARGET_SAMPLES } from '../../main/data/types.js';
import { evaluate } from '../../main/evaluation/evaluate.js';
import { initialStatistics, initialWeights, parameterCount, resnet1dLayout, RESNET1D_DEFAULT, type ResNet1dConfig } from '../../main/models/resnet1d.js';
import { buildResNetStepGraph } from '../../main/onnx/train/resnet.js';
import { resnet1dOnnx, type ResNet1dModel } from '../../main/onnx/train/resnet-train.js';
import { SignalSource } from '../../main/evaluation/batches.js';
import { createSession, runGraph } from '../../main/onnx/train/session.js';
import { Rng } from '../../main/ssl/rng.js';
import { ptbxlDataset } from '../helpers/ptbxl.js';

process.env.ECGFM_THREADS ??= '1';

/** The default's structure (stem, max pool, identity and projection blocks, kernels 8/5/3) at a fraction of its width. */
const SMALL: ResNet1dConfig = { stem: { filters: 8, kernel: 7, stride: 2, pool: 2 }, blocks: [{ filters: 8, stride: 1 }, { filters: 16, stride: 2 }], kernels: [8, 5, 3] };

describe('the 1-D ResNet baseline', () => {
  it('has the weights the PTB-XL-scale default promises', () => {
    const n = parameterCount(resnet1dLayout(RESNET1D_DEFAULT, 4));
    expect(n).toBeGreaterThan(250_000);
    expect(n).toBeLessThan(400_000);
    expect(initialStatistics(resnet1dLayout(RESNET1D_DEFAULT, 4))).toHaveLength(2 * (64 + 3 * 64 + 4 * 64 + 4 * 128));
  });

  it('computes the gradient of the whole network that finite differences give', async () => {
    const tasks = 2;
    const batch = 3;
    // Without the max pool: its argmax switches under a perturbation of every weight at once make finite differences
    // noisy at this size (its backward rule is checked exactly in train-conv-ops.test.ts).
    const config = { ...SMALL, stem: { ...SMALL.stem, pool: 1 } };
    const layout = resnet1dLayout(config, tasks);
    const g = await createSession(buildResNetStepGraph({ config, layout, batch, tasks, emit: 'gradients' }), { threads: 1 });
    const rng = new Rng(5);
    const theta = initialWeights(layout, 1);
    // Non-zero γ everywhere, so every branch carries gradient.
    for (let i = 0; i < theta.length; i++) if (theta[i] === 0) theta[i] = rng.uniform(0.2, 0.5);
    const signals = Float32Array.from({ length: batch * N_LEADS * TARGET_SAMPLES }, () => rng.normal());
    const labels = Float32Array.from([1, 0, 0, 1, 1, 1]);
    const run = (t: Float32Array) => runGraph(g, { theta: { data: t, shape: [t.length] }, signals: { data: signals, shape: [batch, N_LEADS, TARGET_SAMPLES] }, labels: { data: labels, shape: [batch, tasks] } });
    const base = await run(theta);
    expect(base.grad).toHaveLength(theta.length);
    // Per weight tensor, along its own gradient: the directional derivative is ‖g‖², large against the noise of
    // ReLU kinks crossed by the perturbation; a wrong slice, sign or scale in a backward rule shows up here.
    let offset = 0;
    for (const p of layout.params) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      const u = new Float32Array(theta.length);
      u.set(base.grad!.subarray(offset, offset + size), offset);
      const norm2 = u.reduce((acc, v) => acc + v * v, 0);
      const eps = 5e-3 / Math.sqrt(norm2 / size);
      const fp = (await run(theta.map((v, k) => v + eps * u[k]!))).loss![0]!;
      const fm = (await run(theta.map((v, k) => v - eps * u[k]!))).loss![0]!;
      const numeric = (fp - fm) / (2 * eps);
      // Up to ~4 % are seen from kinks and from float32 cancellation (a BatchNorm shift feeding the next
      // BatchNorm has a near-zero gradient); a wrong rule is off by far more.
      expect(Math.abs(numeric - norm2) / norm2, `${p.name}: ${norm2} vs ${numeric}`).toBeLessThan(0.08);
      offset += size;
    }
    await g.release();
  });

  it('learns NORM on real PTB-XL above chance in a short training, scored like every protocol', async () => {
    const ds = await ptbxlDataset();
    const kept: ResNet1dModel[] = [];
    const result = await evaluate({
      onResNet1d: (m) => void kept.push(m),
      encoder: null,
      protocol: 'resnet1d',
      resnet1d: SMALL,
      dataset: ds,
      tasks: ['NORM'],
      split: { kind: 'strat_fold', trainFolds: [1, 2, 3, 4, 5, 6, 7, 8], valFolds: [9], testFolds: [10] },
      epochs: 3,
      seed: 0,
      resamples: 200,
    });
    expect(result.protocol).toBe('resnet1d');
    expect(result.split.train).toBeGreaterThan(300);
    expect(result.model?.description).toMatch(/resnet1d: stem 8×7\/2/);
    const best = Math.max(...result.history[0]!.map((e) => e.valMeanAuroc));
    expect(best).toBeGreaterThan(0.75);
    const [m] = result.metrics;
    expect(m!.auroc).toBeGreaterThan(0.65);
    expect(m!.aurocCi[0]).toBeLessThan(m!.auroc);
    expect(m!.aurocCi[1]).toBeGreaterThan(m!.auroc);
    expect(Number.isFinite(result.criteria)).toBe(true);
    expect(result.engine).toMatch(/^ort/);
    // The exported network (weights and running statistics baked in) gives the test scores the evaluation used.
    expect(kept).toHaveLength(1);
    const exported = await createSession(resnet1dOnnx(kept[0]!), { threads: 1 });
    const source = new SignalSource(ds);
    for (const k of [0, 1, 2]) {
      const { probabilities } = await runGraph(exported, { signals: { data: source.signals([result.test.indices[k]!]), shape: [1, N_LEADS, TARGET_SAMPLES] } });
      expect(Math.abs(probabilities![0]! - result.test.scores[0]![k]!)).toBeLessThan(1e-5);
    }
    await exported.release();
  }, 120_000);
});
