/**
 * AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient, as torch.optim.AdamW:
 *   t ← t + 1;  θ ← θ − lr·wd·θ
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   θ ← θ − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
 * tfjs has no AdamW. The moments are kept per variable and can be read and restored for checkpoints.
 * A variable may carry a learning-rate multiplier (layer-wise decay in fine-tuning): its lr is lr·scale, for the
 * decoupled weight decay too, as in torch's per-group lr.
 */
import { tf } from '../compute/tf.js';

type NamedTensor = { name: string; tensor: tf.Tensor };

export interface AdamWOptions {
  learningRate?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

export class AdamW extends tf.Optimizer {
  static get className(): string {
    return 'AdamW';
  }

  learningRate: number;
  weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Updates applied so far (t in the formula). */
  step = 0;
  private readonly moments = new Map<string, Moments>();
  /** Learning-rate multipliers by variable name (1 where absent). */
  readonly lrScale = new Map<string, number>();

  constructor(options: AdamWOptions = {}) {
    super();
    this.learningRate = options.learningRate ?? 1e-4;
    this.weightDecay = options.weightDecay ?? 1e-5;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    this.step++;
    this.incrementIterations();
    const t = this.step;
    const c1 = 1 / (1 - this.beta1 ** t);
    const c2 = 1 / (1 - this.beta2 ** t);
    for (const { name, tensor: g } of list) {
      if (g == null) continue;
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new Error(`AdamW: no variable named ${name}`);
      const mo = this.momentsOf(variable);
      const lr = this.learningRate * (this.lrScale.get(name) ?? 1);
      tf.tidy(() => {
        const m = tf.add(tf.mul(mo.m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(mo.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        mo.m.assign(m);
        mo.v.assign(v);
        const update = tf.div(tf.mul(m, c1), tf.add(tf.sqrt(tf.mul(v, c2)), this.epsilon));
        const decayed = this.weightDecay !== 0 ? tf.mul(variable, 1 - lr * this.weightDecay) : variable;
        variable.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    }
  }

  private momentsOf(variable: tf.Variable): Moments {
    let mo = this.moments.get(variable.name);
    if (!mo) {
      mo = tf.tidy(() => ({
        m: tf.variable(tf.zerosLike(variable), false),
        v: tf.variable(tf.zerosLike(variable), false),
      }));
      this.moments.set(variable.name, mo);
    }
    return mo;
  }

  /** The first and second moments of a variable as arrays (zeros before its first update). */
  async readMoments(variable: tf.Variable): Promise<{ m: Float32Array; v: Float32Array }> {
    const mo = this.momentsOf(variable);
    return { m: (await mo.m.data()) as Float32Array, v: (await mo.v.data()) as Float32Array };
  }

  writeMoments(variable: tf.Variable, m: Float32Array, v: Float32Array): void {
    const mo = this.momentsOf(variable);
    if (m.length !== variable.size || v.length !== variable.size) {
      throw new Error(`AdamW: moments of size ${m.length}/${v.length} do not fit variable of shape [${variable.shape}]`);
    }
    tf.tidy(() => {
      mo.m.assign(tf.tensor(m, variable.shape));
      mo.v.assign(tf.tensor(v, variable.shape));
    });
  }

  override dispose(): void {
    for (const mo of this.moments.values()) {
      mo.m.dispose();
      mo.v.dispose();
    }
    this.moments.clear();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(this.step, 'int32') }];
    for (const [name, mo] of this.moments) {
      out.push({ name: `${name}/m`, tensor: mo.m }, { name: `${name}/v`, tensor: mo.v });
    }
    return Promise.resolve(out);
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    for (const { name, tensor } of weightValues) {
      if (name === 'iter') {
        this.step = (await tensor.data())[0] ?? 0;
        continue;
      }
      const slash = name.lastIndexOf('/');
      const variable = tf.engine().registeredVariables[name.slice(0, slash)];
      if (!variable) continue;
      const mo = this.momentsOf(variable);
      (name.endsWith('/m') ? mo.m : mo.v).assign(tensor);
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      weightDecay: this.weightDecay,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
  }
}
