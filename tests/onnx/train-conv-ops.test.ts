/**
 * The 1-D convolutional ops of the ResNet baseline (main/onnx/train/conv.ts) against central finite differences,
 * at strides and paddings the network uses (odd and even kernels, stride 2 with a length the stride does not divide).
 */
import { describe, expect, it } from 'vitest';
import { batchNorm1d, conv1d, globalAvgPool1d, maxPool1d, relu } from '../../main/onnx/train/conv.js';
import { Graph } from '../../main/onnx/train/graph.js';
import * as op from '../../main/onnx/train/ops.js';
import { createSession, runGraph } from '../../main/onnx/train/session.js';
import { Rng } from '../../main/ssl/rng.js';
import { checkGradient } from './gradcheck.js';

describe('ONNX 1-D convolution ops: gradients against finite differences', () => {
  it('conv1d: same padding (odd and even kernels), stride 2, explicit pads, 1×1', async () => {
    await checkGradient([[2, 3, 11], [4, 3, 5]], ([x, w]) => conv1d(x!, w!));
    await checkGradient([[2, 3, 11], [4, 3, 8]], ([x, w]) => conv1d(x!, w!));
    await checkGradient([[2, 3, 12], [4, 3, 8]], ([x, w]) => conv1d(x!, w!, { stride: 2 }));
    await checkGradient([[2, 3, 13], [2, 3, 7]], ([x, w]) => conv1d(x!, w!, { stride: 2, pads: [3, 3] }));
    await checkGradient([[2, 4, 9], [3, 4, 1]], ([x, w]) => conv1d(x!, w!, { stride: 2, pads: [0, 0] }));
  });

  it('batch norm (training mode) through its input, scale and shift', async () => {
    await checkGradient([[3, 4, 5], [4], [4]], ([x, gm, b]) => batchNorm1d(op.scale(x!, 2), gm!, b!).y);
  });

  it('relu, max pooling (non-overlapping and overlapping with padding), global average pooling', async () => {
    await checkGradient([[2, 3, 6]], ([x]) => relu(x!), { eps: 1e-3 });
    await checkGradient([[2, 3, 8]], ([x]) => maxPool1d(x!, 2), { eps: 1e-3 });
    await checkGradient([[2, 3, 9]], ([x]) => maxPool1d(x!, 3, 2, 1), { eps: 1e-3 });
    await checkGradient([[2, 3, 7]], ([x]) => globalAvgPool1d(x!));
  });

  it('max pooling sends the gradient of each window to its first maximum, exactly, at the size of the stem', async () => {
    const [n, c, length] = [4, 8, 1250];
    const g = new Graph();
    const x = g.input('x', [n, c, length], true);
    const y = maxPool1d(x, 3, 2, 1);
    const r = g.input('r', y.shape);
    const loss = op.sumAll(op.mul(y, r));
    g.output(g.gradients(loss, [x])[0]!, 'dx');
    const session = await createSession(g.toBytes('maxpool'), { threads: 1 });
    const rng = new Rng(3);
    const out = y.shape[2]!;
    const xs = Float32Array.from({ length: n * c * length }, () => rng.uniform(-1, 1));
    const rs = Float32Array.from({ length: n * c * out }, () => rng.uniform(-1, 1));
    const { dx } = await runGraph(session, { x: { data: xs, shape: [n, c, length] }, r: { data: rs, shape: [...y.shape] } });
    const expected = new Float32Array(xs.length);
    for (let row = 0; row < n * c; row++) {
      for (let t = 0; t < out; t++) {
        let at = -1;
        for (let j = 0; j < 3; j++) {
          const l = 2 * t + j - 1;
          if (l >= 0 && l < length && (at < 0 || xs[row * length + l]! > xs[row * length + at]!)) at = l;
        }
        expected[row * length + at] = expected[row * length + at]! + rs[row * out + t]!;
      }
    }
    expect(Array.from(dx!)).toEqual(Array.from(expected));
    await session.release();
  });

  it('a residual block end to end: conv → BN → relu → conv → BN, plus a strided 1×1 shortcut', async () => {
    await checkGradient([[2, 3, 10], [4, 3, 8], [4], [4], [4, 4, 3], [4], [4], [4, 3, 1]], ([x, w1, g1, b1, w2, g2, b2, ws]) => {
      const h = relu(batchNorm1d(conv1d(x!, w1!, { stride: 2 }), g1!, b1!).y);
      const main = batchNorm1d(conv1d(h, w2!), g2!, b2!).y;
      return relu(op.add(main, conv1d(x!, ws!, { stride: 2, pads: [0, 0] })));
    }, { eps: 1e-3, tol: 5e-3 });
  });
});
