/** Named model weights created from the project's seeded PRNG, so that a seed fixes the initial model on any backend. */
import { tf } from '../compute/tf.js';
import { Rng } from '../ssl/rng.js';

export type Init = 'zeros' | 'ones' | 'xavier' | { normal: number };

export class ParamStore {
  readonly vars = new Map<string, tf.Variable>();

  /** Where initial values come from; swapped per model part so parts do not shift each other's draws. */
  constructor(public rng: Rng) {}

  add(name: string, shape: number[], init: Init): tf.Variable {
    if (this.vars.has(name)) throw new Error(`Duplicate parameter name ${name}`);
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (init === 'ones') data.fill(1);
    else if (init === 'xavier') {
      // Glorot uniform over the last two dims (fan_in, fan_out).
      const fanIn = shape.length >= 2 ? shape[shape.length - 2]! : shape[0]!;
      const fanOut = shape[shape.length - 1]!;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) data[i] = this.rng.uniform(-limit, limit);
    } else if (typeof init === 'object') {
      // Truncated at 2σ, as ViT position embeddings.
      for (let i = 0; i < size; i++) {
        let v: number;
        do v = this.rng.normal();
        while (Math.abs(v) > 2);
        data[i] = v * init.normal;
      }
    }
    const initial = tf.tensor(data, shape);
    const v = tf.variable(initial, true);
    initial.dispose();
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`No parameter named ${name}`);
    return v;
  }

  /** Variables whose names start with one of the prefixes, in creation order. */
  select(...prefixes: string[]): tf.Variable[] {
    return [...this.vars].filter(([n]) => prefixes.some((p) => n.startsWith(p))).map(([, v]) => v);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** Copies of every weight, by name, read asynchronously (works on every backend, webgpu included). */
  async read(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [n, v] of this.vars) out.set(n, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  /** Copies of every weight, by name; synchronous, so not on webgpu (use `read`). */
  snapshot(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [n, v] of this.vars) out.set(n, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    return out;
  }

  /** Assign stored weights; every parameter must be present with its shape (extra entries are ignored). */
  load(weights: Map<string, { shape: number[]; data: Float32Array }>, source: string, only?: string[]): void {
    for (const [n, v] of this.vars) {
      if (only && !only.some((p) => n.startsWith(p))) continue;
      const w = weights.get(n);
      if (!w) throw new Error(`${source}: weight ${n} is missing`);
      if (w.shape.join('x') !== v.shape.join('x')) {
        throw new Error(`${source}: weight ${n} has shape [${w.shape}] but the model expects [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(w.data, w.shape)));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
