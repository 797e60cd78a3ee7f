import { initBackend } from '/work/main/main/compute/backend.js';
import { tf } from '/work/main/main/compute/tf.js';
import { FoundationModel } from '/work/main/main/models/foundation.js';
import { AdamW } from '/work/main/main/training/adamw.js';
import { resolvePretrainConfig } from '/work/main/main/training/config.js';
import { prepareStep } from '/work/main/main/training/methods.js';
import { trainStep } from '/work/main/main/training/step.js';
import { Rng } from '/work/main/main/ssl/rng.js';
const info = await initBackend();
console.log(info.description);
const [P, D, L, B] = (process.argv[2] ?? '125,64,2,8').split(',').map(Number) as [number, number, number, number];
for (const method of (process.argv[3] ?? 'gl,cl,hl').split(',') as ('gl'|'cl'|'hl')[]) {
  const cfg = resolvePretrainConfig({ method, dataset: 'x', model: { patch: P, depth: L, dim: D }, batchSize: B, lr: 1e-3 });
  const model = new FoundationModel(cfg.model, 1);
  const opt = new AdamW({ learningRate: 1e-3 });
  const rng = new Rng(3);
  const signals = new Float32Array(B * 30000).map((_, i) => Math.sin(i / 7) + 0.1 * Math.sin(i / 3.1));
  const pids = Array.from({ length: B }, (_, i) => String(i >> 1));
  const vars = model.allVariables();
  let t0 = 0;
  const steps = Number(process.argv[4] ?? 6);
  for (let s = 0; s < steps; s++) {
    if (s === 1) t0 = performance.now();
    const prep = prepareStep(cfg, { signals, size: B, patientIds: pids }, rng);
    const l = trainStep(model, opt, cfg, prep, vars);
    if (s < 2 || s === steps - 1) console.log(method, s, JSON.stringify(l), tf.memory().numTensors);
  }
  const dt = (performance.now() - t0) / (steps - 1);
  console.log(method, 'ms/step', dt.toFixed(1), 'sps', ((B * 1000) / dt).toFixed(1));
  model.dispose(); opt.dispose();
}
