/** ONNX opset-17 export of encoder + head, checked in onnxruntime-node against tfjs on real PTB-XL ECGs. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { ClinicalModel, HEAD_B, HEAD_W } from '../../main/clinical/model.js';
import { defaultPreprocessing, type PackageHeader } from '../../main/clinical/package.js';
import { ptbxlListing } from '../../main/data/adapters/ptbxl.js';
import { ingestRecord } from '../../main/data/ingest.js';
import { ECG_SIZE } from '../../main/data/types.js';
import { FoundationModel } from '../../main/models/foundation.js';
import { resolveVitConfig, type VitConfigInput } from '../../main/models/vit.js';
import { ProtoWriter } from '../../main/onnx/protobuf.js';
import { clinicalOnnx, createOrtSession, loadOrt } from '../../main/onnx/runtime.js';
import { verifyOnnx } from '../../main/onnx/verify.js';
import { sharedData } from '../helpers/paths.js';

function randomClinicalModel(input: VitConfigInput, tasks: string[], seed: number): ClinicalModel {
  const config = resolveVitConfig(input);
  const enc = new FoundationModel(config, seed, { decoder: false, head: false });
  const weights = enc.params.snapshot();
  enc.dispose();
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.5;
  weights.set(HEAD_W, { shape: [config.dim, tasks.length], data: Float32Array.from({ length: config.dim * tasks.length }, rand) });
  weights.set(HEAD_B, { shape: [tasks.length], data: Float32Array.from(tasks, rand) });
  // Non-trivial LayerNorm and bias parameters, so the check covers them too.
  for (const [name, w] of weights) if (/\.(b|g)$/.test(name) && name.startsWith('enc.')) w.data.forEach((v, i) => (w.data[i] = v + rand()));
  const header = {
    format: 'ecgfm-package',
    version: 1,
    architecture: config,
    preprocessing: defaultPreprocessing(),
    tasks: tasks.map((name) => ({ name, threshold: 0.5, thresholdRule: 'test' })),
    calibration: { description: 'none', ids: [], labels: [], scores: [] },
    provenance: { datasets: [], split: '', encoderRun: null, config: {}, backend: '', seed, createdAt: '', software: '' },
    metrics: {},
    weights: [],
    weightsSha256: 'test',
  } satisfies PackageHeader;
  return new ClinicalModel(header, weights, 'test model');
}

let ecgs: Float32Array;

beforeAll(async () => {
  await initBackend();
  const records = ptbxlListing(sharedData('ptbxl')).records.slice(0, 3);
  ecgs = new Float32Array(records.length * ECG_SIZE);
  records.forEach((r, k) => ecgs.set(ingestRecord(r).signal, k * ECG_SIZE));
});

describe('protobuf writer', () => {
  it('writes negative int64 as ten-byte two’s complement varints', () => {
    const bytes = new ProtoWriter().int(1, -1).finish();
    expect(Array.from(bytes)).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(Array.from(new ProtoWriter().int(2, 300).finish())).toEqual([0x10, 0xac, 0x02]);
  });
});

describe('ONNX export', () => {
  it('onnxruntime-node loads here', async () => {
    expect(await loadOrt()).not.toBeNull();
  });

  const cases: Array<[string, VitConfigInput]> = [
    ['P125 L2 D64, CLS pooling', { patch: 125, depth: 2, dim: 64, heads: 4 }],
    ['P60 L1 D48, mean pooling, cropped tail', { patch: 60, depth: 1, dim: 48, heads: 3, pooling: 'mean' }],
  ];
  for (const [name, cfg] of cases) {
    it(`matches tfjs to 1e-4 on real ECGs: ${name}`, async () => {
      const model = randomClinicalModel(cfg, ['MI', 'STTC', 'CD'], 7);
      try {
        const bytes = clinicalOnnx(model);
        const diff = await verifyOnnx(model, bytes, (b) => createOrtSession(b, 1), ecgs);
        expect(diff).toBeLessThan(1e-4);
        // The probabilities output is the sigmoid of the logits.
        const session = await createOrtSession(bytes, 1);
        const out = await session.run(ecgs, 3);
        await session.release();
        expect(out.probabilities).toHaveLength(9);
        out.probabilities.forEach((p, i) => expect(p).toBeCloseTo(1 / (1 + Math.exp(-(out.logits[i] as number))), 6));
        const ref = tf.tidy(() => model.logits(tf.tensor3d(ecgs, [3, 12, 2500]))).arraySync() as number[][];
        // Different records give different outputs (the check is not comparing constants).
        expect(Math.abs((ref[0]![0] as number) - (ref[1]![0] as number))).toBeGreaterThan(1e-3);
      } finally {
        model.dispose();
      }
    }, 60_000);
  }
});
