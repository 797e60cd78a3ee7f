import { initBackend } from '../main/compute/backend.js';
import { tf } from '../main/compute/tf.js';
import { FoundationModel } from '../main/models/foundation.js';
import { resolvePretrainConfig } from '../main/training/config.js';
import { prepareStep, lossTensors } from '../main/training/methods.js';
import { Rng } from '../main/ssl/rng.js';
await initBackend();
const method = (process.argv[2] ?? 'cl') as 'cl';
const B = 16;
const cfg = resolvePretrainConfig({ method, dataset: 'x', model: { patch: 125, depth: 4, dim: 512 }, batchSize: B });
const model = new FoundationModel(cfg.model, 1);
const signals = new Float32Array(B * 30000).map((_, i) => Math.sin(i / 7));
const pids = Array.from({ length: B }, (_, i) => String(i));
const vars = model.allVariables();
const prep = prepareStep(cfg, { signals, size: B, patientIds: pids }, new Rng(1));
const run = () => { const { value, grads } = tf.variableGrads(() => lossTensors(model, cfg, prep).total, vars); value.dispose(); tf.dispose(Object.values(grads)); };
run();
const prof = await tf.profile(run);
const agg = new Map<string, { ms: number; n: number }>();
for (const k of prof.kernels) {
  const key = k.name + ' ' + JSON.stringify(k.inputShapes);
  const a = agg.get(key) ?? { ms: 0, n: 0 };
  a.ms += (k.kernelTimeMs as number); a.n++;
  agg.set(key, a);
}
const tot = [...agg.values()].reduce((s, a) => s + a.ms, 0);
console.log('total kernel ms', tot.toFixed(0));
for (const [k, a] of [...agg].sort((x, y) => y[1].ms - x[1].ms).slice(0, 25)) console.log(a.ms.toFixed(1).padStart(8), a.n, k);
