import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { dense, gelu, layerNorm, matMul } from '../../main/models/ops.js';
import { Rng } from '../../main/ssl/rng.js';

function randomTensor(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.uniform(-1, 1)), shape);
}

/** Central finite differences of a scalar function with respect to every element of x (float64 in JS). */
function numericGrad(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-2): Float32Array {
  const base = x.dataSync().slice() as Float32Array;
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    plus[i]! += eps;
    const minus = base.slice();
    minus[i]! -= eps;
    const fp = tf.tidy(() => f(tf.tensor(plus, x.shape)).dataSync()[0]!);
    const fm = tf.tidy(() => f(tf.tensor(minus, x.shape)).dataSync()[0]!);
    out[i] = (fp - fm) / (2 * eps);
  }
  return out;
}

function expectClose(a: Float32Array, b: Float32Array, tol: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  expect(worst).toBeLessThan(tol);
}

describe('custom-gradient ops', () => {
  beforeAll(async () => {
    await initBackend();
  });

  // A weighted sum makes every output element matter to the gradient.
  const weighted = (y: tf.Tensor, w: tf.Tensor): tf.Scalar => tf.sum(tf.mul(y, w));

  it.each([
    ['rank 2', [5, 4], [4, 3], false],
    ['rank 2, b transposed', [5, 4], [3, 4], true],
    // Few rows, wide weight: the input gradient takes the (B·dyᵀ)ᵀ route.
    ['rank 2, few rows', [2, 6], [6, 5], false],
    ['rank 3 batched', [2, 3, 4], [2, 4, 5], false],
    ['rank 3 batched, b transposed', [2, 3, 4], [2, 5, 4], true],
  ] as const)('matMul gradients agree with finite differences and tfjs (%s)', (_, sa, sb, tb) => {
    const rng = new Rng(7);
    const a = randomTensor(rng, [...sa]);
    const b = randomTensor(rng, [...sb]);
    const outShape = tf.tidy(() => matMul(a as tf.Tensor2D, b as tf.Tensor2D, tb).shape);
    const w = randomTensor(rng, outShape);
    const f = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => weighted(matMul(x as tf.Tensor3D, y as tf.Tensor3D, tb), w);
    const [ga, gb] = tf.grads(f)([a, b]) as [tf.Tensor, tf.Tensor];
    // tfjs's own matMul gradient as reference (slow kernels on wasm, fine at this size).
    const [ra, rb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => weighted(tf.matMul(x, y, false, tb), w))([a, b]) as [tf.Tensor, tf.Tensor];
    expect(tf.tidy(() => matMul(a as tf.Tensor2D, b as tf.Tensor2D, tb).shape)).toEqual(tf.matMul(a, b, false, tb).shape);
    expectClose(ga.dataSync() as Float32Array, ra.dataSync() as Float32Array, 1e-5);
    expectClose(gb.dataSync() as Float32Array, rb.dataSync() as Float32Array, 1e-5);
    expectClose(ga.dataSync() as Float32Array, numericGrad((x) => f(x, b), a), 2e-3);
    expectClose(gb.dataSync() as Float32Array, numericGrad((y) => f(a, y), b), 2e-3);
  });

  it('matMul refuses mismatched ranks and batches', () => {
    expect(() => matMul(tf.zeros([2, 3, 4]) as tf.Tensor3D, tf.zeros([3, 4, 5]) as tf.Tensor3D)).toThrow(/batch sizes differ/);
  });

  it('dense, GELU and LayerNorm gradients agree with finite differences', () => {
    const rng = new Rng(11);
    const x = randomTensor(rng, [3, 6]);
    const wt = randomTensor(rng, [6, 4]);
    const g = randomTensor(rng, [4]);
    const bt = randomTensor(rng, [4]);
    const w = randomTensor(rng, [3, 4]);
    const f = (xx: tf.Tensor, ww: tf.Tensor): tf.Scalar =>
      weighted(layerNorm(gelu(dense(xx as tf.Tensor2D, ww as tf.Tensor2D)), g, bt, 1e-5), w);
    const [gx, gw] = tf.grads(f)([x, wt]) as [tf.Tensor, tf.Tensor];
    expectClose(gx.dataSync() as Float32Array, numericGrad((xx) => f(xx, wt), x, 1e-2), 5e-3);
    expectClose(gw.dataSync() as Float32Array, numericGrad((ww) => f(x, ww), wt, 1e-2), 5e-3);
  });

  it('GELU is the exact erf form', () => {
    const y = gelu(tf.tensor1d([-2, -0.5, 0, 1, 3])).dataSync();
    // x·Φ(x) from tables.
    const expected = [-0.0455003, -0.1542688, 0, 0.8413447, 2.9959502];
    expected.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
  });
});
