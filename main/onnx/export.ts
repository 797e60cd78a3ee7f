/**
 * ONNX (opset 17) export of a clinical model — ViT encoder plus task head — built from the model's own weights.
 *
 * The graph mirrors main/models/vit.ts op for op: crop to whole patches, patchify (lead-major features), patch
 * projection, position embeddings, CLS token (expanded to the batch), pre-LN blocks with multi-head attention and
 * exact (erf) GELU, final LayerNorm (opset 17's LayerNormalization), CLS or mean pooling, logistic head.
 * Inputs: `ecg` [N, 12, 2500] float32 (standardised, mV). Outputs: `logits` and `probabilities` [N, tasks].
 */
import { writeFileSync } from 'node:fs';
import { N_LEADS, TARGET_SAMPLES } from '../data/types.js';
import type { VitConfig } from '../models/types.js';
import { tokenCount } from '../models/vit.js';
import { ProtoWriter } from './protobuf.js';

export const ONNX_OPSET = 17;
const IR_VERSION = 8;
const FLOAT = 1;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

type Weights = Map<string, { shape: number[]; data: Float32Array }>;
type Attr = { name: string; f?: number; i?: number; ints?: number[] };

interface Initializer {
  name: string;
  dims: number[];
  type: typeof FLOAT | typeof INT64;
  raw: Uint8Array;
}

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Attr[];
}

class Graph {
  readonly nodes: NodeSpec[] = [];
  readonly inits: Initializer[] = [];
  private count = 0;

  weight(name: string, shape: number[], data: Float32Array): string {
    this.inits.push({ name, dims: shape, type: FLOAT, raw: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) });
    return name;
  }

  floats(values: number[], dims: number[] = [values.length]): string {
    return this.weight(`const_${this.count++}`, dims, Float32Array.from(values));
  }

  ints(values: number[], dims: number[] = [values.length]): string {
    const name = `const_${this.count++}`;
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.inits.push({ name, dims, type: INT64, raw: new Uint8Array(data.buffer) });
    return name;
  }

  op(op: string, inputs: string[], attrs: Attr[] = [], output?: string): string {
    const out = output ?? `${op.toLowerCase()}_${this.count++}`;
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  }
}

function get(weights: Weights, name: string): { shape: number[]; data: Float32Array } {
  const w = weights.get(name);
  if (!w) throw new Error(`ONNX export: weight ${name} is missing`);
  return w;
}

