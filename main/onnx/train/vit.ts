/**
 * The foundation model and its losses in a training graph, op for op as main/models/vit.ts and main/ssl/losses.ts
 * (the tfjs engine), so one set of weights means the same model on both engines.
 *
 * All weights travel as one flat vector `theta` in the order of the model's ParamStore; each weight is a slice of
 * it. Gradients are taken per weight and concatenated back into one flat vector, so AdamW runs as a handful of
 * large elementwise ops and the state crosses the JS boundary as three buffers.
 */
import { N_LEADS } from '../../data/types.js';
import type { VitConfig } from '../../models/types.js';
import { defaultHeads, tokenCount } from '../../models/vit.js';
import { Tensor, type Graph } from './graph.js';
import * as op from './ops.js';

export interface ParamEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface ParamLayout {
  entries: ParamEntry[];
  total: number;
}

export function paramLayout(params: Array<{ name: string; shape: readonly number[] }>): ParamLayout {
  let offset = 0;
  const entries = params.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const e = { name, shape: [...shape], offset, size };
    offset += size;
    return e;
  });
  return { entries, total: offset };
}

/** The weights of one graph: leaves cut from `theta` (gradients are taken with respect to these leaves). */
export class GraphWeights {
  readonly leaves = new Map<string, Tensor>();

  constructor(
    readonly g: Graph,
    readonly layout: ParamLayout,
    readonly theta: Tensor | Float32Array,
    trainable: boolean,
  ) {
    // Fixed weights (forward-only graphs) become initializers, which ONNX Runtime pre-packs for its GEMM kernels.
    if (theta instanceof Float32Array) {
      for (const e of layout.entries) this.leaves.set(e.name, g.constant(theta.subarray(e.offset, e.offset + e.size), e.shape));
      return;
    }
    for (const e of layout.entries) {
      const [flat] = g.node('Slice', [theta.name, g.ints([e.offset]), g.ints([e.offset + e.size]), g.ints([0])]);
      const [shaped] = g.node('Reshape', [flat!, g.ints(e.shape)]);
      this.leaves.set(e.name, new Tensor(g, shaped!, e.shape, trainable));
    }
  }

  get(name: string): Tensor {
    const t = this.leaves.get(name);
    if (!t) throw new Error(`Training graph: no weight named ${name}`);
    return t;
  }

  /** d(loss)/d(theta) as one flat vector in layout order. */
  flatGradient(loss: Tensor): Tensor {
    const leaves = this.layout.entries.map((e) => this.get(e.name));
    const grads = this.g.gradients(loss, leaves);
    const flats = grads.map((d, i) => op.reshape(d, [this.layout.entries[i]!.size]));
    if (flats.length === 1) return flats[0]!;
    const [name] = this.g.node('Concat', flats.map((f) => f.name), { axis: 0 });
    return new Tensor(this.g, name!, [this.layout.total], false);
  }
}

function attention(w: GraphWeights, prefix: string, x: Tensor, b: number, n: number, heads: number): Tensor {
  const dim = x.shape[1]!;
  const dh = dim / heads;
  const qkv = op.dense(x, w.get(`${prefix}.qkv.w`), w.get(`${prefix}.qkv.b`));
  const part = (i: number): Tensor => op.reshape(op.slice(qkv, 1, i * dim, (i + 1) * dim), [b, n, heads, dh]);
  const q = op.reshape(op.transpose(op.scale(part(0), 1 / Math.sqrt(dh)), [0, 2, 1, 3]), [b * heads, n, dh]);
  const kT = op.reshape(op.transpose(part(1), [0, 2, 3, 1]), [b * heads, dh, n]);
  const v = op.reshape(op.transpose(part(2), [0, 2, 1, 3]), [b * heads, n, dh]);
  const weights = op.softmax(op.matMul(q, kT));
  const ctx = op.reshape(op.transpose(op.reshape(op.matMul(weights, v), [b, heads, n, dh]), [0, 2, 1, 3]), [b * n, dim]);
  return op.dense(ctx, w.get(`${prefix}.out.w`), w.get(`${prefix}.out.b`));
}

function block(w: GraphWeights, prefix: string, x: Tensor, b: number, n: number, heads: number): Tensor {
  const h = op.add(x, attention(w, `${prefix}.attn`, op.layerNorm(x, w.get(`${prefix}.ln1.g`), w.get(`${prefix}.ln1.b`)), b, n, heads));
  const m = op.layerNorm(h, w.get(`${prefix}.ln2.g`), w.get(`${prefix}.ln2.b`));
  const f = op.dense(op.gelu(op.dense(m, w.get(`${prefix}.mlp.fc1.w`), w.get(`${prefix}.mlp.fc1.b`))), w.get(`${prefix}.mlp.fc2.w`), w.get(`${prefix}.mlp.fc2.b`));
  return op.add(h, f);
}

export interface TokenInput {
  /** [B·m, 12·P] */
  patches: Tensor;
  batch: number;
  count: number;
  /** [B·m, n] one-hot positions of the visible tokens (masked pre-training). */
  positions?: Tensor;
}

