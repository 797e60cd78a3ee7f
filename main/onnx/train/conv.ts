/**
 * Differentiable 1-D convolutional ops for the training graphs (the 1-D ResNet baseline), on [N, C, L] tensors,
 * each with its backward rule written once here:
 *   conv1d        input gradient as a forward Conv of the zero-stuffed output gradient with the flipped kernel;
 *                 weight gradient as one GEMM over an im2col built from strided slices (both measured faster than
 *                 ONNX Runtime's ConvTranspose and a dilated Conv over the batch: bench/resnet.ts);
 *   batchNorm1d   training-mode batch statistics over (N, L); its batch mean and biased variance are returned
 *                 so the caller can keep the running statistics that inference uses;
 *   relu, maxPool1d (MaxPool's argmax indices scatter the gradient back), globalAvgPool1d.
 */
import { Tensor } from './graph.js';
import * as op from './ops.js';

export interface Conv1dOptions {
  stride?: number;
  /** Zeros before and after the signal; default 'same' for stride 1: ⌊(K−1)/2⌋ before, the rest after (as Keras). */
  pads?: [number, number];
}

export function samePads(kernel: number): [number, number] {
  const before = Math.floor((kernel - 1) / 2);
  return [before, kernel - 1 - before];
}

export function convOutputLength(length: number, kernel: number, stride: number, pads: [number, number]): number {
  return Math.floor((length + pads[0] + pads[1] - kernel) / stride) + 1;
}

/** x [N, Ci, L] ⊛ w [Co, Ci, K] → [N, Co, Lout] (cross-correlation, as ONNX Conv and PyTorch Conv1d; no bias). */
export function conv1d(x: Tensor, w: Tensor, o: Conv1dOptions = {}): Tensor {
  const g = x.g;
  const [, ci, length] = x.shape as [number, number, number];
  const [co, wci, k] = w.shape as [number, number, number];
  if (wci !== ci) throw new Error(`conv1d: input has ${ci} channels, the kernel expects ${wci}`);
  const s = o.stride ?? 1;
  const pads = o.pads ?? samePads(k);
  const out = convOutputLength(length, k, s, pads);
  if (out < 1) throw new Error(`conv1d: length ${length} is too short for kernel ${k}`);
  return g.op('Conv', [x, w], [x.shape[0]!, co, out], { kernel_shape: [k], strides: [s], pads: [pads[0], pads[1]] }, (dy) => [
    x.needsGrad ? convInputGradient(dy, w, s, pads, length) : null,
    w.needsGrad ? convWeightGradient(x, dy, k, s, pads) : null,
  ]);
}

/**
 * dx of a convolution as another forward Conv (ONNX Runtime's ConvTranspose is several times slower here): the
 * output gradient, zero-stuffed to stride 1, convolved with the kernel transposed over channels and flipped in time.
 */
function convInputGradient(dy: Tensor, w: Tensor, s: number, pads: [number, number], length: number): Tensor {
  const g = dy.g;
  const [n, co, out] = dy.shape as [number, number, number];
  const [, ci, k] = w.shape as [number, number, number];
  let up = dy.name;
  let upLength = out;
  if (s > 1) {
    // [N, Co, out] → [N, Co, out, s] with s − 1 zeros after each sample → [N, Co, out·s], cut to (out − 1)·s + 1.
    const [u] = g.node('Unsqueeze', [dy.name, g.ints([3])]);
    const [padded] = g.node('Pad', [u!, g.ints([0, 0, 0, 0, 0, 0, 0, s - 1])]);
    const [flat] = g.node('Reshape', [padded!, g.ints([n, co, out * s])]);
    upLength = (out - 1) * s + 1;
    up = g.node('Slice', [flat!, g.ints([0]), g.ints([upLength]), g.ints([2])])[0]!;
  }
  const [wt] = g.node('Transpose', [w.name], { perm: [1, 0, 2] });
  const [flipped] = g.node('Slice', [wt!, g.ints([-1]), g.ints([-(k + 1)]), g.ints([2]), g.ints([-1])]);
  const before = k - 1 - pads[0];
  const after = length - upLength - before + k - 1;
  if (before < 0 || after < 0) throw new Error(`conv1d: padding [${pads}] wider than kernel ${k} is not supported`);
  return new Tensor(g, g.node('Conv', [up!, flipped!], { kernel_shape: [k], pads: [before, after] })[0]!, [n, ci, length], false);
}

/**
 * dW[o, i, j] = Σ_n Σ_t dy[n, o, t]·x[n, i, t·s + j − pad] as one GEMM: the time-major input's K strided windows
 * side by side ([N·out, K·Ci], an im2col built from slices) against the output gradient as [Co, N·out].
 */
function convWeightGradient(x: Tensor, dy: Tensor, k: number, s: number, pads: [number, number]): Tensor {
  const g = x.g;
  const [n, ci] = x.shape as [number, number, number];
  const [, co, out] = dy.shape as [number, number, number];
  const [xt] = g.node('Transpose', [x.name], { perm: [0, 2, 1] });
  const [xp] = pads[0] || pads[1] ? g.node('Pad', [xt!, g.ints([0, pads[0], 0, 0, pads[1], 0])]) : [xt];
  const windows = Array.from({ length: k }, (_, j) => g.node('Slice', [xp!, g.ints([j]), g.ints([j + s * (out - 1) + 1]), g.ints([1]), g.ints([s])])[0]!);
  const [cols] = k === 1 ? windows : g.node('Concat', windows, { axis: 2 });
  const [colsFlat] = g.node('Reshape', [cols!, g.ints([n * out, k * ci])]);
  const [dyt] = g.node('Transpose', [dy.name], { perm: [1, 0, 2] });
  const [dyFlat] = g.node('Reshape', [dyt!, g.ints([co, n * out])]);
  const [dw] = g.node('Gemm', [dyFlat!, colsFlat!]);
  const [dwKc] = g.node('Reshape', [dw!, g.ints([co, k, ci])]);
  return new Tensor(g, g.node('Transpose', [dwKc!], { perm: [0, 2, 1] })[0]!, [co, ci, k], false);
}

