/**
 * Every differentiable op of the ONNX training graphs against central finite differences, run in ONNX Runtime:
 * the loss is Σ op(x)⊙R for a fixed random R, and the analytic gradient's directional derivative along random
 * directions must equal (f(x + εu) − f(x − εu)) / 2ε.
 */
import { describe, it } from 'vitest';
import * as op from '../../main/onnx/train/ops.js';
import { checkGradient } from './gradcheck.js';

describe('ONNX training ops: gradients against finite differences', () => {
  it('add, sub, mul, div with broadcasting', async () => {
    await checkGradient([[3, 4], [4]], ([a, b]) => op.add(a!, b!));
    await checkGradient([[3, 4], [3, 1]], ([a, b]) => op.sub(a!, b!));
    await checkGradient([[2, 3, 4], [1, 1, 4]], ([a, b]) => op.mul(a!, b!));
    await checkGradient([[3, 4], [3, 4]], ([a, b]) => op.div(a!, b!), { lo: 0.5, hi: 2 });
    await checkGradient([[3, 4]], ([a]) => op.neg(op.scale(a!, 1.7)));
  });

  it('matMul (2-D, 2-D transposed, batched, batched transposed) and dense', async () => {
    await checkGradient([[3, 5], [5, 4]], ([a, b]) => op.matMul(a!, b!));
    await checkGradient([[3, 5], [4, 5]], ([a, b]) => op.matMul(a!, b!, true));
    await checkGradient([[2, 3, 5], [2, 5, 4]], ([a, b]) => op.matMul(a!, b!));
    await checkGradient([[2, 3, 5], [2, 4, 5]], ([a, b]) => op.matMul(a!, b!, true));
    await checkGradient([[6, 5], [5, 3], [3]], ([x, w, b]) => op.dense(x!, w!, b!));
  });

  it('reshape, transpose, slice, concat, expand', async () => {
    await checkGradient([[2, 6]], ([a]) => op.reshape(a!, [3, 4]));
    await checkGradient([[2, 3, 4]], ([a]) => op.transpose(a!, [1, 2, 0]));
    await checkGradient([[3, 7]], ([a]) => op.slice(a!, 1, 2, 5));
    await checkGradient([[2, 3], [2, 4]], ([a, b]) => op.concat([a!, b!], 1));
    await checkGradient([[1, 1, 4]], ([a]) => op.expand(a!, [3, 1, 4]));
  });

  it('reductions and pointwise functions', async () => {
    await checkGradient([[3, 4]], ([a]) => op.sum(a!, 1, true));
    await checkGradient([[3, 4]], ([a]) => op.sum(a!, 0));
    await checkGradient([[3, 4]], ([a]) => op.meanAll(a!));
    await checkGradient([[3, 4]], ([a]) => op.square(a!));
    await checkGradient([[3, 4]], ([a]) => op.abs(a!), { lo: 0.1, hi: 1 });
    await checkGradient([[3, 4]], ([a]) => op.abs(a!), { lo: -1, hi: -0.1 });
    await checkGradient([[3, 4]], ([a]) => op.rsqrt(a!), { lo: 0.5, hi: 2 });
    await checkGradient([[3, 4]], ([a]) => op.sqrt(a!), { lo: 0.5, hi: 2 });
    await checkGradient([[3, 4]], ([a]) => op.gelu(op.scale(a!, 3)));
  });

  it('softmax, log-softmax, layer norm, sigmoid cross-entropy', async () => {
    await checkGradient([[2, 3, 5]], ([a]) => op.softmax(op.scale(a!, 3)));
    await checkGradient([[4, 5]], ([a]) => op.logSoftmax(op.scale(a!, 3)));
    await checkGradient([[4, 6], [6], [6]], ([x, gm, b]) => op.layerNorm(op.scale(x!, 2), gm!, b!));
    await checkGradient([[4, 3]], ([x], g) => op.sigmoidCrossEntropy(op.scale(x!, 3), g.constant([1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0], [4, 3])));
  });
});
