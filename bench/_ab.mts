import { initBackend } from '../main/compute/backend.js';
import { FoundationModel } from '../main/models/foundation.js';
import { AdamW } from '../main/training/adamw.js';
import { resolvePretrainConfig } from '../main/training/config.js';
import { prepareStep } from '../main/training/methods.js';
import { trainStep } from '../main/training/step.js';
import { Rng } from '../main/ssl/rng.js';
const info = await initBackend();
console.log(info.description.split(':')[0]);
const B = 32;
const cfg = resolvePretrainConfig({ method: 'gl', dataset: 'x', model: { patch: 125, depth: 4, dim: 512 }, batchSize: B });
const model = new FoundationModel(cfg.model, 1);
const opt = new AdamW();
const rng = new Rng(3);
const signals = new Float32Array(B * 30000).map((_, i) => Math.sin(i / 7));
const vars = model.allVariables();
const g = globalThis as { __abMode?: boolean };
trainStep(model, opt, cfg, prepareStep(cfg, { signals, size: B, patientIds: [] }, rng), vars);
const res: Record<string, number[]> = { new: [], old: [] };
for (let r = 0; r < 6; r++) {
  for (const mode of [true, false]) {
    g.__abMode = mode;
    const t0 = performance.now();
    trainStep(model, opt, cfg, prepareStep(cfg, { signals, size: B, patientIds: [] }, rng), vars);
    res[mode ? 'new' : 'old']!.push(performance.now() - t0);
  }
}
for (const [k, v] of Object.entries(res)) console.log(k, v.map((x) => x.toFixed(0)).join(' '), 'min', Math.min(...v).toFixed(0));