/** Builds the ONNX model bytes for encoder + head. `weights` holds enc.* and the head (`headW`, `headB`). */
export function buildOnnxModel(
  config: VitConfig,
  weights: Weights,
  opts: { tasks: string[]; headW: string; headB: string; producer?: string; metadata?: Record<string, string> },
): Uint8Array {
  const g = new Graph();
  const w = (name: string) => {
    const t = get(weights, name);
    return g.weight(name, t.shape, t.data);
  };
  const { patch: p, dim: d, heads: h } = config;
  const n = tokenCount(p);
  const dh = d / h;
  const x = 'ecg';

  const cropped = n * p === TARGET_SAMPLES ? x : g.op('Slice', [x, g.ints([0]), g.ints([n * p]), g.ints([2])]);
  const grid = g.op('Transpose', [g.op('Reshape', [cropped, g.ints([-1, N_LEADS, n, p])])], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
  const patches = g.op('Reshape', [grid, g.ints([-1, n, N_LEADS * p])]);
  const dense = (input: string, wName: string, bName: string) => g.op('Add', [g.op('MatMul', [input, w(wName)]), w(bName)]);
  const placed = g.op('Add', [dense(patches, 'enc.patch.w', 'enc.patch.b'), w('enc.pos')]);
  const batch = g.op('Slice', [g.op('Shape', [x]), g.ints([0]), g.ints([1])]);
  const clsShape = g.op('Concat', [batch, g.ints([1, d])], [{ name: 'axis', i: 0 }]);
  const cls = g.op('Expand', [w('enc.cls'), clsShape]);
  let seq = g.op('Concat', [cls, placed], [{ name: 'axis', i: 1 }]);

  const ln = (input: string, prefix: string) =>
    g.op('LayerNormalization', [input, w(`${prefix}.g`), w(`${prefix}.b`)], [
      { name: 'axis', i: -1 },
      { name: 'epsilon', f: 1e-6 },
    ]);
  const heads = (t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, g.ints([0, 0, h, dh])])], [{ name: 'perm', ints: perm }]);
  const half = g.floats([0.5], []);
  const one = g.floats([1], []);
  const invSqrt2 = g.floats([Math.SQRT1_2], []);
  const gelu = (t: string) => g.op('Mul', [g.op('Mul', [t, half]), g.op('Add', [g.op('Erf', [g.op('Mul', [t, invSqrt2])]), one])]);

  for (let i = 0; i < config.depth; i++) {
    const b = `enc.blocks.${i}`;
    const qkv = dense(ln(seq, `${b}.ln1`), `${b}.attn.qkv.w`, `${b}.attn.qkv.b`);
    const part = (k: number) => g.op('Slice', [qkv, g.ints([k * d]), g.ints([(k + 1) * d]), g.ints([2])]);
    const q = heads(g.op('Mul', [part(0), g.floats([1 / Math.sqrt(dh)], [])]), [0, 2, 1, 3]);
    const kT = heads(part(1), [0, 2, 3, 1]);
    const v = heads(part(2), [0, 2, 1, 3]);
    const att = g.op('Softmax', [g.op('MatMul', [q, kT])], [{ name: 'axis', i: -1 }]);
    const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [att, v])], [{ name: 'perm', ints: [0, 2, 1, 3] }]), g.ints([0, 0, d])]);
    seq = g.op('Add', [seq, dense(ctx, `${b}.attn.out.w`, `${b}.attn.out.b`)]);
    const hidden = gelu(dense(ln(seq, `${b}.ln2`), `${b}.mlp.fc1.w`, `${b}.mlp.fc1.b`));
    seq = g.op('Add', [seq, dense(hidden, `${b}.mlp.fc2.w`, `${b}.mlp.fc2.b`)]);
  }
  seq = ln(seq, 'enc.norm');
  const pooled =
    config.pooling === 'cls'
      ? g.op('Gather', [seq, g.ints([0], [])], [{ name: 'axis', i: 1 }])
      : g.op('ReduceMean', [g.op('Slice', [seq, g.ints([1]), g.ints([n + 1]), g.ints([1])])], [
          { name: 'axes', ints: [1] },
          { name: 'keepdims', i: 0 },
        ]);
  g.op('Add', [g.op('MatMul', [pooled, w(opts.headW)]), w(opts.headB)], [], 'logits');
  g.op('Sigmoid', ['logits'], [], 'probabilities');

  const valueInfo = (m: ProtoWriter, name: string, dims: Array<number | string>) =>
    m.string(1, name).message(2, (type) =>
      type.message(1, (tensor) =>
        tensor.int(1, FLOAT).message(2, (shape) => {
          for (const dim of dims) shape.message(1, (dm) => (typeof dim === 'number' ? dm.int(1, dim) : dm.string(2, dim)));
        }),
      ),
    );

  const model = new ProtoWriter();
  model.int(1, IR_VERSION);
  model.string(2, opts.producer ?? 'ecgfm-workstation');
  model.string(3, '1');
  model.message(7, (graph) => {
    g.nodes.forEach((node, k) =>
      graph.message(1, (m) => {
        for (const i of node.inputs) m.string(1, i);
        for (const o of node.outputs) m.string(2, o);
        m.string(3, `n${k}_${node.op}`);
        m.string(4, node.op);
        for (const a of node.attrs) {
          m.message(5, (am) => {
            am.string(1, a.name);
            if (a.f !== undefined) am.float(2, a.f).int(20, ATTR.FLOAT);
            else if (a.i !== undefined) am.int(3, a.i).int(20, ATTR.INT);
            else if (a.ints) {
              for (const v of a.ints) am.int(8, v);
              am.int(20, ATTR.INTS);
            }
          });
        }
      }),
    );
    graph.string(2, 'ecgfm_clinical');
    for (const t of g.inits) {
      graph.message(5, (m) => {
        for (const dim of t.dims) m.int(1, dim);
        m.int(2, t.type);
        m.string(8, t.name);
        m.bytes(9, t.raw);
      });
    }
    graph.message(11, (m) => valueInfo(m, x, ['N', N_LEADS, TARGET_SAMPLES]));
    graph.message(12, (m) => valueInfo(m, 'logits', ['N', opts.tasks.length]));
    graph.message(12, (m) => valueInfo(m, 'probabilities', ['N', opts.tasks.length]));
  });
  model.message(8, (op) => op.string(1, '').int(2, ONNX_OPSET));
  const meta = { tasks: opts.tasks.join(','), input: 'ecg [N,12,2500] mV at 250 Hz, leads I,II,III,aVR,aVL,aVF,V1-V6', ...opts.metadata };
  for (const [key, value] of Object.entries(meta)) model.message(14, (m) => m.string(1, key).string(2, value));
  return model.finish();
}

export function writeOnnxModel(path: string, bytes: Uint8Array): void {
  writeFileSync(path, bytes);
}