export interface BatchNormOutput {
  y: Tensor;
  /** Batch mean and biased variance per channel, [C] each (for the running statistics). */
  mean: Tensor;
  variance: Tensor;
}

/** Training-mode BatchNorm of x [N, C, L] over (N, L): γ·(x − μ)/√(σ² + ε) + β with the batch's μ and σ². */
export function batchNorm1d(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): BatchNormOutput {
  const g = x.g;
  const [n, c, length] = x.shape as [number, number, number];
  const m = n * length;
  const stat = [1, c, 1];
  const axes = g.ints([0, 2]);
  // ReduceMean takes its axes as an attribute up to opset 17 (ReduceSum as an input).
  const meanT = new Tensor(g, g.node('ReduceMean', [x.name], { keepdims: 1, axes: [0, 2] })[0]!, stat, false);
  const centred = g.op('Sub', [x, meanT], x.shape);
  const varT = new Tensor(g, g.node('ReduceMean', [g.op('Mul', [centred, centred], x.shape).name], { keepdims: 1, axes: [0, 2] })[0]!, stat, false);
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [varT, g.scalar(eps)], stat)], stat)], stat);
  const xhat = g.op('Mul', [centred, inv], x.shape);
  const gammaC = g.op('Reshape', [gamma], stat, {}, undefined, [g.ints(stat)]);
  const betaC = g.op('Reshape', [beta], stat, {}, undefined, [g.ints(stat)]);
  const raw = g.op('Add', [g.op('Mul', [xhat, gammaC], x.shape), betaC], x.shape);
  const y = g.record(raw, [x, gamma, beta], (dy) => {
    const sumNL = (t: Tensor): Tensor => new Tensor(g, g.node('ReduceSum', [t.name, axes], { keepdims: 1 })[0]!, stat, false);
    const dBeta = sumNL(dy);
    const dGamma = sumNL(g.op('Mul', [dy, xhat], x.shape));
    let dx: Tensor | null = null;
    if (x.needsGrad) {
      // dx = γ/(σ·M)·(M·dy − Σdy − x̂·Σ(dy⊙x̂))
      const coef = g.op('Mul', [gammaC, g.op('Mul', [inv, g.scalar(1 / m)], stat)], stat);
      const inner = g.op('Sub', [g.op('Sub', [g.op('Mul', [dy, g.scalar(m)], x.shape), dBeta], x.shape), g.op('Mul', [xhat, dGamma], x.shape)], x.shape);
      dx = g.op('Mul', [inner, coef], x.shape);
    }
    return [
      dx,
      gamma.needsGrad ? g.op('Reshape', [dGamma], gamma.shape, {}, undefined, [g.ints([c])]) : null,
      beta.needsGrad ? g.op('Reshape', [dBeta], beta.shape, {}, undefined, [g.ints([c])]) : null,
    ];
  });
  const flat = (t: Tensor): Tensor => g.op('Reshape', [t], [c], {}, undefined, [g.ints([c])]);
  return { y, mean: flat(meanT), variance: flat(varT) };
}

/** Inference-mode BatchNorm with given running mean and variance [C] (ONNX BatchNormalization); no gradient. */
export function batchNormInference(x: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor, eps = 1e-5): Tensor {
  return x.g.op('BatchNormalization', [x, gamma, beta, mean, variance], x.shape, { epsilon: { float: eps } });
}

export function relu(x: Tensor): Tensor {
  const y = x.g.op('Relu', [x], x.shape);
  // The output's sign is the derivative: 1 where x > 0, 0 elsewhere.
  return x.g.record(y, [x], (dy) => [x.g.op('Mul', [dy, x.g.op('Sign', [y], y.shape)], x.shape)]);
}

/** Max pooling over windows of `kernel` every `stride` samples, with `pad` −∞ samples at each end. */
export function maxPool1d(x: Tensor, kernel: number, stride = kernel, pad = 0): Tensor {
  const g = x.g;
  const [n, c, length] = x.shape as [number, number, number];
  const out = convOutputLength(length, kernel, stride, [pad, pad]);
  const [yName, idxName] = g.node('MaxPool', [x.name], { kernel_shape: [kernel], strides: [stride], pads: [pad, pad] }, 2);
  const y = new Tensor(g, yName!, [n, c, out], false);
  return g.record(y, [x], (dy) => {
    // The indices address the flattened input; each output's gradient is added at its argmax.
    const flatIdx = g.node('Reshape', [idxName!, g.ints([n * c * out])])[0]!;
    const flatDy = g.node('Reshape', [dy.name, g.ints([n * c * out])])[0]!;
    const [zeros] = g.node('ConstantOfShape', [g.ints([n * c * length])]);
    const [scattered] = g.node('ScatterElements', [zeros!, flatIdx, flatDy], { axis: 0, reduction: { string: 'add' } });
    return [new Tensor(g, g.node('Reshape', [scattered!, g.ints([n, c, length])])[0]!, x.shape, false)];
  });
}

/** Mean over time: [N, C, L] → [N, C]. */
export function globalAvgPool1d(x: Tensor): Tensor {
  return op.scale(op.sum(x, 2), 1 / x.shape[2]!);
}
