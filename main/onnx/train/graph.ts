/**
 * A small graph builder with reverse-mode differentiation, for training steps that run as one ONNX graph.
 *
 * Every tensor has a static shape (a graph is built per batch shape). Differentiable ops (main/onnx/train/ops.ts)
 * emit their forward ONNX nodes and record on the tape a backward rule that emits the gradient nodes into the
 * same graph; `gradients` walks the tape in reverse. Constants and inputs that need no gradient never get one.
 */
import { encodeModel, type AttrValue, type GraphSpec, type NodeSpec } from './proto.js';

export class Tensor {
  constructor(
    readonly g: Graph,
    readonly name: string,
    readonly shape: readonly number[],
    /** Whether a gradient flows back to it. */
    readonly needsGrad: boolean,
  ) {}

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get rank(): number {
    return this.shape.length;
  }
}

/** Given the output gradient, the gradients of the op's inputs (null where an input needs none). */
type BackwardRule = (dy: Tensor) => Array<Tensor | null>;

interface TapeEntry {
  out: Tensor;
  inputs: Tensor[];
  back: BackwardRule;
}

export class Graph {
  readonly nodes: NodeSpec[] = [];
  readonly inits: GraphSpec['inits'] = [];
  readonly inputs: Array<{ name: string; shape: readonly number[]; type: 'float' | 'int64' }> = [];
  readonly outputs: Array<{ name: string; shape: readonly number[] }> = [];
  private readonly tape: TapeEntry[] = [];
  private count = 0;
  /** Off while gradients are emitted: backward nodes are never differentiated again. */
  private recording = true;
  private readonly constCache = new Map<string, string>();

  fresh(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  input(name: string, shape: readonly number[], needsGrad = false): Tensor {
    this.inputs.push({ name, shape, type: 'float' });
    return new Tensor(this, name, shape, needsGrad);
  }

  /** A float constant (an initializer). Scalars are shared. */
  constant(values: number[] | Float32Array, shape: readonly number[] = [values.length]): Tensor {
    const key = values.length === 1 ? `f:${values[0]}:${shape.join('x')}` : null;
    const known = key ? this.constCache.get(key) : undefined;
    if (known) return new Tensor(this, known, shape, false);
    const name = this.fresh('const');
    this.inits.push({ name, dims: [...shape], float: Float32Array.from(values) });
    if (key) this.constCache.set(key, name);
    return new Tensor(this, name, shape, false);
  }

  scalar(v: number): Tensor {
    return this.constant([v], []);
  }

  /** An int64 constant's name (shapes, axes, slice bounds). */
  ints(values: number[]): string {
    const key = `i:${values.join(',')}`;
    const known = this.constCache.get(key);
    if (known) return known;
    const name = this.fresh('ints');
    this.inits.push({ name, dims: [values.length], int64: values });
    this.constCache.set(key, name);
    return name;
  }

  /** Emit one raw ONNX node; returns its output names. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1, domain?: string): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(op.toLowerCase()));
    this.nodes.push({ op, inputs, outputs: outs, attrs, domain });
    return outs;
  }

  /** A node with one output tensor of a known shape; `back` makes it differentiable. */
  op(op: string, inputs: Tensor[], shape: readonly number[], attrs: Record<string, AttrValue> = {}, back?: BackwardRule, extraInputs: string[] = []): Tensor {
    const [name] = this.node(op, [...inputs.map((t) => t.name), ...extraInputs], attrs);
    const needsGrad = this.recording && back !== undefined && inputs.some((t) => t.needsGrad);
    const out = new Tensor(this, name!, shape, needsGrad);
    if (needsGrad) this.tape.push({ out, inputs, back: back! });
    return out;
  }

  /** Record a backward rule for a tensor built from several raw nodes. */
  record(out: Tensor, inputs: Tensor[], back: BackwardRule): Tensor {
    if (!this.recording || !inputs.some((t) => t.needsGrad)) return out;
    const t = new Tensor(this, out.name, out.shape, true);
    this.tape.push({ out: t, inputs, back });
    return t;
  }

  output(t: Tensor, name: string): void {
    this.nodes.push({ op: 'Identity', inputs: [t.name], outputs: [name], attrs: {} });
    this.outputs.push({ name, shape: t.shape });
  }

  /** d(loss)/d(each of wrt); a tensor the loss does not depend on gets zeros. */
  gradients(loss: Tensor, wrt: Tensor[]): Tensor[] {
    if (loss.size !== 1) throw new Error(`gradients: the loss must be a scalar, got shape [${loss.shape}]`);
    this.recording = false;
    const pending = new Map<string, Tensor[]>();
    pending.set(loss.name, [this.constant([1], loss.shape)]);
    const total = (name: string): Tensor | undefined => {
      const parts = pending.get(name);
      if (!parts || parts.length === 0) return undefined;
      if (parts.length === 1) return parts[0];
      const [n] = this.node('Sum', parts.map((p) => p.name));
      const sum = new Tensor(this, n!, parts[0]!.shape, false);
      pending.set(name, [sum]);
      return sum;
    };
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const e = this.tape[i]!;
      const dy = total(e.out.name);
      if (!dy) continue;
      const grads = e.back(dy);
      e.inputs.forEach((inp, k) => {
        const gk = grads[k];
        if (!inp.needsGrad || !gk) return;
        if (gk.shape.join('x') !== inp.shape.join('x')) {
          throw new Error(`gradients: rule gave shape [${gk.shape}] for input [${inp.shape}]`);
        }
        const list = pending.get(inp.name) ?? [];
        list.push(gk);
        pending.set(inp.name, list);
      });
    }
    const out = wrt.map((w) => total(w.name) ?? this.constant(new Float32Array(w.size), w.shape));
    this.recording = true;
    return out;
  }

  toBytes(name: string): Uint8Array {
    return encodeModel({ name, nodes: this.withoutOutputCopies(), inits: this.inits, inputs: this.inputs, outputs: this.outputs });
  }

  /**
   * `output` adds an Identity per graph output; for the updated weights and moments that is a full copy of each.
   * Where a node's result is a graph output once, the node writes it under the output's name instead.
   */
  private withoutOutputCopies(): NodeSpec[] {
    const produced = new Map<string, NodeSpec>();
    for (const n of this.nodes) for (const o of n.outputs) produced.set(o, n);
    const inputNames = new Set(this.inputs.map((i) => i.name));
    const outputNames = new Set(this.outputs.map((o) => o.name));
    const exported = new Map<string, number>();
    for (const n of this.nodes) if (n.op === 'Identity' && outputNames.has(n.outputs[0]!)) exported.set(n.inputs[0]!, (exported.get(n.inputs[0]!) ?? 0) + 1);
    const rename = new Map<string, string>();
    const dropped = new Set<NodeSpec>();
    for (const n of this.nodes) {
      if (n.op !== 'Identity' || !outputNames.has(n.outputs[0]!)) continue;
      const src = n.inputs[0]!;
      if (exported.get(src) !== 1 || inputNames.has(src) || !produced.has(src) || outputNames.has(src)) continue;
      rename.set(src, n.outputs[0]!);
      dropped.add(n);
    }
    const r = (x: string): string => rename.get(x) ?? x;
    return this.nodes.filter((n) => !dropped.has(n)).map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) }));
  }
}
