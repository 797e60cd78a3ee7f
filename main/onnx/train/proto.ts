/** Training graphs → ONNX ModelProto bytes, through the ONNX schema (onnx-proto's protobufjs classes). */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Opset of the training graphs (LayerNormalization with its Mean/InvStdDev outputs is opset 17). */
export const TRAIN_OPSET = 17;

export type AttrValue = number | number[] | { float: number } | { floats: number[] } | { string: string };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain?: string;
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  inits: Array<{ name: string; dims: number[]; float?: Float32Array; int64?: number[] }>;
  inputs: Array<{ name: string; shape: readonly number[]; type: 'float' | 'int64' }>;
  outputs: Array<{ name: string; shape: readonly number[] }>;
}

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

/** Plain numbers are INT/INTS attributes; floats are written as { float } / { floats }, strings as { string }. */
function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  if ('string' in v) return { name, type: A.STRING, s: new TextEncoder().encode(v.string) };
  return { name, type: A.FLOATS, floats: v.floats };
}

function valueInfo(name: string, shape: readonly number[], type: 'float' | 'int64'): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: type === 'float' ? T.FLOAT : T.INT64, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  };
}

export function encodeModel(spec: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'ecgfm-workstation',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: TRAIN_OPSET }],
    graph: {
      name: spec.name,
      node: spec.nodes.map((n, k) => ({
        name: `n${k}_${n.op}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([name, v]) => attribute(name, v)),
      })),
      initializer: spec.inits.map((t) =>
        t.float
          ? { name: t.name, dims: t.dims, dataType: T.FLOAT, rawData: new Uint8Array(t.float.buffer, t.float.byteOffset, t.float.byteLength) }
          : { name: t.name, dims: t.dims, dataType: T.INT64, int64Data: t.int64 ?? [] },
      ),
      input: spec.inputs.map((i) => valueInfo(i.name, i.shape, i.type)),
      output: spec.outputs.map((o) => valueInfo(o.name, o.shape, 'float')),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
