/**
 * Layer-wise learning-rate decay for fine-tuning (BEiT; MAE's `param_groups_lrd`): the deeper a weight, the closer
 * its learning rate to the base rate. With L transformer blocks a weight's layer is
 *   0      patch embedding, CLS token and position embedding (the lowest layer),
 *   i + 1  encoder block i (0-based),
 *   L + 1  the final LayerNorm and the task head (full rate),
 * and its learning rate is lr · decay^(L + 1 − layer). decay = 1 switches it off. Both engines take the multipliers
 * from here, per parameter name.
 */

/** The layer of a weight by its name in the model's parameter store (`enc.…`, `head.…`). */
export function layerOf(name: string, depth: number): number {
  if (name === 'enc.cls' || name === 'enc.pos' || name.startsWith('enc.patch.')) return 0;
  const block = /^enc\.blocks\.(\d+)\./.exec(name);
  if (block) return Number(block[1]) + 1;
  return depth + 1;
}

/**
 * The learning-rate multiplier of a weight: decay^(depth + 1 − layer), rounded to float32 so that the tfjs AdamW
 * and the ONNX Runtime graph (which receives float32 multipliers) scale by the same number.
 */
export function layerDecayScale(name: string, depth: number, decay: number): number {
  if (!(decay > 0 && decay <= 1)) throw new Error(`Layer-wise learning-rate decay must be in (0, 1], got ${decay}`);
  if (decay === 1) return 1;
  return Math.fround(decay ** (depth + 1 - layerOf(name, depth)));
}
