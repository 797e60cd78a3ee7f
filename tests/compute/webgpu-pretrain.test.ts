/**
 * HL pre-training in the worker process on the webgpu backend (CI: Mesa lavapipe): 20 steps on 64 PTB-XL records
 * lower the loss, checkpoint, and a run killed with SIGKILL resumes to the losses of an uninterrupted one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTrainingWorker } from '../../main/training/launcher.js';
import type { PretrainConfigInput } from '../../contract/training.js';
import { patientRichSubset, ptbxlWorkspace, type MetricLine } from '../training/ptbxl.js';

function metrics(ws: string, runId: string): MetricLine[] {
  return readFileSync(join(ws, 'runs', runId, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricLine);
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('pre-training on webgpu in the worker', () => {
  let ws = '';
  let base: Omit<PretrainConfigInput, 'runId'>;
  beforeAll(async () => {
    ws = await ptbxlWorkspace();
    base = {
      method: 'hl', dataset: 'ptbxl', indices: patientRichSubset(64), model: { patch: 250, depth: 1, dim: 32 },
      batchSize: 8, steps: 20, lr: 3e-3, seed: 2, checkpointEvery: 10, logEvery: 5, keepLast: 2,
    };
  });

  it('lowers the loss, records the adapter, and resumes after SIGKILL to the uninterrupted losses', async () => {
    const env = { ...process.env, ECGFM_WORKSPACE: ws, ECGFM_BACKEND: 'webgpu' };
    const counts: number[] = [];
    const reference = startTrainingWorker({ ...base, runId: 'gpu-uninterrupted' }, {
      env,
      onEvent: (e) => {
        if (e.type === 'progress') counts.push(e.memory.numTensors);
      },
    });
    const done = await reference.done;
    expect(done.step).toBe(20);
    expect(done.backend).toMatch(/^webgpu on /);
    // Steps 5, 10, 15, 20: no tensor outlives its step (checkpointing at 10 included).
    expect(counts).toHaveLength(4);
    expect(new Set(counts).size).toBe(1);
    const record = JSON.parse(readFileSync(join(ws, 'runs', 'gpu-uninterrupted', 'config.json'), 'utf8')) as {
      backend: { name: string; adapter: { vendor: string; architecture: string; description: string; driver: string } };
    };
    expect(record.backend.name).toBe('webgpu');
    expect(record.backend.adapter.vendor).toBe('mesa');
    expect(record.backend.adapter.description).toMatch(/llvmpipe/);
    expect(record.backend.adapter.driver).toMatch(/Mesa \d+/);

    const a = metrics(ws, 'gpu-uninterrupted');
    expect(a.map((l) => l.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(mean(a.slice(15).map((l) => l.total))).toBeLessThan(mean(a.slice(0, 5).map((l) => l.total)));

    let killed = false;
    const victim = startTrainingWorker({ ...base, runId: 'gpu-killed' }, {
      env,
      onEvent: (e) => {
        if (e.type === 'checkpoint' && e.step === 10 && !killed) {
          killed = true;
          victim.kill('SIGKILL');
        }
      },
    });
    await expect(victim.done).rejects.toThrow(/killed/);
    expect(killed).toBe(true);
    const resumed = await startTrainingWorker({ ...base, runId: 'gpu-killed', resume: true }, { env }).done;
    expect(resumed.step).toBe(20);

    const b = metrics(ws, 'gpu-killed');
    expect(b.map((l) => l.step)).toEqual(a.map((l) => l.step));
    for (let i = 10; i < 20; i++) {
      for (const k of ['total', 'recon', 'sample', 'patient'] as const) {
        if (a[i]![k] === undefined) expect(b[i]![k]).toBeUndefined();
        else expect(Math.abs(b[i]![k]! - a[i]![k]!), `step ${i + 1} ${k}`).toBeLessThan(1e-4);
      }
    }
  }, 600_000);
});
