import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../main/compute/tf.js';
import { ECG_SIZE, type Batch } from '../../main/data/types.js';
import { loadEncoder } from '../../main/models/encoder.js';
import { pretrain } from '../../main/training/pretrain.js';
import type { TrainingData } from '../../main/training/data.js';
import { epochOrder } from '../../main/training/data.js';
import type { ProgressEvent, TrainingEvent } from '../../contract/training.js';
import { patientRichSubset, ptbxlWorkspace, type MetricLine } from './ptbxl.js';

function readMetrics(runDir: string): MetricLine[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricLine);
}

function meanOf(lines: MetricLine[], key: keyof MetricLine): number {
  const v = lines.map((l) => l[key]).filter((x): x is number => typeof x === 'number');
  expect(v.length).toBeGreaterThan(3);
  return v.reduce((a, b) => a + b, 0) / v.length;
}

// These models are tiny: with two wasm threads, pool synchronisation costs more than it saves (5× slower per step
// on a loaded 2-core CI machine). One thread keeps the suite fast; tests/compute covers the threaded backend.
process.env.ECGFM_THREADS ??= '1';

describe('pre-training on PTB-XL (P125, D64, L2, 100 steps)', () => {
  let indices: number[] = [];
  beforeAll(async () => {
    await ptbxlWorkspace();
    indices = patientRichSubset(64);
  });

  it.each([
    ['gl', ['recon']],
    ['cl', ['sample', 'patient']],
    ['hl', ['recon', 'sample', 'patient']],
  ] as const)('%s lowers every loss component', async (method, parts) => {
    const events: TrainingEvent[] = [];
    const res = await pretrain(
      { method, dataset: 'ptbxl', indices, model: { patch: 125, depth: 2, dim: 64 }, batchSize: 8, steps: 100, lr: 1e-3, seed: 1, checkpointEvery: 50, logEvery: 20 },
      { onEvent: (e) => events.push(e) },
    );
    expect(res.status).toBe('completed');
    expect(res.step).toBe(100);
    const lines = readMetrics(res.runDir);
    expect(lines.map((l) => l.step)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const first = lines.slice(0, 25);
    const last = lines.slice(-25);
    for (const k of ['total', ...parts] as const) {
      expect(meanOf(last, k), `${method} ${k}`).toBeLessThan(meanOf(first, k));
    }
    // The run records its backend, checkpoints and progress.
    const config = JSON.parse(readFileSync(join(res.runDir, 'config.json'), 'utf8')) as { backend: { description: string } };
    expect(config.backend.description).toMatch(/^(wasm|cpu|tfjs-node)/);
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(5);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => (e as { step: number }).step)).toEqual([50, 100]);
    expect(existsSync(join(res.lastCheckpoint!, 'weights.ecgfmt'))).toBe(true);
    // The encoder of the run loads for downstream use.
    const enc = await loadEncoder(res.runDir);
    const y = tf.tidy(() => enc.embed(tf.zeros([2, 12, 2500]) as tf.Tensor3D).shape);
    expect(y).toEqual([2, 64]);
    enc.dispose();
  });

  it('patient-aware batch order puts each multi-ECG patient together, and depends only on seed and epoch', () => {
    const pids = ['a', 'b', 'a', 'c', 'd', 'e', 'f', 'g', 'b', 'h', 'i', 'j'];
    const o = { batchSize: 4, seed: 3, patientAware: true };
    const order = epochOrder(pids, 0, o);
    expect(order).toEqual(epochOrder(pids, 0, o));
    expect(order).not.toEqual(epochOrder(pids, 1, o));
    expect(order).toHaveLength(12);
    for (let j = 0; j < 3; j++) {
      const batch = order.slice(j * 4, j * 4 + 4).map((i) => pids[i]);
      // Patients a and b each sit whole in one batch.
      for (const p of ['a', 'b']) expect([0, 2]).toContain(batch.filter((x) => x === p).length);
    }
  });
});

describe('memory', () => {
  it('the tensor count stays flat across 500 steps after warm-up', async () => {
    // A tiny model on synthetic batches: this checks for leaks, not learning.
    const B = 4;
    const data: TrainingData = {
      count: 8,
      batchesPerEpoch: 2,
      async *epoch(epoch, skip) {
        for (let j = skip; j < 2; j++) {
          const signals = Float32Array.from({ length: B * ECG_SIZE }, (_, i) => Math.sin((i + j * 31 + epoch) / 9));
          const batch: Batch = { signals, size: B, indices: [0, 1, 2, 3], ids: ['0', '1', '2', '3'], patientIds: ['p', 'p', 'q', 'r'] };
          yield batch;
        }
      },
    };
    const counts: number[] = [];
    const res = await pretrain(
      { method: 'gl', dataset: 'synthetic', model: { patch: 250, depth: 1, dim: 16, decoderDepth: 1 }, batchSize: B, steps: 500, logEvery: 50, checkpointEvery: 250, clipNorm: 1, engine: 'tfjs' },
      { onProgress: (e: ProgressEvent) => counts.push(e.memory.numTensors) },
      { data },
    );
    expect(res.step).toBe(500);
    expect(counts).toHaveLength(10);
    expect(new Set(counts.slice(1)).size).toBe(1);
  });
});
