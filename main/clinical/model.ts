/** A packaged clinical model in memory: the ViT encoder plus the task head (logistic, one output per task). */
import { tf } from '../compute/tf.js';
import { ECG_SIZE, N_LEADS, TARGET_SAMPLES } from '../data/types.js';
import { FoundationModel } from '../models/foundation.js';
import { dense } from '../models/ops.js';
import type { VitConfig } from '../models/types.js';
import type { NamedWeights, PackageHeader } from './package.js';
import { readModelPackage } from './package.js';

export const HEAD_W = 'task.w';
export const HEAD_B = 'task.b';

export class ClinicalModel {
  readonly encoder: FoundationModel;
  readonly headW: tf.Tensor2D;
  readonly headB: tf.Tensor1D;
  /** The weights it was built from (a package never changes): exported without reading back from the device. */
  private readonly weights: NamedWeights;

  constructor(
    readonly header: PackageHeader,
    weights: NamedWeights,
    source = 'model package',
  ) {
    const tasks = header.tasks.length;
    const w = weights.get(HEAD_W);
    const b = weights.get(HEAD_B);
    if (!w || !b) throw new Error(`${source}: the task head (${HEAD_W}, ${HEAD_B}) is missing`);
    if (w.shape.join('x') !== `${header.architecture.dim}x${tasks}` || b.shape.join('x') !== `${tasks}`) {
      throw new Error(`${source}: task head shaped [${w.shape}] / [${b.shape}] does not fit dim ${header.architecture.dim} and ${tasks} task(s)`);
    }
    this.encoder = new FoundationModel(header.architecture, 0, { decoder: false, head: false });
    try {
      this.encoder.params.load(weights, source, ['enc.']);
    } catch (err) {
      this.encoder.dispose();
      throw err;
    }
    this.headW = tf.tensor2d(w.data, w.shape as [number, number]);
    this.headB = tf.tensor1d(b.data);
    this.weights = new Map([...weights].filter(([n]) => n.startsWith('enc.') || n === HEAD_W || n === HEAD_B));
  }

  static load(path: string): ClinicalModel {
    const { header, weights } = readModelPackage(path);
    return new ClinicalModel(header, weights, path);
  }

  get config(): VitConfig {
    return this.header.architecture;
  }

  get tasks(): string[] {
    return this.header.tasks.map((t) => t.name);
  }

  /** [B, 12, 2500] → [B, tasks] logits; differentiable (saliency uses it under tf.grad). */
  logits(x: tf.Tensor3D): tf.Tensor2D {
    return dense(this.encoder.embed(x), this.headW, this.headB);
  }

  /** Sigmoid scores, row-major [count × tasks], for `count` standardised ECGs laid end to end. */
  async predict(signals: Float32Array, count: number): Promise<Float32Array> {
    if (signals.length < count * ECG_SIZE) throw new Error(`predict: ${signals.length} floats cannot hold ${count} ECGs`);
    const p = tf.tidy(() => tf.sigmoid(this.logits(tf.tensor3d(signals.subarray(0, count * ECG_SIZE), [count, N_LEADS, TARGET_SAMPLES]))));
    const out = (await p.data()) as Float32Array;
    p.dispose();
    return out;
  }

  /** Every weight by name (encoder + head), as the ONNX exporter needs them. */
  namedWeights(): NamedWeights {
    return new Map(this.weights);
  }

  dispose(): void {
    this.encoder.dispose();
    this.headW.dispose();
    this.headB.dispose();
  }
}