/** Encoder tokens → [B, 1 + m, D] after the final LayerNorm (CLS first). */
export function encodeTokens(w: GraphWeights, c: VitConfig, input: TokenInput): Tensor {
  const { batch: b, count: m } = input;
  const pos = w.get('enc.pos');
  const x = op.dense(input.patches, w.get('enc.patch.w'), w.get('enc.patch.b'));
  const placed = input.positions ? op.add(x, op.matMul(input.positions, pos)) : op.add(op.reshape(x, [b, m, c.dim]), pos);
  const cls = op.expand(w.get('enc.cls'), [b, 1, c.dim]);
  const seq = op.concat([cls, op.reshape(placed, [b, m, c.dim])], 1);
  let h = op.reshape(seq, [b * (m + 1), c.dim]);
  for (let i = 0; i < c.depth; i++) h = block(w, `enc.blocks.${i}`, h, b, m + 1, c.heads);
  h = op.layerNorm(h, w.get('enc.norm.g'), w.get('enc.norm.b'));
  return op.reshape(h, [b, m + 1, c.dim]);
}

export function pool(tokens: Tensor, pooling: VitConfig['pooling']): Tensor {
  const [b, t, d] = tokens.shape as [number, number, number];
  if (pooling === 'cls') return op.reshape(op.slice(tokens, 1, 0, 1), [b, d]);
  return op.scale(op.sum(op.slice(tokens, 1, 1, t), 1), 1 / (t - 1));
}

/** Decoder: encoder tokens (CLS dropped) → predicted patches [B, n, 12·P]; `scatter` [B, n, m], `masked` [B, n, 1]. */
export function decode(w: GraphWeights, c: VitConfig, tokens: Tensor, unshuffle?: { scatter: Tensor; masked: Tensor }): Tensor {
  const [b, t, d] = tokens.shape as [number, number, number];
  const m = t - 1;
  const n = tokenCount(c.patch);
  const dd = c.decoderDim;
  const visible = op.reshape(op.slice(tokens, 1, 1, t), [b * m, d]);
  let x = op.reshape(op.dense(visible, w.get('dec.embed.w'), w.get('dec.embed.b')), [b, m, dd]);
  if (unshuffle) x = op.add(op.matMul(unshuffle.scatter, x), op.mul(unshuffle.masked, w.get('dec.mask')));
  else if (m !== n) throw new Error(`Decoder got ${m} tokens without an unshuffle plan; expected ${n}`);
  let h = op.reshape(op.add(x, w.get('dec.pos')), [b * n, dd]);
  for (let i = 0; i < c.decoderDepth; i++) h = block(w, `dec.blocks.${i}`, h, b, n, defaultHeads(dd));
  h = op.layerNorm(h, w.get('dec.norm.g'), w.get('dec.norm.b'));
  return op.reshape(op.dense(h, w.get('dec.pred.w'), w.get('dec.pred.b')), [b, n, N_LEADS * c.patch]);
}

export function project(w: GraphWeights, pooled: Tensor): Tensor {
  return op.dense(op.gelu(op.dense(pooled, w.get('head.fc1.w'), w.get('head.fc1.b'))), w.get('head.fc2.w'), w.get('head.fc2.b'));
}

function normalizeRows(z: Tensor): Tensor {
  return op.mul(z, op.rsqrt(op.add(op.sum(op.square(z), 1, true), z.g.scalar(1e-12))));
}

export function cosineLogits(z1: Tensor, z2: Tensor, tau: number): Tensor {
  return op.div(op.matMul(normalizeRows(z1), normalizeRows(z2), true), z1.g.scalar(tau));
}

function eye(g: Graph, b: number, value = 1): Tensor {
  const data = new Float32Array(b * b);
  for (let i = 0; i < b; i++) data[i * b + i] = value;
  return g.constant(data, [b, b]);
}

/** Sample-level InfoNCE, symmetric (main/ssl/losses.ts). */
export function sampleInfoNce(z1: Tensor, z2: Tensor, tau: number): Tensor {
  const b = z1.shape[0]!;
  const logits = cosineLogits(z1, z2, tau);
  const I = eye(z1.g, b);
  const ab = op.sumAll(op.mul(op.logSoftmax(logits), I));
  const ba = op.sumAll(op.mul(op.logSoftmax(op.transpose(logits, [1, 0])), I));
  return op.div(op.add(ab, ba), z1.g.scalar(-2 * b));
}

/**
 * Patient-level InfoNCE with the positives' weights W [B, B] and `norm` = −1/(2·anchors) as inputs
 * (both zero when the batch has no patient with two ECGs, which makes the term and its gradient zero).
 */
export function patientInfoNce(z1: Tensor, z2: Tensor, weights: Tensor, norm: Tensor, tau: number): Tensor {
  const b = z1.shape[0]!;
  const logits = cosineLogits(z1, z2, tau);
  const notSelf = eye(z1.g, b, -1e9);
  const ab = op.sumAll(op.mul(op.logSoftmax(op.add(logits, notSelf)), weights));
  const ba = op.sumAll(op.mul(op.logSoftmax(op.add(op.transpose(logits, [1, 0]), notSelf)), weights));
  return op.mul(op.add(ab, ba), norm);
}

/** Mean absolute error over the patches weighted 1 by `weights` [B, n, 1] (all patches without). */
export function reconstructionL1(pred: Tensor, target: Tensor, weights?: Tensor, weightSum?: number): Tensor {
  // Per patch first, then over patches, as the tfjs engine (a single float32 running sum drifts).
  const width = pred.shape[2]!;
  const err = op.sum(op.abs(op.sub(pred, target)), 2, true);
  if (!weights) return op.scale(op.meanAll(err), 1 / width);
  return op.div(op.sumAll(op.mul(err, weights)), pred.g.scalar(Math.max(weightSum ?? 0, 1) * width));
}
