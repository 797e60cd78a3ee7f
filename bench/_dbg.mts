import { importDataset } from '../main/data/import.js';
import { openDataset } from '../main/data/registry.js';
import { pretrain } from '../main/training/pretrain.js';
import { mkdtempSync } from 'node:fs';
process.env.ECGFM_WORKSPACE = mkdtempSync('/tmp/ecgfm-e2e-');
await importDataset({ kind: 'ptbxl', path: '/work/shared/data/ptbxl', name: 'ptbxl' });
const ds = openDataset('ptbxl');
const byPatient = new Map<string, number[]>();
for (let i = 0; i < ds.count; i++) { const p = ds.meta(i).patientId; byPatient.set(p, [...(byPatient.get(p) ?? []), i]); }
const multi = [...byPatient.values()].filter((g) => g.length > 1).flat();
const singles = [...byPatient.values()].filter((g) => g.length === 1).flat();
const indices = [...multi, ...singles].slice(0, 64).sort((a, b) => a - b);
console.log(multi.length, [...byPatient.values()].filter((g) => g.length > 1).map(g=>g.length).join(','));
const method = (process.argv[2] ?? 'cl') as 'cl';
const res = await pretrain({ method, dataset: 'ptbxl', indices, model: { patch: 125, depth: 2, dim: 64 }, batchSize: 8, steps: 100, lr: 1e-3, seed: 1, logEvery: 10 }, { onProgress: (e) => console.log(e.step, JSON.stringify(e.losses), e.samplesPerSec.toFixed(0)) });
console.log(res.status);
