/**
 * The ViT foundation model: patch projection, CLS token, position embeddings, pre-LN transformer blocks,
 * a final LayerNorm; plus the MAE-style decoder (GL/HL) and the projection head (CL/HL).
 *
 * Patch rule: an ECG of 2500 samples gives floor(2500 / P) patches; the trailing 2500 mod P samples are cropped.
 * A patch's features are its 12 leads × P samples, lead-major, so the projection is the conv1d
 * (kernel = stride = P) written as reshape + matMul (the conv filter gradient has no wasm kernel).
 */
import { tf } from '../compute/tf.js';
import { N_LEADS, TARGET_SAMPLES } from '../data/types.js';
import { dense, gelu, layerNorm, matMul } from './ops.js';
import type { ParamStore } from './params.js';
import type { VitConfig } from './types.js';
import { defaultHeads, modelShapeProblems, patchCount } from '../../contract/vocabulary.js';

export { defaultHeads };

export type VitConfigInput = Partial<VitConfig> & { patch: number; depth: number; dim: number };

/** Patches per ECG for patch size P. */
export function tokenCount(patch: number): number {
  return patchCount(patch);
}

function positiveInt(name: string, v: number, max = Infinity): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`Model ${name} must be an integer from 1 to ${max}, got ${v}`);
  return v;
}

/** Fill in defaults and check that a user-typed P, D, L (and the rest) make a valid model. */
export function resolveVitConfig(input: VitConfigInput): VitConfig {
  // The shape rules (patch rule, limits, heads dividing the width) are the contract's, as forms check them.
  const problems = modelShapeProblems(input);
  if (problems.length) throw new Error(`Model P${input.patch} L${input.depth} D${input.dim}: ${problems.map((p) => `${p.field}: ${p.message}`).join(' ')}`);
  const { patch, depth, dim } = input;
  const heads = input.heads ?? defaultHeads(dim);
  const decoderDim = positiveInt('decoderDim', input.decoderDim ?? Math.max(1, Math.floor(dim / 2)), 8192);
  const decoderDepth = input.decoderDepth ?? 2;
  if (!Number.isInteger(decoderDepth) || decoderDepth < 0) throw new Error(`Model decoderDepth must be an integer ≥ 0, got ${decoderDepth}`);
  const mlpRatio = input.mlpRatio ?? 4;
  if (!(mlpRatio > 0)) throw new Error(`Model mlpRatio must be positive, got ${mlpRatio}`);
  const pooling = input.pooling ?? 'cls';
  if (pooling !== 'cls' && pooling !== 'mean') throw new Error(`Model pooling must be cls or mean, got ${String(pooling)}`);
  return { patch, depth, dim, heads, mlpRatio, decoderDim, decoderDepth, pooling };
}

/** Tokens of a batch, flattened: `patches` is [B·m, 12·P]; `positions` picks each token's position ([B·m, n] one-hot) when not all n are present. */
export interface TokenInput {
  patches: tf.Tensor2D;
  batch: number;
  count: number;
  positions?: tf.Tensor2D;
}

/** [B, 12, 2500] → [B·n, 12·P], cropping the remainder at the end. */
export function patchifyTensor(signals: tf.Tensor3D, patch: number): tf.Tensor2D {
  const [b, leads, samples] = signals.shape;
  if (leads !== N_LEADS || samples < patch) {
    throw new Error(`Expected ECGs shaped [B, ${N_LEADS}, ${TARGET_SAMPLES}], got [${signals.shape}]`);
  }
  const n = Math.floor(samples / patch);
  return tf.tidy(() => {
    const cropped = n * patch === samples ? signals : tf.slice(signals, [0, 0, 0], [b, leads, n * patch]);
    return tf.reshape(tf.transpose(tf.reshape(cropped, [b, leads, n, patch]), [0, 2, 1, 3]), [b * n, leads * patch]);
  });
}

function addBlock(p: ParamStore, prefix: string, dim: number, mlpRatio: number): void {
  const hidden = Math.max(1, Math.round(dim * mlpRatio));
  p.add(`${prefix}.ln1.g`, [dim], 'ones');
  p.add(`${prefix}.ln1.b`, [dim], 'zeros');
  p.add(`${prefix}.attn.qkv.w`, [dim, 3 * dim], 'xavier');
  p.add(`${prefix}.attn.qkv.b`, [3 * dim], 'zeros');
  p.add(`${prefix}.attn.out.w`, [dim, dim], 'xavier');
  p.add(`${prefix}.attn.out.b`, [dim], 'zeros');
  p.add(`${prefix}.ln2.g`, [dim], 'ones');
  p.add(`${prefix}.ln2.b`, [dim], 'zeros');
  p.add(`${prefix}.mlp.fc1.w`, [dim, hidden], 'xavier');
  p.add(`${prefix}.mlp.fc1.b`, [hidden], 'zeros');
  p.add(`${prefix}.mlp.fc2.w`, [hidden, dim], 'xavier');
  p.add(`${prefix}.mlp.fc2.b`, [dim], 'zeros');
}

