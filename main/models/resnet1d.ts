/**
 * The 1-D ResNet baseline: the supervised CNN that tops the PTB-XL benchmark's tables (Strodthoff et al. 2021),
 * as the reference a foundation model has to beat. Residual blocks of three convolutions with kernels 8, 5 and 3,
 * each followed by BatchNorm (and ReLU, after the residual sum for the last), as Wang et al. (2017); the stem is
 * xresnet1d's (a strided convolution and a max pool), which brings the 250 Hz input to 62.5 Hz so that the network
 * trains at CPU speed; global average pooling and a dense logistic head.
 *
 * This file holds the architecture and its weights as plain arrays (names, shapes, seeded He initialisation); the
 * graphs that train and score it are in main/onnx/train/resnet.ts.
 */
import { z } from 'zod';
import { N_LEADS, TARGET_SAMPLES } from '../data/types.js';
import { createRng, deriveSeed } from '../evaluation/random.js';
import { convOutputLength, samePads } from '../onnx/train/conv.js';

export const resnet1dConfigSchema = z
  .object({
    stem: z.object({ filters: z.number().int().min(1), kernel: z.number().int().min(1), stride: z.number().int().min(1), pool: z.number().int().min(1) }),
    /** One residual block per entry; `stride` is that of its first convolution (and of the 1×1 shortcut). */
    blocks: z.array(z.object({ filters: z.number().int().min(1), stride: z.number().int().min(1) })).min(1),
    /** Kernel of each convolution inside a block. */
    kernels: z.array(z.number().int().min(1)).min(1),
  })
  .strict();

export type ResNet1dConfig = z.infer<typeof resnet1dConfigSchema>;

/** About 340 k weights (4 outputs): stem 64 ×7/2 + max pool 3/2, blocks 64, 64/2, 128/2 of kernels 8/5/3. */
export const RESNET1D_DEFAULT: ResNet1dConfig = {
  stem: { filters: 64, kernel: 7, stride: 2, pool: 2 },
  blocks: [
    { filters: 64, stride: 1 },
    { filters: 64, stride: 2 },
    { filters: 128, stride: 2 },
  ],
  kernels: [8, 5, 3],
};

export interface ParamSpec {
  name: string;
  shape: number[];
  init: 'he' | 'ones' | 'zeros' | 'head';
}

/** A BatchNorm layer's name, width and input length, in the order the running statistics are kept. */
export interface NormSpec {
  name: string;
  channels: number;
  length: number;
}

export interface ResNet1dLayout {
  params: ParamSpec[];
  norms: NormSpec[];
}

/** Whether block `i` needs a projection shortcut (its width or stride changes the shape). */
export function projects(config: ResNet1dConfig, i: number): boolean {
  const b = config.blocks[i]!;
  const inWidth = i === 0 ? config.stem.filters : config.blocks[i - 1]!.filters;
  return b.stride !== 1 || b.filters !== inWidth;
}

