/**
 * Differentiable ops of the training graphs: each emits its forward ONNX nodes and records its backward rule,
 * derived once here. Shapes are static; broadcasting follows numpy (as ONNX and tfjs).
 * The math mirrors main/models/ops.ts and main/ssl/losses.ts so that both engines train the same model.
 */
import { Tensor } from './graph.js';

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`Shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(x, y));
  }
  return out;
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (same(x.shape, shape)) return x;
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== x.size) throw new Error(`reshape: [${x.shape}] has ${x.size} elements, not ${size}`);
  return x.g.op('Reshape', [x], shape, {}, (dy) => [reshape(dy, x.shape)], [x.g.ints([...shape])]);
}

/** Sum a broadcast gradient back to `shape`. */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (same(x.shape, shape)) return x;
  const offset = x.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.rank; i++) if (i < offset || (shape[i - offset] === 1 && x.shape[i] !== 1)) axes.push(i);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const summed = x.g.op('ReduceSum', [x], kept, { keepdims: 1 }, undefined, [x.g.ints(axes)]);
  return reshape(summed, shape);
}

function elementwise(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShape(a.shape, b.shape);
  return a.g.op(op, [a, b], shape, {}, (dy) => {
    if (op === 'Add') return [a.needsGrad ? sumTo(dy, a.shape) : null, b.needsGrad ? sumTo(dy, b.shape) : null];
    if (op === 'Sub') return [a.needsGrad ? sumTo(dy, a.shape) : null, b.needsGrad ? sumTo(neg(dy), b.shape) : null];
    if (op === 'Mul') return [a.needsGrad ? sumTo(mul(dy, b), a.shape) : null, b.needsGrad ? sumTo(mul(dy, a), b.shape) : null];
    // d(a/b) = dy/b, −dy·a/b²
    return [
      a.needsGrad ? sumTo(div(dy, b), a.shape) : null,
      b.needsGrad ? sumTo(neg(div(mul(dy, a), mul(b, b))), b.shape) : null,
    ];
  });
}

export const add = (a: Tensor, b: Tensor): Tensor => elementwise('Add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => elementwise('Sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => elementwise('Mul', a, b);
export const div = (a: Tensor, b: Tensor): Tensor => elementwise('Div', a, b);

export function scale(x: Tensor, c: number): Tensor {
  return x.g.op('Mul', [x, x.g.scalar(c)], x.shape, {}, (dy) => [scale(dy, c)]);
}

export function neg(x: Tensor): Tensor {
  return x.g.op('Neg', [x], x.shape, {}, (dy) => [neg(dy)]);
}

export function transpose(x: Tensor, perm: number[]): Tensor {
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return x.g.op('Transpose', [x], perm.map((p) => x.shape[p]!), { perm }, (dy) => [transpose(dy, inverse)]);
}

/** Swap the last two axes. */
function swapLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return transpose(x, perm);
}

/** a·b for two rank-2 tensors (Gemm, whose transposed forms need no Transpose node) or two rank-3 (batched). */
export function matMul(a: Tensor, b: Tensor, transB = false): Tensor {
  const g = a.g;
  if (a.rank === 2 && b.rank === 2) {
    const [n, k] = a.shape as [number, number];
    const [kb, m] = (transB ? [b.shape[1], b.shape[0]] : b.shape) as [number, number];
    if (k !== kb) throw new Error(`matMul: [${a.shape}]·[${b.shape}]${transB ? 'ᵀ' : ''} do not fit`);
    return g.op('Gemm', [a, b], [n, m], transB ? { transB: 1 } : {}, (dy) => [
      // y = a·b: da = dy·bᵀ, db = aᵀ·dy; y = a·bᵀ: da = dy·b, db = dyᵀ·a
      a.needsGrad ? g.op('Gemm', [dy, b], a.shape, transB ? {} : { transB: 1 }) : null,
      b.needsGrad ? (transB ? g.op('Gemm', [dy, a], b.shape, { transA: 1 }) : g.op('Gemm', [a, dy], b.shape, { transA: 1 })) : null,
    ]);
  }
  if (a.rank !== 3 || b.rank !== 3 || a.shape[0] !== b.shape[0]) throw new Error(`matMul: unsupported shapes [${a.shape}] and [${b.shape}]`);
  const bb = transB ? swapLast(b) : b;
  const [bt, n, k] = a.shape as [number, number, number];
  if (bb.shape[1] !== k) throw new Error(`matMul: [${a.shape}]·[${bb.shape}] do not fit`);
  return g.op('MatMul', [a, bb], [bt, n, bb.shape[2]!], {}, (dy) => [
    a.needsGrad ? g.op('MatMul', [dy, swapLast(bb)], a.shape) : null,
    bb.needsGrad ? g.op('MatMul', [swapLast(a), dy], bb.shape) : null,
  ]);
}

/** x [N, in]·w [in, out] + b [out], one Gemm. */
export function dense(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const g = x.g;
  const [n] = x.shape as [number];
  const out = w.shape[1]!;
  return g.op('Gemm', [x, w, b], [n, out], {}, (dy) => [
    x.needsGrad ? g.op('Gemm', [dy, w], x.shape, { transB: 1 }) : null,
    w.needsGrad ? g.op('Gemm', [x, dy], w.shape, { transA: 1 }) : null,
    b.needsGrad ? g.op('ReduceSum', [dy], b.shape, { keepdims: 0 }, undefined, [g.ints([0])]) : null,
  ]);
}

export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const g = x.g;
  const shape = x.shape.map((d, i) => (i === axis ? end - start : d));
  return g.op('Slice', [x], shape, {}, (dy) => {
    const pads = new Array<number>(2 * x.rank).fill(0);
    pads[axis] = start;
    pads[x.rank + axis] = x.shape[axis]! - end;
    return [g.op('Pad', [dy], x.shape, {}, undefined, [g.ints(pads)])];
  }, [g.ints([start]), g.ints([end]), g.ints([axis])]);
}

export function concat(parts: Tensor[], axis: number): Tensor {
  const g = parts[0]!.g;
  const shape = parts[0]!.shape.map((d, i) => (i === axis ? parts.reduce((s, p) => s + p.shape[axis]!, 0) : d));
  const [name] = g.node('Concat', parts.map((p) => p.name), { axis });
  const out = new Tensor(g, name!, shape, false);
  return g.record(out, parts, (dy) => {
    let at = 0;
    return parts.map((p) => {
      const s = at;
      at += p.shape[axis]!;
      return p.needsGrad ? slice(dy, axis, s, at) : null;
    });
  });
}

/** Broadcast x to `shape` (e.g. the CLS token to the batch). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  return x.g.op('Expand', [x], shape, {}, (dy) => [sumTo(dy, x.shape)], [x.g.ints([...shape])]);
}

/** Sum over one axis. */
export function sum(x: Tensor, axis: number, keepdims = false): Tensor {
  const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
  const shape = keepdims ? kept : x.shape.filter((_, i) => i !== axis);
  return x.g.op('ReduceSum', [x], shape, { keepdims: keepdims ? 1 : 0 }, (dy) => [expand(reshape(dy, kept), x.shape)], [x.g.ints([axis])]);
}

/** Sum of every element, a scalar of shape []. */
export function sumAll(x: Tensor): Tensor {
  const ones = x.shape.map(() => 1);
  return x.g.op('ReduceSum', [x], [], { keepdims: 0 }, (dy) => [expand(reshape(dy, ones), x.shape)], [x.g.ints(x.shape.map((_, i) => i))]);
}

export function meanAll(x: Tensor): Tensor {
  return scale(sumAll(x), 1 / x.size);
}

export function square(x: Tensor): Tensor {
  return x.g.op('Mul', [x, x], x.shape, {}, (dy) => [scale(mul(dy, x), 2)]);
}

export function abs(x: Tensor): Tensor {
  return x.g.op('Abs', [x], x.shape, {}, (dy) => [mul(dy, x.g.op('Sign', [x], x.shape))]);
}

/** 1/√x. */
export function rsqrt(x: Tensor): Tensor {
  const g = x.g;
  const y = g.op('Reciprocal', [g.op('Sqrt', [x], x.shape)], x.shape);
  // d(x^-½) = −½·y³
  return g.record(y, [x], (dy) => [scale(mul(dy, mul(y, mul(y, y))), -0.5)]);
}

export function sqrt(x: Tensor): Tensor {
  const y = x.g.op('Sqrt', [x], x.shape);
  return x.g.record(y, [x], (dy) => [div(scale(dy, 0.5), y)]);
}

/** Softmax over the last axis. */
export function softmax(x: Tensor): Tensor {
  const y = x.g.op('Softmax', [x], x.shape, { axis: -1 });
  // dx = y ⊙ (dy − Σ dy⊙y)
  return x.g.record(y, [x], (dy) => [mul(y, sub(dy, sum(mul(dy, y), x.rank - 1, true)))]);
}

/** log-softmax over the last axis. */
export function logSoftmax(x: Tensor): Tensor {
  const g = x.g;
  const y = g.op('LogSoftmax', [x], x.shape, { axis: -1 });
  // dx = dy − softmax ⊙ Σ dy
  return g.record(y, [x], (dy) => [sub(dy, mul(g.op('Exp', [y], y.shape), sum(dy, x.rank - 1, true)))]);
}

/** LayerNorm over the last axis of x [N, D] (ONNX LayerNormalization; its mean and 1/σ feed the backward rule). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-6): Tensor {
  const g = x.g;
  const [yName, meanName, invName] = g.node('LayerNormalization', [x.name, gamma.name, beta.name], { axis: -1, epsilon: { float: eps } }, 3);
  const rows = x.shape.map((d, i) => (i === x.rank - 1 ? 1 : d));
  const Y = new Tensor(g, yName!, x.shape, false);
  const mean = new Tensor(g, meanName!, rows, false);
  const inv = new Tensor(g, invName!, rows, false);
  return g.record(Y, [x, gamma, beta], (dy) => {
    const d = x.shape[x.rank - 1]!;
    const xhat = mul(sub(x, mean), inv);
    const dxhat = mul(dy, gamma);
    const last = x.rank - 1;
    const rowsMean = (t: Tensor): Tensor => scale(sum(t, last, true), 1 / d);
    // dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂⊙x̂))
    const dx = x.needsGrad ? mul(inv, sub(sub(dxhat, rowsMean(dxhat)), mul(xhat, rowsMean(mul(dxhat, xhat))))) : null;
    return [dx, gamma.needsGrad ? sumTo(mul(dy, xhat), gamma.shape) : null, beta.needsGrad ? sumTo(dy, beta.shape) : null];
  });
}

/** Exact (erf) GELU: ½x(1 + erf(x/√2)). */
export function gelu(x: Tensor): Tensor {
  const g = x.g;
  const erf = g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2)], x.shape)], x.shape);
  const y = g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)], x.shape), g.op('Add', [erf, g.scalar(1)], x.shape)], x.shape);
  return g.record(y, [x], (dy) => {
    // d/dx = ½(1 + erf(x/√2)) + x·φ(x), φ the standard normal density
    const cdf = g.op('Mul', [g.op('Add', [erf, g.scalar(1)], x.shape), g.scalar(0.5)], x.shape);
    const pdf = g.op('Mul', [g.op('Exp', [g.op('Mul', [g.op('Mul', [x, x], x.shape), g.scalar(-0.5)], x.shape)], x.shape), g.scalar(1 / Math.sqrt(2 * Math.PI))], x.shape);
    return [mul(dy, g.op('Add', [cdf, g.op('Mul', [x, pdf], x.shape)], x.shape))];
  });
}

/** Mean sigmoid cross-entropy, as tf.losses.sigmoidCrossEntropy: relu(x) − x·z + log(1 + e^−|x|). */
export function sigmoidCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const g = logits.g;
  const s = logits.shape;
  const soft = g.op('Log', [g.op('Add', [g.op('Exp', [g.op('Neg', [g.op('Abs', [logits], s)], s)], s), g.scalar(1)], s)], s);
  const each = g.op('Add', [g.op('Sub', [g.op('Relu', [logits], s), g.op('Mul', [logits, labels], s)], s), soft], s);
  const loss = g.op('ReduceMean', [each], [], { keepdims: 0, axes: s.map((_, i) => i) });
  return g.record(loss, [logits], (dy) => [scale(mul(dy, g.op('Sub', [g.op('Sigmoid', [logits], s), labels], s)), 1 / logits.size)]);
}
