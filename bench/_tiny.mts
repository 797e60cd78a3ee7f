import { initBackend } from '/work/main/main/compute/backend.js';
import { FoundationModel } from '/work/main/main/models/foundation.js';
import { AdamW } from '/work/main/main/training/adamw.js';
import { resolvePretrainConfig } from '/work/main/main/training/config.js';
import { prepareStep } from '/work/main/main/training/methods.js';
import { trainStep } from '/work/main/main/training/step.js';
import { Rng } from '/work/main/main/ssl/rng.js';
const info = await initBackend();
const B = 4;
const cfg = resolvePretrainConfig({ method: 'gl', dataset: 'x', model: { patch: 250, depth: 1, dim: 16, decoderDepth: 1 }, batchSize: B });
const model = new FoundationModel(cfg.model, 1);
const opt = new AdamW();
const rng = new Rng(3);
const signals = new Float32Array(B * 30000).map((_, i) => Math.sin(i / 7));
const vars = model.allVariables();
let t0 = performance.now();
for (let s = 0; s < 100; s++) {
  if (s === 10) t0 = performance.now();
  trainStep(model, opt, cfg, prepareStep(cfg, { signals, size: B, patientIds: ['a','b','c','d'] }, rng), vars);
}
console.log(info.description.split(':')[0], 'ms/step', ((performance.now() - t0) / 90).toFixed(2));
