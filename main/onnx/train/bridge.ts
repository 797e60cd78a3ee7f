/**
 * The bridge between the tfjs model (named variables, the AdamW moments) and the flat state of the ONNX Runtime
 * engine. Checkpoints are written from the tfjs side, so both engines read and write the same files.
 */
import { tf } from '../../compute/tf.js';
import type { FoundationModel } from '../../models/foundation.js';
import type { AdamW } from '../../training/adamw.js';
import type { TrainerState } from './engine.js';
import { paramLayout, type ParamLayout } from './vit.js';

export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

export function modelVariables(model: FoundationModel, prefixes?: string[]): NamedVariable[] {
  return [...model.params.vars]
    .filter(([n]) => !prefixes || prefixes.some((p) => n.startsWith(p)))
    .map(([name, variable]) => ({ name, variable }));
}

export function layoutOf(vars: NamedVariable[]): ParamLayout {
  return paramLayout(vars.map((v) => ({ name: v.name, shape: v.variable.shape })));
}

/** Concatenate the variables' values in layout order (read asynchronously: webgpu has no synchronous readback). */
export async function flatten(
  vars: NamedVariable[],
  layout: ParamLayout,
  read: (v: tf.Variable) => Promise<Float32Array> = async (v) => (await v.data()) as Float32Array,
): Promise<Float32Array> {
  const out = new Float32Array(layout.total);
  for (const [i, v] of vars.entries()) out.set(await read(v.variable), layout.entries[i]!.offset);
  return out;
}

/** Engine state from the tfjs model and optimizer (weights, moments, step). */
export async function stateFromTfjs(vars: NamedVariable[], layout: ParamLayout, optimizer: AdamW): Promise<TrainerState> {
  return {
    theta: await flatten(vars, layout),
    m: await flatten(vars, layout, async (v) => (await optimizer.readMoments(v)).m),
    v: await flatten(vars, layout, async (v) => (await optimizer.readMoments(v)).v),
    step: optimizer.step,
  };
}

/** Write engine weights (and, given `state`, moments and step) back into the tfjs model and optimizer. */
export function writeToTfjs(vars: NamedVariable[], layout: ParamLayout, theta: Float32Array, optimizer?: AdamW, state?: TrainerState): void {
  vars.forEach((v, i) => {
    const e = layout.entries[i]!;
    const part = (a: Float32Array): Float32Array => a.subarray(e.offset, e.offset + e.size);
    tf.tidy(() => v.variable.assign(tf.tensor(part(theta), v.variable.shape)));
    if (optimizer && state) optimizer.writeMoments(v.variable, part(state.m), part(state.v));
  });
  if (optimizer && state) optimizer.step = state.step;
}

/** Names of the fine-tuning head's weights in the flat layout (after the encoder's). */
export const FINETUNE_HEAD = { w: 'head.w', b: 'head.b' } as const;

/** Encoder weights then the logistic head: the variables a fine-tuning step updates. */
export function finetuneVariables(encoder: FoundationModel, head: { w: tf.Variable; b: tf.Variable }): NamedVariable[] {
  return [...modelVariables(encoder, ['enc.']), { name: FINETUNE_HEAD.w, variable: head.w }, { name: FINETUNE_HEAD.b, variable: head.b }];
}
