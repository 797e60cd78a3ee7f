/** All pre-training weights of one foundation model: encoder, and for pre-training the decoder and projection head. */
import { tf } from '../compute/tf.js';
import { Rng } from '../ssl/rng.js';
import { ParamStore } from './params.js';
import { loadTensorFile, saveTensorFile } from './tensor-file.js';
import type { Encoder, VitConfig } from './types.js';
import { addDecoderParams, addEncoderParams, addHeadParams, encodeTokens, patchifyTensor, pool, tokenCount } from './vit.js';

export interface ModelParts {
  decoder: boolean;
  head: boolean;
}

export class FoundationModel implements Encoder {
  readonly params: ParamStore;

  constructor(
    readonly config: VitConfig,
    seed: number,
    readonly parts: ModelParts = { decoder: true, head: true },
  ) {
    // Each part draws from its own stream, so adding the decoder never changes the encoder's initial weights.
    const rng = new Rng(seed);
    const encRng = rng.fork();
    const decRng = rng.fork();
    const headRng = rng.fork();
    this.params = new ParamStore(encRng);
    addEncoderParams(this.params, config);
    this.params.rng = decRng;
    if (parts.decoder) addDecoderParams(this.params, config);
    this.params.rng = headRng;
    if (parts.head) addHeadParams(this.params, config);
  }

  embed(signals: tf.Tensor3D): tf.Tensor2D {
    const b = signals.shape[0];
    const patches = patchifyTensor(signals, this.config.patch);
    return pool(encodeTokens(this.params, this.config, { patches, batch: b, count: tokenCount(this.config.patch) }), this.config.pooling);
  }

  trainableVariables(): tf.Variable[] {
    return this.params.select('enc.');
  }

  /** Every weight of the enabled parts (what pre-training updates). */
  allVariables(): tf.Variable[] {
    return [...this.params.vars.values()];
  }

  async save(path: string): Promise<void> {
    saveTensorFile(path, await this.params.read());
  }

  /** Load weights from a file; `only` restricts to name prefixes (e.g. ['enc.'] to take an encoder out of a checkpoint). */
  load(path: string, only?: string[]): void {
    this.params.load(loadTensorFile(path), path, only);
  }

  dispose(): void {
    this.params.dispose();
  }
}
