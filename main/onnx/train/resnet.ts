/**
 * The 1-D ResNet baseline (main/models/resnet1d.ts) as ONNX graphs: a training step (batch statistics in every
 * BatchNorm, mean sigmoid cross-entropy, AdamW in the graph; it also returns each BatchNorm's batch mean and
 * variance so the caller keeps the running statistics) and a scoring graph (running statistics, sigmoid outputs).
 * The weights travel as one flat vector, as in the ViT graphs.
 */
import { N_LEADS, TARGET_SAMPLES } from '../../data/types.js';
import type { ResNet1dConfig, ResNet1dLayout } from '../../models/resnet1d.js';
import { projects } from '../../models/resnet1d.js';
import { batchNorm1d, batchNormInference, conv1d, globalAvgPool1d, maxPool1d, relu } from './conv.js';
import { Graph, Tensor } from './graph.js';
import * as op from './ops.js';
import { appendAdamW, ADAMW_DEFAULTS, type AdamWHyper } from './step.js';
import { GraphWeights, paramLayout, type ParamLayout } from './vit.js';

export function weightLayout(layout: ResNet1dLayout): ParamLayout {
  return paramLayout(layout.params);
}

/** Running statistics as a flat vector: per BatchNorm its mean then its variance (initialStatistics' order). */
export function statisticsLayout(layout: ResNet1dLayout): ParamLayout {
  return paramLayout(layout.norms.flatMap((n) => [{ name: `${n.name}.mean`, shape: [n.channels] }, { name: `${n.name}.var`, shape: [n.channels] }]));
}

/** BatchNorm of one layer: batch statistics while training (recorded in `stats`), running ones when scoring. */
type Norm = (name: string, x: Tensor) => Tensor;

function network(w: GraphWeights, c: ResNet1dConfig, signals: Tensor, norm: Norm): Tensor {
  const pool = c.stem.pool;
  let h = relu(norm('stem.bn', conv1d(signals, w.get('stem.conv.w'), { stride: c.stem.stride })));
  if (pool > 1) h = maxPool1d(h, pool + 1, pool, 1);
  c.blocks.forEach((b, i) => {
    let x = h;
    c.kernels.forEach((_, j) => {
      x = norm(`blocks.${i}.bn${j}`, conv1d(x, w.get(`blocks.${i}.conv${j}.w`), { stride: j === 0 ? b.stride : 1 }));
      if (j < c.kernels.length - 1) x = relu(x);
    });
    const shortcut = projects(c, i) ? norm(`blocks.${i}.short_bn`, conv1d(h, w.get(`blocks.${i}.short.w`), { stride: b.stride, pads: [0, 0] })) : h;
    h = relu(op.add(x, shortcut));
  });
  return op.dense(globalAvgPool1d(h), w.get('head.w'), w.get('head.b'));
}

export interface ResNetStepSpec {
  config: ResNet1dConfig;
  layout: ResNet1dLayout;
  batch: number;
  tasks: number;
  adamw?: AdamWHyper;
  clipNorm?: number;
  /** 'update' (training) or 'gradients' (loss and flat gradient only, for checks). */
  emit: 'update' | 'gradients';
}

/**
 * Inputs theta [P], signals [B, 12, 2500], labels [B, T] (+ AdamW's); outputs loss, batch_stats [S] (each
 * BatchNorm's batch mean and biased variance, statisticsLayout's order) and the updated state (or `grad`).
 */
export function buildResNetStepGraph(s: ResNetStepSpec): Uint8Array {
  const g = new Graph();
  const P = weightLayout(s.layout);
  const theta = g.input('theta', [P.total]);
  const signals = g.input('signals', [s.batch, N_LEADS, TARGET_SAMPLES]);
  const labels = g.input('labels', [s.batch, s.tasks]);
  const w = new GraphWeights(g, P, theta, true);
  const stats = new Map<string, [Tensor, Tensor]>();
  const logits = network(w, s.config, signals, (name, x) => {
    const bn = batchNorm1d(x, w.get(`${name}.g`), w.get(`${name}.b`));
    stats.set(name, [bn.mean, bn.variance]);
    return bn.y;
  });
  const loss = op.sigmoidCrossEntropy(logits, labels);
  g.output(loss, 'loss');
  const parts = s.layout.norms.flatMap((n) => stats.get(n.name)!.map((t) => t.name));
  const total = s.layout.norms.reduce((a, n) => a + 2 * n.channels, 0);
  g.output(new Tensor(g, g.node('Concat', parts, { axis: 0 })[0]!, [total], false), 'batch_stats');
  const grad = w.flatGradient(loss);
  if (s.emit === 'gradients') {
    g.output(grad, 'grad');
    return g.toBytes('ecgfm_resnet1d_gradients');
  }
  appendAdamW(g, theta, grad, s.adamw ?? ADAMW_DEFAULTS, { clipNorm: s.clipNorm });
  return g.toBytes('ecgfm_resnet1d_step');
}

/**
 * Scoring: signals [B, 12, 2500] → sigmoid probabilities [B, T] with the running statistics. With `fixed` the
 * weights and statistics are baked in (an exported model); otherwise `theta` and `stats` are inputs.
 */
export function buildResNetScoreGraph(config: ResNet1dConfig, layout: ResNet1dLayout, batch: number, fixed?: { theta: Float32Array; stats: Float32Array }): Uint8Array {
  const g = new Graph();
  const P = weightLayout(layout);
  const S = statisticsLayout(layout);
  const w = new GraphWeights(g, P, fixed?.theta ?? g.input('theta', [P.total]), false);
  const r = new GraphWeights(g, S, fixed?.stats ?? g.input('stats', [S.total]), false);
  const signals = g.input('signals', [batch, N_LEADS, TARGET_SAMPLES]);
  const logits = network(w, config, signals, (name, x) =>
    batchNormInference(x, w.get(`${name}.g`), w.get(`${name}.b`), r.get(`${name}.mean`), r.get(`${name}.var`)),
  );
  g.output(logits, 'logits');
  g.output(g.op('Sigmoid', [logits], logits.shape), 'probabilities');
  return g.toBytes('ecgfm_resnet1d_score');
}
