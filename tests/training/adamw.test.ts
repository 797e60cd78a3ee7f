import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { AdamW } from '../../main/training/adamw.js';
import { learningRateAt } from '../../main/training/config.js';
import { clipByGlobalNorm } from '../../main/training/step.js';

/** torch.optim.AdamW's update, in float64. */
function reference(theta: number[], grads: number[][], lr: number, wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  const p = [...theta];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      p[i]! -= lr * wd * p[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mh = m[i]! / (1 - b1 ** t);
      const vh = v[i]! / (1 - b2 ** t);
      p[i]! -= (lr * mh) / (Math.sqrt(vh) + eps);
    }
  });
  return p;
}

describe('AdamW', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('defaults to lr 1e-4 and weight decay 1e-5', () => {
    const o = new AdamW();
    expect(o.learningRate).toBe(1e-4);
    expect(o.weightDecay).toBe(1e-5);
  });

  it('three steps equal the decoupled-weight-decay formula', () => {
    const theta = [0.5, -1.5, 2, 0.01];
    const grads = [[0.1, -0.2, 0.3, 0], [0.05, 0.4, -0.1, 1], [-0.3, 0.1, 0.2, -2]];
    const lr = 0.01;
    const wd = 0.1;
    const opt = new AdamW({ learningRate: lr, weightDecay: wd });
    const x = tf.variable(tf.tensor1d(theta));
    for (const g of grads) opt.applyGradients({ [x.name]: tf.tensor1d(g) });
    const got = Array.from(x.dataSync());
    const want = reference(theta, grads, lr, wd);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    expect(opt.step).toBe(3);
    // Weight decay is decoupled: with zero gradients the weights still shrink by (1 − lr·wd) per step.
    const y = tf.variable(tf.tensor1d([2]));
    const o2 = new AdamW({ learningRate: 0.1, weightDecay: 0.5 });
    o2.applyGradients({ [y.name]: tf.tensor1d([0]) });
    expect(y.dataSync()[0]).toBeCloseTo(2 * (1 - 0.05), 6);
  });

  it('minimize() works like any tfjs optimizer and leaves no tensors behind', () => {
    const opt = new AdamW({ learningRate: 0.1, weightDecay: 0 });
    const w = tf.variable(tf.scalar(3));
    const f = (): tf.Scalar => tf.square(tf.sub(w, 1)) as tf.Scalar;
    opt.minimize(f, true)?.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) opt.minimize(f, true)?.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(w.dataSync()[0]! - 1)).toBeLessThan(0.05);
  });

  it('moments can be read and restored exactly', async () => {
    const opt = new AdamW({ learningRate: 0.01 });
    const x = tf.variable(tf.tensor1d([1, 2]));
    opt.applyGradients({ [x.name]: tf.tensor1d([0.5, -0.5]) });
    const { m, v } = await opt.readMoments(x);
    expect(m[0]).toBeCloseTo(0.05, 7);
    expect(v[1]).toBeCloseTo(0.00025, 8);
    const other = new AdamW({ learningRate: 0.01 });
    other.writeMoments(x, m, v);
    expect(Array.from((await other.readMoments(x)).m)).toEqual(Array.from(m));
  });
});

describe('schedules and clipping', () => {
  it('warms up linearly, then follows the cosine to the floor', () => {
    const c = { lr: 1, warmupSteps: 4, schedule: 'cosine' as const, minLrRatio: 0.1 };
    expect([0, 1, 3].map((s) => learningRateAt(c, s, 104))).toEqual([0.25, 0.5, 1]);
    expect(learningRateAt(c, 4, 104)).toBeCloseTo(1, 9);
    expect(learningRateAt(c, 54, 104)).toBeCloseTo(0.55, 9);
    expect(learningRateAt(c, 104, 104)).toBeCloseTo(0.1, 9);
    expect(learningRateAt({ ...c, schedule: 'constant' }, 80, 104)).toBe(1);
  });

  it('clips gradients to a global L2 norm', async () => {
    await initBackend();
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
    await clipByGlobalNorm(grads, 1);
    expect(Array.from(grads.a.dataSync())[0]).toBeCloseTo(0.6, 6);
    expect(Array.from(grads.b.dataSync())[1]).toBeCloseTo(0.8, 6);
  });
});
