/**
 * The jobs of a UI host (Electron or the headless host): the store-backed runner with every job kind, each run
 * in a worker process, and the mapping of runner events to the contract's job events. Jobs left running by a host
 * that died, or queued when it shut down, start again when the next host starts; their work resumes from its
 * checkpoints.
 */
import type { ApiEvent, JobView } from '../../contract/api.js';
import { JOB_KIND_RESOURCE, type JobKind } from '../../contract/jobs.js';
import { createRunner, type Job, type Runner, type RunnerEvent } from '../runner/runner.js';
import type { JobHandler, JobResource } from '../runner/types.js';
import type { Store } from '../store/store.js';
import { forkJobWorker, workerHandler, type SpawnWorker } from './spawn.js';

export interface JobSystemOptions {
  store: Store;
  emit(e: ApiEvent): void;
  /** How to start a worker: a child process by default, Electron's utilityProcess in the desktop app. */
  spawn?: SpawnWorker;
  /** Compute jobs at once per device (default 1, or $ECGFM_GPU_JOBS) and light ones (default 2). */
  concurrency?: Partial<Record<JobResource, number>>;
  workspace(): string;
  /** Called on every job change, before the event goes out (the service keeps run rows in step). */
  onJob?(e: RunnerEvent): void;
}

export interface JobSystem {
  runner: Runner;
  enqueue(kind: JobKind, payload: Record<string, unknown>, opts: { title: string; resultId?: string | null }): JobView;
  /** Enqueue and wait: resolves with the job's result, rejects with its error. */
  run<T>(kind: JobKind, payload: Record<string, unknown>, opts: { title: string }): Promise<T>;
  list(): JobView[];
  find(id: string): Job | null;
  cancel(id: string): boolean;
  pause(id: string): Job;
  resume(id: string): Job;
  /** Stops taking jobs; running ones go back to the queue for the next host. */
  dispose(): Promise<void>;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export function jobView(j: Job): JobView {
  const p = j.progress ?? {};
  return {
    id: String(j.id),
    kind: j.kind as JobKind,
    title: j.title || j.kind,
    status: j.status,
    fraction: j.status === 'succeeded' ? 1 : typeof p.fraction === 'number' ? p.fraction : null,
    message: j.status === 'failed' ? j.error : j.status === 'cancelled' ? 'Cancelled.' : typeof p.message === 'string' ? p.message : null,
    resultId: typeof j.result === 'string' ? j.result : j.resultId,
    createdAt: j.createdAt,
  };
}

export function createJobSystem(o: JobSystemOptions): JobSystem {
  const spawn = o.spawn ?? forkJobWorker;
  const handler = workerHandler(spawn, (_id, e) => o.emit(e), o.workspace);
  // Kind names and resources only: the kinds' code is loaded by the worker, never by the host.
  const handlers: Record<string, JobHandler> = Object.fromEntries(Object.keys(JOB_KIND_RESOURCE).filter((k) => k !== 'import').map((k) => [k, handler]));
  const runner = createRunner(o.store, { handlers, concurrency: o.concurrency, pollMs: 500 });
  const waiters = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  runner.on('event', (e) => {
    if (e.type === 'idle') return;
    o.onJob?.(e);
    if (e.type === 'progress') {
      const v = jobView(e.job);
      o.emit({ type: 'job.progress', jobId: v.id, fraction: v.fraction, message: v.message, status: v.status });
      return;
    }
    o.emit({ type: 'job.state', job: jobView(e.job) });
    const w = waiters.get(e.job.id);
    if (w && FINAL.has(e.job.status)) {
      waiters.delete(e.job.id);
      if (e.job.status === 'succeeded') w.resolve(e.job.result);
      else w.reject(new Error(e.job.error ?? `The ${e.job.kind} job was ${e.job.status}.`));
    }
  });
  runner.start();

  const idOf = (id: string) => {
    const n = Number(id);
    return Number.isInteger(n) && n > 0 ? n : -1;
  };
  const enqueue: JobSystem['enqueue'] = (kind, payload, opts) => {
    return jobView(runner.enqueue(kind, payload, { resource: JOB_KIND_RESOURCE[kind], title: opts.title, resultId: opts.resultId ?? null }));
  };
  return {
    runner,
    enqueue,
    run<T>(kind: JobKind, payload: Record<string, unknown>, opts: { title: string }) {
      const v = enqueue(kind, payload, opts);
      return new Promise<T>((resolve, reject) => waiters.set(Number(v.id), { resolve: resolve as (x: unknown) => void, reject }));
    },
    list: () =>
      runner.queue
        .list()
        .slice(-300)
        .reverse()
        .map(jobView),
    find: (id) => runner.queue.get(idOf(id)),
    cancel(id) {
      const job = runner.queue.get(idOf(id));
      if (!job || FINAL.has(job.status)) return false;
      runner.cancel(job.id);
      return true;
    },
    pause: (id) => runner.pause(idOf(id)),
    resume: (id) => runner.resume(idOf(id)),
    async dispose() {
      await runner.stop({ requeue: true });
      for (const w of waiters.values()) w.reject(new Error('The host closed before the job finished.'));
      waiters.clear();
    },
  };
}
