/**
 * The ONNX Runtime training engine: runs the step graphs of main/onnx/train/step.ts and keeps the flat weights and
 * AdamW moments in two sets of buffers that alternate as inputs and pre-allocated outputs, so ONNX Runtime writes
 * the updated state straight into the buffers the next step reads: no per-step copies or allocations in JS.
 * One session per graph shape (kind, batch, visible count), built on first use.
 */
import type { Feeds } from './feeds.js';
import { createSession, requireOrt, type Ort, type OrtInferenceSession, type OrtTensor } from './session.js';
import { ADAMW_DEFAULTS, buildForwardGraph, buildStepGraph, LOSS_TERMS, type AdamWHyper, type StepGraphSpec } from './step.js';
import type { ParamLayout } from './vit.js';
import type { VitConfig } from '../../models/types.js';
import { tokenCount } from '../../models/vit.js';
import { patchify } from '../../ssl/patches.js';

export interface TrainerState {
  theta: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** AdamW updates applied so far. */
  step: number;
}

export type StepShape = Omit<StepGraphSpec, 'layout' | 'emit' | 'adamw'>;

interface Buffers {
  theta: OrtTensor;
  m: OrtTensor;
  v: OrtTensor;
}

export interface TrainerOptions {
  weightDecay: number;
  adamw?: AdamWHyper;
  threads?: number;
  profilePrefix?: string;
  /**
   * Learning-rate multiplier per parameter, in layout order (layer-wise decay, main/training/layer-decay.ts); each
   * step then feeds lr·scale and 1 − lr·scale·wd as vectors, computed in float64 as the tfjs AdamW does.
   */
  lrScale?: Float32Array;
}

export class OrtTrainer {
  private readonly sessions = new Map<string, Promise<OrtInferenceSession>>();
  private cur: Buffers;
  private next: Buffers;
  step: number;
  weightDecay: number;

  private constructor(
    private readonly ort: Ort,
    readonly layout: ParamLayout,
    init: TrainerState,
    private readonly opts: TrainerOptions,
  ) {
    const P = layout.total;
    for (const k of ['theta', 'm', 'v'] as const) {
      if (init[k].length !== P) throw new Error(`ONNX trainer: ${k} has ${init[k].length} values, the model has ${P}`);
    }
    const tensor = (data: Float32Array): OrtTensor => new ort.Tensor('float32', data, [P]);
    this.cur = { theta: tensor(init.theta.slice()), m: tensor(init.m.slice()), v: tensor(init.v.slice()) };
    this.next = { theta: tensor(new Float32Array(P)), m: tensor(new Float32Array(P)), v: tensor(new Float32Array(P)) };
    this.step = init.step;
    this.weightDecay = opts.weightDecay;
    if (opts.lrScale && opts.lrScale.length !== P) throw new Error(`ONNX trainer: lrScale has ${opts.lrScale.length} values, the model has ${P}`);
  }

  static async create(layout: ParamLayout, init: TrainerState, opts: TrainerOptions): Promise<OrtTrainer> {
    return new OrtTrainer(await requireOrt(), layout, init, opts);
  }

  private session(spec: StepGraphSpec): Promise<OrtInferenceSession> {
    return this.sessionOf(JSON.stringify({ ...spec, layout: spec.layout.total }), () => buildStepGraph(spec));
  }