/** Multi-head self-attention on x [B·n, D]: heads via reshape/transpose, scores via batched plain matMuls. */
function attention(p: ParamStore, prefix: string, x: tf.Tensor2D, b: number, n: number, heads: number): tf.Tensor2D {
  const dim = x.shape[1];
  const dh = dim / heads;
  const qkv = dense(x, p.get(`${prefix}.qkv.w`), p.get(`${prefix}.qkv.b`));
  const part = (i: number): tf.Tensor4D => tf.reshape(tf.slice(qkv, [0, i * dim], [b * n, dim]), [b, n, heads, dh]);
  const q = tf.reshape(tf.transpose(tf.mul(part(0), 1 / Math.sqrt(dh)), [0, 2, 1, 3]), [b * heads, n, dh]) as tf.Tensor3D;
  const kT = tf.reshape(tf.transpose(part(1), [0, 2, 3, 1]), [b * heads, dh, n]) as tf.Tensor3D;
  const v = tf.reshape(tf.transpose(part(2), [0, 2, 1, 3]), [b * heads, n, dh]) as tf.Tensor3D;
  const weights = tf.softmax(matMul(q, kT));
  const ctx = tf.reshape(tf.transpose(tf.reshape(matMul(weights, v), [b, heads, n, dh]), [0, 2, 1, 3]), [b * n, dim]) as tf.Tensor2D;
  return dense(ctx, p.get(`${prefix}.out.w`), p.get(`${prefix}.out.b`));
}

/** Pre-LN transformer block on x [B·n, D]. */
function block(p: ParamStore, prefix: string, x: tf.Tensor2D, b: number, n: number, heads: number): tf.Tensor2D {
  const h: tf.Tensor2D = tf.add(x, attention(p, `${prefix}.attn`, layerNorm(x, p.get(`${prefix}.ln1.g`), p.get(`${prefix}.ln1.b`)), b, n, heads));
  const m = layerNorm(h, p.get(`${prefix}.ln2.g`), p.get(`${prefix}.ln2.b`));
  const f = dense(gelu(dense(m, p.get(`${prefix}.mlp.fc1.w`), p.get(`${prefix}.mlp.fc1.b`))), p.get(`${prefix}.mlp.fc2.w`), p.get(`${prefix}.mlp.fc2.b`));
  return tf.add(h, f);
}

export function addEncoderParams(p: ParamStore, c: VitConfig): void {
  const n = tokenCount(c.patch);
  p.add('enc.patch.w', [N_LEADS * c.patch, c.dim], 'xavier');
  p.add('enc.patch.b', [c.dim], 'zeros');
  p.add('enc.cls', [1, 1, c.dim], { normal: 0.02 });
  p.add('enc.pos', [n, c.dim], { normal: 0.02 });
  for (let i = 0; i < c.depth; i++) addBlock(p, `enc.blocks.${i}`, c.dim, c.mlpRatio);
  p.add('enc.norm.g', [c.dim], 'ones');
  p.add('enc.norm.b', [c.dim], 'zeros');
}

/** Encoder tokens → [B, 1 + m, D] after the final LayerNorm (CLS first). */
export function encodeTokens(p: ParamStore, c: VitConfig, input: TokenInput): tf.Tensor3D {
  const { batch: b, count: m } = input;
  const pos = p.get('enc.pos') as tf.Tensor2D;
  const x = dense(input.patches, p.get('enc.patch.w'), p.get('enc.patch.b'));
  const placed: tf.Tensor = input.positions ? tf.add(x, matMul(input.positions, pos)) : tf.add(tf.reshape(x, [b, m, c.dim]), pos);
  const cls = tf.tile(p.get('enc.cls'), [b, 1, 1]);
  const seq = tf.concat([cls, tf.reshape(placed, [b, m, c.dim])], 1);
  let h = tf.reshape(seq, [b * (m + 1), c.dim]) as tf.Tensor2D;
  for (let i = 0; i < c.depth; i++) h = block(p, `enc.blocks.${i}`, h, b, m + 1, c.heads);
  h = layerNorm(h, p.get('enc.norm.g'), p.get('enc.norm.b'));
  return tf.reshape(h, [b, m + 1, c.dim]);
}

