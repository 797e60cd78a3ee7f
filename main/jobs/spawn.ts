/**
 * The host's side of a job worker: start one (a Node child process here; Electron passes a utilityProcess
 * spawner), send it the job, relay its progress and events, stop it on pause or cancel.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ApiEvent } from '../../contract/api.js';
import type { JobCommand, JobWorkerEvent } from '../../contract/jobs.js';
import type { JobContext, JobHandler } from '../runner/types.js';
import { workspaceDir } from '../workspace.js';

export const JOB_WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface WorkerProcess {
  send(command: JobCommand): void;
  onMessage(handler: (e: JobWorkerEvent) => void): void;
  /** Called once when the process ends, with why in words. */
  onExit(handler: (why: string) => void): void;
  kill(): void;
}

export type SpawnWorker = () => WorkerProcess;

/** Fork main/jobs/worker.ts through tsx. */
export const forkJobWorker: SpawnWorker = () => {
  const child = fork(JOB_WORKER_PATH, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ECGFM_JOB_WORKER: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (h) => void child.on('message', (m) => h(m as JobWorkerEvent)),
    onExit: (h) => {
      child.once('exit', (code, signal) => h(signal ? `was killed (${signal})` : `exited with code ${code}`));
      child.once('error', (err) => h(`failed to start (${err.message})`));
    },
    kill: () => void child.kill('SIGKILL'),
  };
};

/** How long a stopped worker may take to reach its next step and checkpoint before it is killed. */
const STOP_GRACE_MS = 120_000;

/** A runner handler that runs the job in a fresh worker process. */
export function workerHandler(spawn: SpawnWorker, onEvent: (jobId: number, e: ApiEvent) => void, workspace: () => string = workspaceDir): JobHandler {
  return (ctx: JobContext) =>
    new Promise<unknown>((resolve, reject) => {
      const w = spawn();
      let settled = false;
      let killer: NodeJS.Timeout | null = null;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        if (killer) clearTimeout(killer);
        f();
      };
      w.onMessage((e) => {
        if (e.type === 'progress') ctx.progress({ fraction: e.fraction ?? undefined, message: e.message ?? undefined, milestone: e.milestone ?? false });
        else if (e.type === 'event') onEvent(ctx.job.id, e.event);
        else if (e.type === 'done') settle(() => resolve(e.result));
        else if (e.type === 'error') settle(() => reject(Object.assign(new Error(e.message), { workerStack: e.stack })));
      });
      w.onExit((why) => settle(() => reject(new Error(`The job worker ${why} before finishing.`))));
      const stop = () => {
        const reason = ctx.signal.reason === 'cancel' || ctx.signal.reason === 'shutdown' ? ctx.signal.reason : 'pause';
        w.send({ type: 'stop', reason });
        killer = setTimeout(() => w.kill(), STOP_GRACE_MS);
      };
      if (ctx.signal.aborted) stop();
      else ctx.signal.addEventListener('abort', stop, { once: true });
      w.send({ type: 'run', job: { id: ctx.job.id, kind: ctx.job.kind, payload: ctx.job.payload }, workspace: workspace() });
    });
}