  private sessionOf(key: string, build: () => Uint8Array): Promise<OrtInferenceSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = createSession(build(), { threads: this.opts.threads, profilePrefix: this.opts.profilePrefix });
      this.sessions.set(key, s);
    }
    return s;
  }

  private inputs(feeds: Feeds): Record<string, OrtTensor> {
    const out: Record<string, OrtTensor> = {};
    for (const [k, f] of Object.entries(feeds)) out[k] = new this.ort.Tensor('float32', f.data, f.shape);
    return out;
  }

  private scalar(v: number): OrtTensor {
    return new this.ort.Tensor('float32', Float32Array.of(v), []);
  }

  /** lr and decay inputs: scalars, or per-parameter vectors under a learning-rate scale (reused while lr stays). */
  private rates(lr: number): { lr: OrtTensor; decay: OrtTensor } {
    const scale = this.opts.lrScale;
    if (!scale) return { lr: this.scalar(lr), decay: this.scalar(1 - lr * this.weightDecay) };
    if (this.rateCache?.lr !== lr) {
      const P = scale.length;
      const lrs = new Float32Array(P);
      const decay = new Float32Array(P);
      for (let i = 0; i < P; i++) {
        const r = lr * scale[i]!;
        lrs[i] = r;
        decay[i] = 1 - r * this.weightDecay;
      }
      this.rateCache = { lr, tensors: { lr: new this.ort.Tensor('float32', lrs, [P]), decay: new this.ort.Tensor('float32', decay, [P]) } };
    }
    return this.rateCache.tensors;
  }

  private rateCache: { lr: number; tensors: { lr: OrtTensor; decay: OrtTensor } } | null = null;

  /** One AdamW step at learning rate `lr` (times each parameter's lrScale); returns the loss terms the graph computed. */
  async train(shape: StepShape, feeds: Feeds, lr: number): Promise<Record<string, number>> {
    const a = this.opts.adamw ?? ADAMW_DEFAULTS;
    const session = await this.session({ ...shape, layout: this.layout, adamw: a, emit: 'update', perParameterLr: this.opts.lrScale !== undefined });
    return this.losses(await this.update(session, feeds, lr, this.lossFetches(session)));
  }

  /**
   * One AdamW step of any update graph that ends in `appendAdamW` (main/onnx/train/step.ts), built by `build` on
   * first use of `key` (per-parameter rates only when this trainer has an lrScale); returns the outputs named in
   * `fetch` besides the new state.
   */
  async trainGraph(key: string, build: () => Uint8Array, feeds: Feeds, lr: number, fetch: readonly string[]): Promise<Record<string, OrtTensor>> {
    const session = await this.sessionOf(key, build);
    return this.update(session, feeds, lr, Object.fromEntries(fetch.map((n) => [n, null])));
  }

  private async update(session: OrtInferenceSession, feeds: Feeds, lr: number, fetches: Record<string, null>): Promise<Record<string, OrtTensor>> {
    const a = this.opts.adamw ?? ADAMW_DEFAULTS;
    const t = this.step + 1;
    const inputs = {
      ...this.inputs(feeds),
      theta: this.cur.theta, m: this.cur.m, v: this.cur.v,
      ...this.rates(lr),
      c1: this.scalar(1 / (1 - a.beta1 ** t)), c2: this.scalar(1 / (1 - a.beta2 ** t)),
    };
    const out = await session.run(inputs, { theta_out: this.next.theta, m_out: this.next.m, v_out: this.next.v, ...fetches });
    [this.cur, this.next] = [this.next, this.cur];
    this.step = t;
    return out;
  }

  /** Loss terms and the flat gradient at the current weights (no update). */
  async gradients(shape: StepShape, feeds: Feeds): Promise<{ losses: Record<string, number>; grad: Float32Array }> {
    const session = await this.session({ ...shape, layout: this.layout, emit: 'gradients' });
    const out = await session.run({ ...this.inputs(feeds), theta: this.cur.theta });
    return { losses: this.losses(out), grad: out.grad!.data as Float32Array };
  }

  /** Loss terms at the current weights, forward only (validation batches): no gradient, no update. */
  async evaluate(shape: StepShape, feeds: Feeds): Promise<Record<string, number>> {
    const session = await this.session({ ...shape, layout: this.layout, emit: 'losses' });
    return this.losses(await session.run({ ...this.inputs(feeds), theta: this.cur.theta }));
  }

  private lossFetches(session: OrtInferenceSession): Record<string, null> {
    return Object.fromEntries(session.outputNames.filter((n) => n === 'loss' || (LOSS_TERMS as readonly string[]).includes(n)).map((n) => [n, null]));
  }

  private losses(out: Record<string, OrtTensor>): Record<string, number> {
    const res: Record<string, number> = {};
    for (const k of ['loss', ...LOSS_TERMS]) if (out[k]) res[k] = (out[k].data as Float32Array)[0]!;
    return res;
  }

  /** The current weights (a live view: copy before the next step if you keep it). */
  get theta(): Float32Array {
    return this.cur.theta.data as Float32Array;
  }

  setTheta(values: Float32Array): void {
    (this.cur.theta.data as Float32Array).set(values);
  }

  /** Copies of the weights, moments and step count. */
  state(): TrainerState {
    return {
      theta: (this.cur.theta.data as Float32Array).slice(),
      m: (this.cur.m.data as Float32Array).slice(),
      v: (this.cur.v.data as Float32Array).slice(),
      step: this.step,
    };
  }

  /** Write the profiles of sessions created with `profilePrefix` (ONNX Runtime names the files). */
  async endProfiling(): Promise<void> {
    for (const s of this.sessions.values()) (await s).endProfiling();
  }

  async release(): Promise<void> {
    const all = await Promise.allSettled([...this.sessions.values()]);
    this.sessions.clear();
    for (const s of all) if (s.status === 'fulfilled') await s.value.release();
  }
}

/**
 * Forward-only encoder on ONNX Runtime: pooled embeddings (and head logits) for given weights. `frozen` bakes the
 * weights into the graph (ONNX Runtime then pre-packs them for its GEMM kernels): for embeddings of a fixed encoder.
 * Otherwise the weights are an input and `theta` may be replaced between calls (scoring during fine-tuning).
 */
export class OrtEncoder {
  private readonly sessions = new Map<number, Promise<OrtInferenceSession>>();

  private constructor(
    private readonly ort: Ort,
    readonly config: VitConfig,
    readonly layout: ParamLayout,
    public theta: Float32Array,
    private readonly opts: { head?: { w: string; b: string }; frozen?: boolean; threads?: number },
  ) {}

  static async create(config: VitConfig, layout: ParamLayout, theta: Float32Array, opts: { head?: { w: string; b: string }; frozen?: boolean; threads?: number } = {}): Promise<OrtEncoder> {
    return new OrtEncoder(await requireOrt(), config, layout, theta, opts);
  }

  /** [count, 12, 2500] standardised ECGs → embeddings [count, D] (and logits [count, T] with a head). */
  async run(signals: Float32Array, count: number): Promise<{ embedding: Float32Array; logits?: Float32Array }> {
    let s = this.sessions.get(count);
    if (!s) {
      const bytes = buildForwardGraph(this.config, this.layout, count, this.opts.head, this.opts.frozen ? this.theta : undefined);
      s = createSession(bytes, { threads: this.opts.threads });
      this.sessions.set(count, s);
    }
    const n = tokenCount(this.config.patch);
    const width = 12 * this.config.patch;
    const feeds: Record<string, OrtTensor> = {
      patches: new this.ort.Tensor('float32', patchify(signals, count, this.config.patch), [count * n, width]),
    };
    if (!this.opts.frozen) feeds.theta = new this.ort.Tensor('float32', this.theta, [this.layout.total]);
    const out = await (await s).run(feeds);
    return { embedding: out.embedding!.data as Float32Array, logits: out.logits?.data as Float32Array | undefined };
  }

  async release(): Promise<void> {
    const all = await Promise.allSettled([...this.sessions.values()]);
    this.sessions.clear();
    for (const s of all) if (s.status === 'fulfilled') await s.value.release();
  }
}