/** CLS or mean-of-patches pooling: [B, 1 + m, D] → [B, D]. */
export function pool(tokens: tf.Tensor3D, pooling: VitConfig['pooling']): tf.Tensor2D {
  const [b, t, d] = tokens.shape;
  if (pooling === 'cls') return tf.reshape(tf.slice(tokens, [0, 0, 0], [b, 1, d]), [b, d]);
  return tf.mean(tf.slice(tokens, [0, 1, 0], [b, t - 1, d]), 1) as tf.Tensor2D;
}

export function addDecoderParams(p: ParamStore, c: VitConfig): void {
  const n = tokenCount(c.patch);
  const dd = c.decoderDim;
  p.add('dec.embed.w', [c.dim, dd], 'xavier');
  p.add('dec.embed.b', [dd], 'zeros');
  p.add('dec.mask', [1, 1, dd], { normal: 0.02 });
  p.add('dec.pos', [n, dd], { normal: 0.02 });
  for (let i = 0; i < c.decoderDepth; i++) addBlock(p, `dec.blocks.${i}`, dd, c.mlpRatio);
  p.add('dec.norm.g', [dd], 'ones');
  p.add('dec.norm.b', [dd], 'zeros');
  p.add('dec.pred.w', [dd, N_LEADS * c.patch], 'xavier');
  p.add('dec.pred.b', [N_LEADS * c.patch], 'zeros');
}

/** Where the visible tokens go back among all n, and which positions are masked. */
export interface Unshuffle {
  /** [B, n, m] one-hot: row j of sample b takes visible token k. */
  scatter: tf.Tensor3D;
  /** [B, n, 1]: 1 where the patch was masked. */
  masked: tf.Tensor3D;
}

/**
 * Decoder: encoder tokens [B, 1 + m, D] (CLS dropped) → predicted patches [B, n, 12·P].
 * Without `unshuffle` all n patches were visible.
 */
export function decode(p: ParamStore, c: VitConfig, tokens: tf.Tensor3D, unshuffle?: Unshuffle): tf.Tensor3D {
  const [b, t, d] = tokens.shape;
  const m = t - 1;
  const n = tokenCount(c.patch);
  const dd = c.decoderDim;
  const visible = tf.reshape(tf.slice(tokens, [0, 1, 0], [b, m, d]), [b * m, d]) as tf.Tensor2D;
  let x = tf.reshape(dense(visible, p.get('dec.embed.w'), p.get('dec.embed.b')), [b, m, dd]) as tf.Tensor3D;
  if (unshuffle) {
    x = tf.add(matMul(unshuffle.scatter, x), tf.mul(unshuffle.masked, p.get('dec.mask')));
  } else if (m !== n) {
    throw new Error(`Decoder got ${m} tokens without an unshuffle plan; expected ${n}`);
  }
  let h = tf.reshape(tf.add(x, p.get('dec.pos')), [b * n, dd]) as tf.Tensor2D;
  for (let i = 0; i < c.decoderDepth; i++) h = block(p, `dec.blocks.${i}`, h, b, n, defaultHeads(dd));
  h = layerNorm(h, p.get('dec.norm.g'), p.get('dec.norm.b'));
  return tf.reshape(dense(h, p.get('dec.pred.w'), p.get('dec.pred.b')), [b, n, N_LEADS * c.patch]);
}

/** Projection head width: the contrastive embedding size. */
export function projectionDim(c: VitConfig): number {
  return Math.min(128, c.dim);
}

export function addHeadParams(p: ParamStore, c: VitConfig): void {
  p.add('head.fc1.w', [c.dim, c.dim], 'xavier');
  p.add('head.fc1.b', [c.dim], 'zeros');
  p.add('head.fc2.w', [c.dim, projectionDim(c)], 'xavier');
  p.add('head.fc2.b', [projectionDim(c)], 'zeros');
}

/** Projection head MLP on pooled embeddings: [B, D] → [B, proj]. */
export function project(p: ParamStore, pooled: tf.Tensor2D): tf.Tensor2D {
  return dense(gelu(dense(pooled, p.get('head.fc1.w'), p.get('head.fc1.b'))), p.get('head.fc2.w'), p.get('head.fc2.b'));
}
