/**
 * The 1-D convolutional ops of the ResNet baseline (main/onnx/train/conv.ts) against central finite differences,
 * at strides and paddings the network uses (odd and even kernels, stride 2 with a length the stride does not divide).
 */
import { describe, it } from 'vitest';
import { batchNorm1d, conv1d, globalAvgPool1d, maxPool1d, relu } from '../../main/onnx/train/conv.js';
import * as op from '../../main/onnx/train/ops.js';
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

  it('a residual block end to end: conv → BN → relu → conv → BN, plus a strided 1×1 shortcut', async () => {
    await checkGradient([[2, 3, 10], [4, 3, 8], [4], [4], [4, 4, 3], [4], [4], [4, 3, 1]], ([x, w1, g1, b1, w2, g2, b2, ws]) => {
      const h = relu(batchNorm1d(conv1d(x!, w1!, { stride: 2 }), g1!, b1!).y);
      const main = batchNorm1d(conv1d(h, w2!), g2!, b2!).y;
      return relu(op.add(main, conv1d(x!, ws!, { stride: 2, pads: [0, 0] })));
    }, { eps: 1e-3, tol: 5e-3 });
  });
});
