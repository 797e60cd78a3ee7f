/**
 * A clinical fine-tune is a job like any other: cancelled from the UI (cancelJob) or from the CLI
 * (`ecgfm jobs cancel ID`, which reaches the host's worker through the store), it stops mid-training and writes
 * no package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, JobView } from '../../contract/api.js';
import { createService, type Service } from '../../main/api/service.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ptbxlWorkspace } from '../helpers/ptbxl.js';

describe('clinical fine-tune cancel', () => {
  let ws = '';
  let service: Service;
  const states: JobView[] = [];
  const progress = new Map<string, number>();
  beforeAll(async () => {
    ws = await ptbxlWorkspace('ecgfm-jobs-cancel-');
    process.env.ECGFM_THREADS = '1';
    service = createService({ host: 'http', workspace: ws });
    service.onEvent((e: ApiEvent) => {
      if (e.type === 'job.state') states.push(e.job);
      if (e.type === 'job.progress' && e.message?.startsWith('epoch')) progress.set(e.jobId, (progress.get(e.jobId) ?? 0) + 1);
    });
  });
  afterAll(() => service?.dispose());

  const finalState = (id: string) =>
    new Promise<JobView>((resolve) => {
      const t = setInterval(() => {
        const s = states.filter((j) => j.id === id && ['succeeded', 'failed', 'cancelled'].includes(j.status)).at(-1);
        if (s) {
          clearInterval(t);
          resolve(s);
        }
      }, 200);
    });
  const firstEpoch = (id: string) =>
    new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if ((progress.get(id) ?? 0) >= 1) {
          clearInterval(t);
          resolve();
        }
      }, 200);
    });

  it('stops at the next batch when cancelled from the UI or the CLI, and writes no package', async () => {
    const request = { dataset: 'ptbxl', tasks: ['MI'], model: { patch: 250, depth: 1, dim: 32 }, epochs: 200, batchSize: 32, seed: 0 };
    const a = await service.handlers.startClinicalFinetune({ ...request, name: 'cancel-ui' } as never);
    const b = await service.handlers.startClinicalFinetune({ ...request, name: 'cancel-cli' } as never);

    await firstEpoch(a.jobId);
    expect(await service.handlers.cancelJob({ jobId: a.jobId })).toEqual({ cancelled: true });
    const ua = await finalState(a.jobId);
    expect(ua.status).toBe('cancelled');
    expect(ua.kind).toBe('clinical-finetune');

    // The second waited for the device; now it trains, and the CLI cancels it through the store.
    await firstEpoch(b.jobId);
    const cli = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), 'jobs', 'cancel', b.jobId], { env: { ...process.env, ECGFM_WORKSPACE: ws }, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`job ${b.jobId} clinical-finetune: running \\(asked the process running it to cancel\\)`));
    const ub = await finalState(b.jobId);
    expect(ub.status).toBe('cancelled');
    for (const name of ['cancel-ui', 'cancel-cli']) expect(existsSync(join(ws, 'models', `${name}.ecgfm`))).toBe(false);
    // Each stopped well before its 200 epochs.
    expect(progress.get(a.jobId)!).toBeLessThan(20);
    expect(progress.get(b.jobId)!).toBeLessThan(20);
  });
});
