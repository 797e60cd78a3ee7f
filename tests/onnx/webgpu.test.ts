/** ONNX Runtime's WebGPU execution provider (CI: Mesa lavapipe) against its CPU provider on an exported clinical model. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { ClinicalModel, HEAD_B, HEAD_W } from '../../main/clinical/model.js';
import { defaultPreprocessing, type PackageHeader } from '../../main/clinical/package.js';
import { ptbxlListing } from '../../main/data/adapters/ptbxl.js';
import { ingestRecord } from '../../main/data/ingest.js';
import { ECG_SIZE } from '../../main/data/types.js';
import { FoundationModel } from '../../main/models/foundation.js';
import { resolveVitConfig } from '../../main/models/vit.js';
import { clinicalOnnx, createCohortOrtScorer, createOrtSession } from '../../main/onnx/runtime.js';
import { sharedData } from '../helpers/paths.js';

const TASKS = ['MI', 'STTC', 'CD'];

/** A clinical model with seeded encoder weights and a non-trivial head, as `clinical export` packages one. */
function clinicalModel(): ClinicalModel {
  const config = resolveVitConfig({ patch: 125, depth: 2, dim: 64 });
  const enc = new FoundationModel(config, 3, { decoder: false, head: false });
  const weights = enc.params.snapshot();
  enc.dispose();
  weights.set(HEAD_W, { shape: [config.dim, TASKS.length], data: Float32Array.from({ length: config.dim * TASKS.length }, (_, i) => 0.3 * Math.sin(i * 1.7)) });
  weights.set(HEAD_B, { shape: [TASKS.length], data: new Float32Array([0.1, -0.2, 0.05]) });
  const header = {
    format: 'ecgfm-package',
    version: 1,
    architecture: config,
    preprocessing: defaultPreprocessing(),
    tasks: TASKS.map((name) => ({ name, threshold: 0.5, thresholdRule: 'test' })),
    calibration: { description: 'none', ids: [], labels: [], scores: [] },
    provenance: { datasets: [], split: '', encoderRun: null, config: {}, backend: '', seed: 3, createdAt: '', software: '' },
    metrics: {},
    weights: [],
    weightsSha256: 'webgpu-test',
  } satisfies PackageHeader;
  return new ClinicalModel(header, weights, 'webgpu test model');
}

describe('ONNX Runtime WebGPU provider', () => {
  let model: ClinicalModel;
  let ecgs: Float32Array;
  const n = 6;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
    model = clinicalModel();
    const records = ptbxlListing(sharedData('ptbxl')).records.slice(0, n);
    ecgs = new Float32Array(n * ECG_SIZE);
    records.forEach((r, k) => ecgs.set(ingestRecord(r).signal, k * ECG_SIZE));
  });

  it('gives the CPU provider’s logits to 1e-4 on real ECGs', async () => {
    const bytes = clinicalOnnx(model);
    const gpu = await createOrtSession(bytes, 2, 'webgpu');
    const cpu = await createOrtSession(bytes, 2, 'cpu');
    expect(gpu.description).toMatch(/webgpu/);
    const [a, b] = [(await gpu.run(ecgs, n)).logits, (await cpu.run(ecgs, n)).logits];
    expect(a.length).toBe(n * TASKS.length);
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    expect(max).toBeLessThan(1e-4);
    // Not a constant output: the records get different scores.
    expect(new Set(Array.from(b).map((v) => v.toFixed(4))).size).toBeGreaterThan(n);
    await Promise.all([gpu.release(), cpu.release()]);
  });

  it('cohort scoring uses it when asked and says so, after checking it against the CPU', async () => {
    process.env.ECGFM_ORT_PROVIDER = 'webgpu';
    try {
      const scorer = await createCohortOrtScorer(model, 2);
      expect(scorer.description).toMatch(/webgpu on .*llvmpipe.*matches cpu to/);
      const p = await scorer.score(ecgs, n);
      expect(p.every((v) => v > 0 && v < 1)).toBe(true);
      scorer.dispose();
    } finally {
      delete process.env.ECGFM_ORT_PROVIDER;
    }
  });
});
