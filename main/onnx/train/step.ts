/**
 * One training step as one ONNX graph: batch + flat weights + AdamW moments in; loss terms and the updated weights
 * and moments out (or, for parity checks, the flat gradient). The graph for each kind:
 *   finetune  encoder on all patches → pooled → logistic head → mean sigmoid cross-entropy
 *   gl        encoder on the visible patches → decoder → masked L1 reconstruction
 *   cl        encoder on two augmented views → projection head → sample- + patient-level InfoNCE
 *   hl        both, each on its own input (the GL masked ECGs, the CL views): w_r·recon + w_s·sample + w_p·patient
 * Random choices (masks, views) and batch assembly stay in TypeScript; `stepFeeds` turns them into inputs.
 */
import { N_LEADS } from '../../data/types.js';
import type { VitConfig } from '../../models/types.js';
import { tokenCount } from '../../models/vit.js';
import { Graph, Tensor } from './graph.js';
import * as op from './ops.js';
import { decode, encodeTokens, GraphWeights, patientInfoNce, pool, project, reconstructionL1, sampleInfoNce, type ParamLayout } from './vit.js';

export type StepKind = 'finetune' | 'gl' | 'cl' | 'hl';

export interface AdamWHyper {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const ADAMW_DEFAULTS: AdamWHyper = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export interface StepGraphSpec {
  kind: StepKind;
  config: VitConfig;
  layout: ParamLayout;
  /** ECGs per batch (CL/HL also feed two views of each). */
  batch: number;
  /** Visible patches per ECG (GL/HL). */
  visible?: number;
  /** Outputs of the fine-tuning head. */
  tasks?: number;
  tau?: number;
  lossWeights?: { recon: number; patient: number; sample: number };
  reconAllPatches?: boolean;
  clipNorm?: number;
  adamw?: AdamWHyper;
  /**
   * Per-parameter learning rates (layer-wise decay): `lr` and `decay` are [P] vectors instead of scalars.
   */
  perParameterLr?: boolean;
  /** 'update' (training), 'gradients' (the flat gradient, for parity checks) or 'losses' (forward only: validation). */
  emit: 'update' | 'gradients' | 'losses';
}

export const LOSS_TERMS = ['recon', 'patient', 'sample'] as const;

/** Shapes of the batch inputs of a step graph, by input name. */
export function batchInputShapes(s: StepGraphSpec): Record<string, number[]> {
  const c = s.config;
  const n = tokenCount(c.patch);
  const width = N_LEADS * c.patch;
  const B = s.batch;
  const out: Record<string, number[]> = {};
  if (s.kind === 'gl' || s.kind === 'hl') {
    const m = s.visible ?? n;
    out.visible = [B * m, width];
    out.positions = [B * m, n];
    out.target = [B, n, width];
    out.scatter = [B, n, m];
    out.masked = [B, n, 1];
  }
  if (s.kind === 'finetune') {
    out.patches = [B * n, width];
    out.labels = [B, s.tasks ?? 1];
  }
  if (s.kind === 'cl' || s.kind === 'hl') {
    out.patches = [2 * B * n, width];
    out.pos_weights = [B, B];
    out.pos_norm = [];
  }
  return out;
}

interface Built {
  total: Tensor;
  terms: Partial<Record<(typeof LOSS_TERMS)[number], Tensor>>;
}

function lossGraph(g: Graph, w: GraphWeights, s: StepGraphSpec, inputs: Record<string, Tensor>): Built {
  const c = s.config;
  const n = tokenCount(c.patch);
  const B = s.batch;
  if (s.kind === 'finetune') {
    const tokens = encodeTokens(w, c, { patches: inputs.patches!, batch: B, count: n });
    const logits = op.dense(pool(tokens, c.pooling), w.get('head.w'), w.get('head.b'));
    return { total: op.sigmoidCrossEntropy(logits, inputs.labels!), terms: {} };
  }
  const terms: Built['terms'] = {};
  const parts: Tensor[] = [];
  const weights = s.lossWeights ?? { recon: 1, patient: 1, sample: 1 };
  if (s.kind !== 'cl') {
    const m = s.visible ?? n;
    const tokens = encodeTokens(w, c, { patches: inputs.visible!, positions: inputs.positions!, batch: B, count: m });
    const pred = decode(w, c, tokens, { scatter: inputs.scatter!, masked: inputs.masked! });
    terms.recon = s.reconAllPatches
      ? reconstructionL1(pred, inputs.target!)
      : reconstructionL1(pred, inputs.target!, inputs.masked!, B * (n - m));
    parts.push(s.kind === 'gl' ? terms.recon : op.scale(terms.recon, weights.recon));
  }
  if (s.kind !== 'gl') {
    const tokens = encodeTokens(w, c, { patches: inputs.patches!, batch: 2 * B, count: n });
    const z = project(w, pool(tokens, c.pooling));
    const z1 = op.slice(z, 0, 0, B);
    const z2 = op.slice(z, 0, B, 2 * B);
    const tau = s.tau ?? 0.1;
    terms.sample = sampleInfoNce(z1, z2, tau);
    terms.patient = patientInfoNce(z1, z2, inputs.pos_weights!, inputs.pos_norm!, tau);
    parts.push(op.scale(terms.sample, weights.sample), op.scale(terms.patient, weights.patient));
  }
  const total = parts.length === 1 ? parts[0]! : parts.slice(1).reduce((a, p) => op.add(a, p), parts[0]!);
  return { total, terms };
}

/** Scalar hyper-parameter inputs of an update graph (computed in JS float64, as the tfjs AdamW does). */
export const HYPER_INPUTS = ['lr', 'decay', 'c1', 'c2'] as const;

export function buildStepGraph(s: StepGraphSpec): Uint8Array {
  const g = new Graph();
  const P = s.layout.total;
  const theta = g.input('theta', [P]);
  const inputs: Record<string, Tensor> = {};
  for (const [name, shape] of Object.entries(batchInputShapes(s))) inputs[name] = g.input(name, shape);
  // A forward-only graph records no tape: nothing is differentiated.
  const w = new GraphWeights(g, s.layout, theta, s.emit !== 'losses');
  const { total, terms } = lossGraph(g, w, s, inputs);
  g.output(total, 'loss');
  for (const k of LOSS_TERMS) if (terms[k]) g.output(terms[k], k);
  if (s.emit === 'losses') return g.toBytes(`ecgfm_${s.kind}_losses`);
  const grad = w.flatGradient(total);
  if (s.emit === 'gradients') {
    g.output(grad, 'grad');
    return g.toBytes(`ecgfm_${s.kind}_gradients`);
  }
  appendAdamW(g, theta, grad, s.adamw ?? ADAMW_DEFAULTS, { clipNorm: s.clipNorm, perParameterLr: s.perParameterLr });
  return g.toBytes(`ecgfm_${s.kind}_step`);
}

/**
 * Gradient clipping and AdamW at the end of an update graph: inputs `m`, `v` and the scalars of HYPER_INPUTS (lr and
 * decay one value per parameter with `perParameterLr`); outputs `theta_out`, `m_out`, `v_out`, which the engine
 * binds to its alternate buffers. Every update graph (the ViT steps, the 1-D ResNet) ends here.
 */
export function appendAdamW(g: Graph, theta: Tensor, gradient: Tensor, a: AdamWHyper, o: { clipNorm?: number; perParameterLr?: boolean } = {}): void {
  const P = theta.size;
  const raw = (opName: string, ins: Tensor[], shape: readonly number[] = [P]): Tensor => g.op(opName, ins, shape);
  let grad = gradient;
  if (o.clipNorm && o.clipNorm > 0) {
    // Scale by min(1, c/‖g‖): c / max(‖g‖, c).
    const norm = raw('Sqrt', [g.op('ReduceSum', [raw('Mul', [grad, grad])], [], { keepdims: 0 })], []);
    const clip = g.scalar(o.clipNorm);
    grad = raw('Mul', [grad, raw('Div', [clip, raw('Max', [norm, clip], [])], [])]);
  }
  // lr and decay (1 − lr·wd) are scalars, or one value per parameter under layer-wise decay; c1, c2 always scalars.
  const hyperShape = (k: string): number[] => (o.perParameterLr && (k === 'lr' || k === 'decay') ? [P] : []);
  const hyper = Object.fromEntries(HYPER_INPUTS.map((k) => [k, g.input(k, hyperShape(k))])) as Record<(typeof HYPER_INPUTS)[number], Tensor>;
  const m0 = g.input('m', [P]);
  const v0 = g.input('v', [P]);
  // m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  θ ← θ·(1 − lr·wd) − lr·(m·c1)/(√(v·c2) + ε)
  const m1 = raw('Add', [raw('Mul', [m0, g.scalar(a.beta1)]), raw('Mul', [grad, g.scalar(1 - a.beta1)])]);
  const v1 = raw('Add', [raw('Mul', [v0, g.scalar(a.beta2)]), raw('Mul', [raw('Mul', [grad, grad]), g.scalar(1 - a.beta2)])]);
  const update = raw('Div', [raw('Mul', [m1, hyper.c1]), raw('Add', [raw('Sqrt', [raw('Mul', [v1, hyper.c2])]), g.scalar(a.epsilon)])]);
  const theta1 = raw('Sub', [raw('Mul', [theta, hyper.decay]), raw('Mul', [update, hyper.lr])]);
  g.output(theta1, 'theta_out');
  g.output(m1, 'm_out');
  g.output(v1, 'v_out');
}

/** Forward only: pooled embeddings [B, D] (and, with a head, logits [B, T]) from patches [B·n, 12·P]. */
export function buildForwardGraph(config: VitConfig, layout: ParamLayout, batch: number, head?: { w: string; b: string }, fixed?: Float32Array): Uint8Array {
  const g = new Graph();
  const n = tokenCount(config.patch);
  // With `fixed` weights they are baked in (embeddings of a frozen encoder); otherwise `theta` is an input.
  const theta = fixed ?? g.input('theta', [layout.total]);
  const patches = g.input('patches', [batch * n, N_LEADS * config.patch]);
  const w = new GraphWeights(g, layout, theta, false);
  const pooled = pool(encodeTokens(w, config, { patches, batch, count: n }), config.pooling);
  g.output(pooled, 'embedding');
  if (head) g.output(op.dense(pooled, w.get(head.w), w.get(head.b)), 'logits');
  return g.toBytes('ecgfm_forward');
}