/** Every weight of the network and every BatchNorm, in a fixed order (the flat vector's layout). */
export function resnet1dLayout(config: ResNet1dConfig, outputs: number): ResNet1dLayout {
  const params: ParamSpec[] = [];
  const norms: NormSpec[] = [];
  const conv = (name: string, co: number, ci: number, k: number) => params.push({ name: `${name}.w`, shape: [co, ci, k], init: 'he' });
  const norm = (name: string, c: number, length: number, zeroInit = false) => {
    params.push({ name: `${name}.g`, shape: [c], init: zeroInit ? 'zeros' : 'ones' }, { name: `${name}.b`, shape: [c], init: 'zeros' });
    norms.push({ name, channels: c, length });
  };
  const { stem } = config;
  conv('stem.conv', stem.filters, N_LEADS, stem.kernel);
  let length = convOutputLength(TARGET_SAMPLES, stem.kernel, stem.stride, samePads(stem.kernel));
  norm('stem.bn', stem.filters, length);
  if (stem.pool > 1) length = convOutputLength(length, stem.pool + 1, stem.pool, [1, 1]);
  let width = stem.filters;
  config.blocks.forEach((b, i) => {
    let ci = width;
    const out = convOutputLength(length, config.kernels[0]!, b.stride, samePads(config.kernels[0]!));
    config.kernels.forEach((k, j) => {
      conv(`blocks.${i}.conv${j}`, b.filters, ci, k);
      // The last BatchNorm of each block starts at zero, so every block starts as the identity (Goyal et al. 2017).
      norm(`blocks.${i}.bn${j}`, b.filters, out, j === config.kernels.length - 1);
      ci = b.filters;
    });
    if (projects(config, i)) {
      conv(`blocks.${i}.short`, b.filters, width, 1);
      norm(`blocks.${i}.short_bn`, b.filters, out);
    }
    width = b.filters;
    length = out;
  });
  if (length < 1) throw new Error(`resnet1d: the strides leave no samples of the ${TARGET_SAMPLES}-sample input`);
  params.push({ name: 'head.w', shape: [width, outputs], init: 'head' }, { name: 'head.b', shape: [outputs], init: 'zeros' });
  return { params, norms };
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function parameterCount(layout: ResNet1dLayout): number {
  return layout.params.reduce((s, p) => s + sizeOf(p.shape), 0);
}

/**
 * Seeded initial weights in layout order: He-normal convolutions (fan-in, for ReLU), BatchNorm γ = 1 (0 for a
 * block's last), β = 0, and PyTorch Linear's uniform ±1/√fan-in for the head.
 */
export function initialWeights(layout: ResNet1dLayout, seed: number): Float32Array {
  const rng = createRng(deriveSeed(seed, 'resnet1d'));
  const normal = (): number => {
    const u = 1 - rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
  const out = new Float32Array(parameterCount(layout));
  let at = 0;
  for (const p of layout.params) {
    const n = sizeOf(p.shape);
    const fanIn = p.init === 'he' ? p.shape[1]! * p.shape[2]! : p.shape[0]!;
    for (let k = 0; k < n; k++) {
      out[at + k] = p.init === 'he' ? normal() * Math.sqrt(2 / fanIn) : p.init === 'ones' ? 1 : p.init === 'head' ? (rng() * 2 - 1) / Math.sqrt(fanIn) : 0;
    }
    at += n;
  }
  return out;
}

/** Running statistics of every BatchNorm, [mean (C) | variance (C)] per layer in layout order: 0 and 1 at start. */
export function initialStatistics(layout: ResNet1dLayout): Float32Array {
  const out = new Float32Array(layout.norms.reduce((s, n) => s + 2 * n.channels, 0));
  let at = 0;
  for (const n of layout.norms) {
    out.fill(1, at + n.channels, at + 2 * n.channels);
    at += 2 * n.channels;
  }
  return out;
}

/** PyTorch's running-statistics update after a batch of `batch` ECGs, in place: r ← (1 − m)·r + m·batch statistic, the variance made unbiased first. */
export function updateStatistics(running: Float32Array, stats: Float32Array, layout: ResNet1dLayout, batch: number, momentum = 0.1): void {
  let at = 0;
  for (const n of layout.norms) {
    const m = batch * n.length;
    const unbias = m > 1 ? m / (m - 1) : 1;
    for (let c = 0; c < n.channels; c++) {
      running[at + c] = (1 - momentum) * running[at + c]! + momentum * stats[at + c]!;
      const v = at + n.channels + c;
      running[v] = (1 - momentum) * running[v]! + momentum * stats[v]! * unbias;
    }
    at += 2 * n.channels;
  }
}

export function describeResNet1d(config: ResNet1dConfig, params: number): string {
  const blocks = config.blocks.map((b) => `${b.filters}${b.stride > 1 ? `/${b.stride}` : ''}`).join('-');
  return `resnet1d: stem ${config.stem.filters}×${config.stem.kernel}/${config.stem.stride}${config.stem.pool > 1 ? ` + max pool ${config.stem.pool + 1}/${config.stem.pool}` : ''}, blocks ${blocks}, kernels ${config.kernels.join('/')}, ${(params / 1000).toFixed(0)} k weights`;
}
