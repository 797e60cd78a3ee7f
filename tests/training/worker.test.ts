import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTrainingWorker } from '../../main/training/launcher.js';
import type { PretrainConfigInput, TrainingEvent } from '../../contract/training.js';
import { patientRichSubset, ptbxlWorkspace, type MetricLine } from './ptbxl.js';

function metrics(ws: string, runId: string): MetricLine[] {
  return readFileSync(join(ws, 'runs', runId, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricLine);
}

// These models are tiny: with two wasm threads, pool synchronisation costs more than it saves (5× slower per step
// on a loaded 2-core CI machine). One thread keeps the suite fast; tests/compute covers the threaded backend.
process.env.ECGFM_THREADS ??= '1';

describe('training worker process', () => {
  let ws = '';
  let base: Omit<PretrainConfigInput, 'runId'>;
  beforeAll(async () => {
    ws = await ptbxlWorkspace();
    // HL exercises every random part (views, masks, patient batches) that resuming must reproduce.
    base = {
      method: 'hl', dataset: 'ptbxl', indices: patientRichSubset(48), model: { patch: 250, depth: 1, dim: 32 },
      batchSize: 6, steps: 24, lr: 1e-3, seed: 4, checkpointEvery: 8, logEvery: 4, keepLast: 2,
    };
  });

  it('resuming after a kill continues from the saved step with the losses of an uninterrupted run', async () => {
    const env = { ...process.env, ECGFM_WORKSPACE: ws };
    const reference = startTrainingWorker({ ...base, runId: 'uninterrupted' }, { env });
    expect((await reference.done).step).toBe(24);

    // Kill the worker outright once its step-8 checkpoint is on disk (16 steps before it would finish).
    let killedAfter = 0;
    const victim = startTrainingWorker({ ...base, runId: 'killed' }, {
      env,
      onEvent: (e) => {
        if (e.type === 'checkpoint' && e.step === 8 && !killedAfter) {
          killedAfter = e.step;
          victim.kill('SIGKILL');
        }
      },
    });
    await expect(victim.done).rejects.toThrow(/killed/);
    expect(killedAfter).toBe(8);

    const events: TrainingEvent[] = [];
    const resumed = startTrainingWorker({ ...base, runId: 'killed', resume: true }, { env, onEvent: (e) => events.push(e) });
    const result = await resumed.done;
    expect(events.find((e) => e.type === 'started')).toMatchObject({ startStep: 8, totalSteps: 24 });
    expect(result.step).toBe(24);

    const a = metrics(ws, 'uninterrupted');
    const b = metrics(ws, 'killed');
    expect(b.map((l) => l.step)).toEqual(a.map((l) => l.step));
    for (let i = 8; i < 24; i++) {
      for (const k of ['total', 'recon', 'sample', 'patient'] as const) {
        if (a[i]![k] === undefined) {
          expect(b[i]![k]).toBeUndefined();
          continue;
        }
        expect(Math.abs(b[i]![k]! - a[i]![k]!), `step ${i + 1} ${k}`).toBeLessThan(1e-5);
      }
    }
    // keepLast 2 plus the best: never more than three checkpoints on disk.
    const index = JSON.parse(readFileSync(join(ws, 'runs', 'killed', 'checkpoints', 'index.json'), 'utf8')) as { last: string[] };
    expect(index.last).toEqual(['step-00000016', 'step-00000024']);
  });

  it('pauses, resumes and cancels on command, saving a checkpoint when cancelled', async () => {
    const env = { ...process.env, ECGFM_WORKSPACE: ws };
    const states: string[] = [];
    let paused = false;
    const run = startTrainingWorker({ ...base, runId: 'controlled', steps: 200, logEvery: 1 }, {
      env,
      onEvent: (e) => {
        if (e.type === 'state') states.push(e.state);
        // Resume only once the worker says it is paused: under load a step can outlast any fixed delay.
        if (e.type === 'state' && e.state === 'paused') setTimeout(() => run.resume(), 200);
        if (e.type === 'progress' && e.step === 2 && !paused) {
          paused = true;
          run.pause();
        }
        if (e.type === 'progress' && e.step === 5) run.cancel();
      },
    });
    const result = await run.done;
    expect(states).toEqual(['paused', 'running']);
    expect(result.status).toBe('cancelled');
    expect(result.step).toBeGreaterThanOrEqual(5);
    expect(result.step).toBeLessThan(200);
    expect(result.lastCheckpoint).toMatch(/step-0+\d+$/);
  });
});
