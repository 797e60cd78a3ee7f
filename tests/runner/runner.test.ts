import { describe, expect, it, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { openStore, type Store } from '../../main/store/store.js';
import { createRunner, type JobContext, type RunnerEvent } from '../../main/runner/runner.js';
import { REPO_ROOT, tempWorkspace } from '../helpers/paths.js';
import { countJob } from './fixtures/counter.js';

const opened: Store[] = [];
function fresh(): { store: Store; dir: string } {
  const dir = tempWorkspace();
  const store = openStore(join(dir, 'ecgfm.sqlite'));
  opened.push(store);
  return { store, dir };
}
afterEach(() => {
  while (opened.length) opened.pop()!.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await sleep(20);
  }
}

describe('job runner', () => {
  it('runs one GPU job at a time by default, CPU jobs beside it, and reports every state change', async () => {
    const { store } = fresh();
    let gpuNow = 0;
    let gpuMax = 0;
    let cpuOverlapGpu = false;
    const work = (resource: 'gpu' | 'cpu') => async (ctx: JobContext) => {
      if (resource === 'gpu') gpuMax = Math.max(gpuMax, ++gpuNow);
      else if (gpuNow > 0) cpuOverlapGpu = true;
      ctx.progress({ fraction: 0.5 });
      await sleep(60);
      if (resource === 'gpu') gpuNow--;
      if (ctx.job.payload.fail) throw new Error('simulated out of memory');
      return { ok: ctx.job.id };
    };
    const runner = createRunner(store, { handlers: { train: work('gpu'), embed: work('cpu') }, pollMs: 20 });
    const events: RunnerEvent[] = [];
    runner.on('event', (e) => events.push(e));
    const a = runner.enqueue('train', { n: 1 });
    const b = runner.enqueue('train', { fail: true });
    const c = runner.enqueue('train', { n: 3 });
    const d = runner.enqueue('embed', {}, { resource: 'cpu' });
    await runner.runUntilIdle();
    expect(gpuMax).toBe(1);
    expect(cpuOverlapGpu).toBe(true);
    expect(runner.queue.get(a.id)).toMatchObject({ status: 'succeeded', result: { ok: a.id } });
    // A failed job is recorded with its error and the queue goes on.
    expect(runner.queue.get(b.id)).toMatchObject({ status: 'failed', error: 'simulated out of memory' });
    expect(runner.queue.get(c.id)?.status).toBe('succeeded');
    expect(runner.queue.get(d.id)?.status).toBe('succeeded');
    const ofA = events.filter((e) => 'job' in e && e.job.id === a.id).map((e) => e.type);
    expect(ofA).toEqual(['queued', 'started', 'progress', 'succeeded']);
    expect(events.some((e) => e.type === 'failed' && e.error === 'simulated out of memory')).toBe(true);
    expect(events.at(-1)?.type).toBe('idle');
  });

  it('takes its GPU concurrency from the options or $ECGFM_GPU_JOBS', async () => {
    const { store } = fresh();
    let now = 0;
    let max = 0;
    const train = async () => {
      max = Math.max(max, ++now);
      await sleep(80);
      now--;
    };
    process.env.ECGFM_GPU_JOBS = '2';
    try {
      const runner = createRunner(store, { handlers: { train }, pollMs: 20 });
      for (let i = 0; i < 4; i++) runner.enqueue('train');
      await runner.runUntilIdle();
      expect(max).toBe(2);
      process.env.ECGFM_GPU_JOBS = 'lots';
      expect(() => createRunner(store, { handlers: { train } })).toThrow(/ECGFM_GPU_JOBS must be a positive integer/);
    } finally {
      delete process.env.ECGFM_GPU_JOBS;
    }
  });

  it('pauses, resumes and cancels; a resumed job continues from its checkpoint', async () => {
    const { store, dir } = fresh();
    const runner = createRunner(store, { handlers: { count: countJob }, pollMs: 20 });
    const payload = { checkpoint: join(dir, 'ckpt'), log: join(dir, 'log'), total: 30, delayMs: 10 };
    const job = runner.enqueue('count', payload);
    const other = runner.enqueue('count', { ...payload, checkpoint: join(dir, 'ckpt2'), log: join(dir, 'log2') });
    runner.start();
    await until(() => existsSync(payload.checkpoint) && Number(readFileSync(payload.checkpoint, 'utf8')) >= 5);
    runner.pause(job.id);
    await until(() => runner.queue.get(job.id)?.status === 'paused');
    // While the first is paused the single GPU slot goes to the next job; cancel it.
    await until(() => runner.queue.get(other.id)?.status === 'running');
    runner.cancel(other.id);
    await until(() => runner.queue.get(other.id)?.status === 'cancelled');
    const pausedAt = Number(readFileSync(payload.checkpoint, 'utf8'));
    runner.resume(job.id);
    await until(() => runner.queue.get(job.id)?.status === 'succeeded');
    await runner.stop();
    const done = runner.queue.get(job.id)!;
    expect(done.attempts).toBe(2);
    expect(done.result).toEqual({ step: 30, resumedFrom: pausedAt });
    const steps = readFileSync(payload.log, 'utf8').trim().split('\n').map(Number);
    expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(() => runner.resume(job.id)).toThrow(/only paused jobs/);
  });

  it('survives a killed process: the job is recovered and resumes from its last checkpoint', async () => {
    const { store, dir } = fresh();
    const payload = { checkpoint: join(dir, 'ckpt'), log: join(dir, 'log'), total: 40, delayMs: 15 };
    const queue = createRunner(store, { handlers: { count: countJob } }).queue;
    const job = queue.enqueue('count', payload);
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tests/runner/fixtures/counter.ts'), store.path], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    await until(() => existsSync(payload.checkpoint) && Number(readFileSync(payload.checkpoint, 'utf8')) >= 8);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const killedAt = Number(readFileSync(payload.checkpoint, 'utf8'));
    expect(queue.get(job.id)?.status).toBe('running');

    const runner = createRunner(store, { handlers: { count: countJob }, pollMs: 20 });
    const events: RunnerEvent[] = [];
    runner.on('event', (e) => events.push(e));
    await runner.runUntilIdle();
    expect(events[0]).toMatchObject({ type: 'recovered', job: { id: job.id, status: 'queued' } });
    const done = queue.get(job.id)!;
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({ step: 40, resumedFrom: killedAt });
    const steps = readFileSync(payload.log, 'utf8').trim().split('\n').map(Number);
    // The step count continues after the kill: nothing is redone from zero (the step being written when the
    // process died may be logged twice).
    expect(killedAt).toBeGreaterThanOrEqual(8);
    expect(steps.length).toBeLessThanOrEqual(41);
    expect([...new Set(steps)]).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('pauses and cancels a job running in another process through the store', async () => {
    const { store, dir } = fresh();
    const queue = createRunner(store, { handlers: {} }).queue;
    const payload = { checkpoint: join(dir, 'ckpt'), log: join(dir, 'log'), total: 400, delayMs: 10 };
    const job = queue.enqueue('count', payload);
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tests/runner/fixtures/counter.ts'), store.path], { cwd: REPO_ROOT, stdio: 'ignore' });
    try {
      await until(() => existsSync(payload.checkpoint) && Number(readFileSync(payload.checkpoint, 'utf8')) >= 3);
      expect(queue.pause(job.id)).toMatchObject({ status: 'running', request: 'pause' });
      await until(() => queue.get(job.id)?.status === 'paused');
      const pausedAt = Number(readFileSync(payload.checkpoint, 'utf8'));
      await sleep(200);
      expect(Number(readFileSync(payload.checkpoint, 'utf8'))).toBe(pausedAt); // it really stopped
      queue.resume(job.id);
      await until(() => queue.get(job.id)?.status === 'running' && Number(readFileSync(payload.checkpoint, 'utf8')) > pausedAt);
      queue.cancel(job.id);
      await until(() => queue.get(job.id)?.status === 'cancelled');
      expect(queue.get(job.id)).toMatchObject({ attempts: 2, request: null, owner: null });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
