/**
 * Differentiable building blocks that stay on fast kernels on every backend.
 *
 * On wasm, matMul with transposeA/transposeB runs 13–50× slower than the plain kernel, and tfjs's own matMul
 * gradient uses exactly those. `matMul` here transposes explicitly and then multiplies plainly, in the forward
 * and the backward pass. Every dense, attention and token-selection product goes through it.
 */
import { tf } from '../compute/tf.js';

function swapLast(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return tf.transpose(x, perm);
}

/**
 * dA = dy·Bᵀ. Transposing B costs in·out element moves; for a few rows (the visible tokens of masked
 * pre-training) computing (B·dyᵀ)ᵀ moves fewer elements, N·(in + out), with the same plain kernel.
 */
function inputGrad(dy: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (dy.rank === 2) {
    const [n, out] = dy.shape as [number, number];
    const inner = b.shape[0]!;
    if (n * (inner + out) < inner * out) return tf.transpose(tf.matMul(b, tf.transpose(dy)));
  }
  return tf.matMul(dy, swapLast(b));
}

type CustomGradFunc = Parameters<typeof tf.customGrad>[0];

const plainMatMul = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      return [inputGrad(dy, sb), tf.matMul(swapLast(sa), dy)];
    },
  };
}) as CustomGradFunc);

/**
 * a @ b for rank 2, or rank 3 with equal batch sizes. `transposeB` transposes b explicitly first (its gradient
 * is a transpose, which is cheap), never through the slow kernel.
 */
export function matMul<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T, transposeB = false): T {
  if (a.rank !== b.rank || (a.rank !== 2 && a.rank !== 3)) {
    throw new Error(`matMul expects two rank-2 or two rank-3 tensors, got shapes [${a.shape}] and [${b.shape}]`);
  }
  if (a.rank === 3 && a.shape[0] !== b.shape[0]) {
    throw new Error(`matMul batch sizes differ: [${a.shape}] and [${b.shape}]`);
  }
  return plainMatMul(a, transposeB ? swapLast(b) : b) as T;
}

/** x [N, in] @ w [in, out] + b [out]. */
export function dense(x: tf.Tensor2D, w: tf.Variable | tf.Tensor2D, b?: tf.Tensor): tf.Tensor2D {
  const y = matMul(x, w as tf.Tensor2D);
  return b ? tf.add(y, b) : y;
}

/** LayerNorm over the last axis (moments + rsqrt: both have wasm kernels and gradients). */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-6): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta) as T;
}

/** Exact (erf) GELU, as PyTorch's default. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as T;
}
