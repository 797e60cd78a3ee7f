import { importDataset } from '../main/data/import.js';
import { pretrain } from '../main/training/pretrain.js';
import { mkdtempSync } from 'node:fs';
process.env.ECGFM_WORKSPACE = mkdtempSync('/tmp/ecgfm-e2e-');
let t = performance.now();
const rep = await importDataset({ kind: 'ptbxl', path: '/work/shared/data/ptbxl', name: 'ptbxl' });
console.log('import s', ((performance.now() - t) / 1000).toFixed(1), JSON.stringify(rep).slice(0, 300));
for (const method of ['gl', 'cl', 'hl'] as const) {
  t = performance.now();
  const res = await pretrain({ method, dataset: 'ptbxl', model: { patch: 125, depth: 2, dim: 64 }, batchSize: 8, steps: 100, lr: 1e-3, logEvery: 25, checkpointEvery: 50 }, { onProgress: (e) => console.log(method, e.step, JSON.stringify(e.losses), e.samplesPerSec.toFixed(0), e.memory.numTensors) });
  console.log(method, 's', ((performance.now() - t) / 1000).toFixed(1), res.status, res.lastCheckpoint);
}
