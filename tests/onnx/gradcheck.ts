/**
 * Gradient check of ONNX training-graph ops against central finite differences, run in ONNX Runtime: the loss is
 * Σ op(x)⊙R for a fixed random R, and the analytic gradient's directional derivative along random directions must
 * equal (f(x + εu) − f(x − εu)) / 2ε.
 */
import { expect } from 'vitest';
import { Graph, type Tensor } from '../../main/onnx/train/graph.js';
import * as op from '../../main/onnx/train/ops.js';
import { createSession, runGraph } from '../../main/onnx/train/session.js';
import { Rng } from '../../main/ssl/rng.js';

export type Build = (xs: Tensor[], g: Graph) => Tensor;
const randoms = (rng: Rng, n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));

export async function checkGradient(shapes: number[][], build: Build, opts: { lo?: number; hi?: number; eps?: number; tol?: number } = {}): Promise<void> {
  const rng = new Rng(shapes.flat().reduce((a, b) => a * 31 + b, 7));
  const g = new Graph();
  const xs = shapes.map((s, i) => g.input(`x${i}`, s, true));
  const y = build(xs, g);
  const r = g.constant(randoms(rng, y.size), y.shape);
  const loss = op.sumAll(op.mul(y, r));
  g.output(loss, 'loss');
  g.gradients(loss, xs).forEach((d, i) => g.output(d, `d${i}`));
  const session = await createSession(g.toBytes('op_test'), { threads: 1 });
  const values = shapes.map((s) => randoms(rng, s.reduce((a, b) => a * b, 1), opts.lo ?? -1, opts.hi ?? 1));
  const run = async (vals: Float32Array[]) => runGraph(session, Object.fromEntries(vals.map((v, i) => [`x${i}`, { data: v, shape: shapes[i]! }])));
  const base = await run(values);
  const eps = opts.eps ?? 1e-2;
  for (let dir = 0; dir < 3; dir++) {
    const u = values.map((v) => randoms(rng, v.length));
    const shifted = (sign: number) => values.map((v, i) => v.map((x, k) => x + sign * eps * u[i]![k]!));
    const fp = (await run(shifted(1))).loss![0]!;
    const fm = (await run(shifted(-1))).loss![0]!;
    const numeric = (fp - fm) / (2 * eps);
    let analytic = 0;
    values.forEach((_, i) => base[`d${i}`]!.forEach((d, k) => (analytic += d * u[i]![k]!)));
    expect(Math.abs(analytic - numeric) / Math.max(1, Math.abs(numeric))).toBeLessThan(opts.tol ?? 2e-3);
  }
  await session.release();
}

