/** Which runs the encoder pickers offer. */

/**
 * The risk decomposition's setting-2 encoder is pre-trained on the training inputs plus the test inputs
 * (`<run>-with-test-…`). It exists only inside that analysis: offering it as an encoder would let test records
 * reach a downstream choice.
 */
export function isDecompositionInternal(run: { id: string; name?: string }): boolean {
  return /-with-test(-|$)/.test(run.id) || /-with-test(-|$)/.test(run.name ?? '');
}

/** A finished pre-training run whose weights an evaluation, simulation or fine-tune can start from. */
export function isUsableEncoder(run: { id: string; name?: string; kind: string; status: string }): boolean {
  return run.kind === 'pretrain' && (run.status === 'succeeded' || run.status === 'folder' || run.status === 'completed') && !isDecompositionInternal(run);
}
