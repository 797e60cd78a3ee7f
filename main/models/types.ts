/** What the downstream engine needs from a foundation model. Implemented in main/models/. */
import type { tf } from '../compute/tf.js';

export interface VitConfig {
  /** Patch size P in samples (paper: 60, 125, 250). */
  patch: number;
  /** Encoder depth L (paper: 2, 4, 8). */
  depth: number;
  /** Embedding width D (paper: 256, 512, 1024). */
  dim: number;
  heads: number;
  mlpRatio: number;
  /** Decoder width, D/2 by default. */
  decoderDim: number;
  decoderDepth: number;
  pooling: 'cls' | 'mean';
}

export interface Encoder {
  readonly config: VitConfig;
  /**
   * Pooled embedding of standardised ECGs: [B, 12, 2500] → [B, dim].
   * `training` enables dropout-like behaviour where the model has any; gradients flow through it.
   */
  embed(signals: tf.Tensor3D, training?: boolean): tf.Tensor2D;
  /** The encoder's trainable weights, for fine-tuning. */
  trainableVariables(): tf.Variable[];
  dispose(): void;
}
