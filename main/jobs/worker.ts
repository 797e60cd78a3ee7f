/**
 * The job worker process: runs one job of any kind (main/jobs/index.ts) for its host, over the protocol of
 * contract/jobs.ts. Started by main/jobs/spawn.ts (child_process.fork) or by Electron's utilityProcess. All
 * TensorFlow.js and ONNX Runtime work of a job happens here, never in the host.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ApiEvent } from '../../contract/api.js';
import type { JobCommand, JobWorkerEvent } from '../../contract/jobs.js';
import { JobQueue } from '../runner/runner.js';
import { openStore, type Store } from '../store/store.js';
import { jobKind } from './index.js';
import type { JobRunContext } from './kind.js';
import { parentPortTransport } from './transport.js';

/** Progress events a second the host needs for a progress bar; milestones always pass. */
const PROGRESS_MS = 200;

export function serveJob(send: (e: JobWorkerEvent) => void, onCommand: (h: (c: JobCommand) => void) => void): Promise<void> {
  const abort = new AbortController();
  let store: Store | null = null;
  return new Promise<void>((resolve) => {
    let started = false;
    onCommand((cmd) => {
      if (cmd.type === 'stop') {
        if (!abort.signal.aborted) abort.abort(cmd.reason);
        if (!started) resolve();
        return;
      }
      if (started) return send({ type: 'error', message: 'This worker already runs a job; start another worker for another job.' });
      started = true;
      process.env.ECGFM_WORKSPACE = cmd.workspace;
      void (async () => {
        try {
          store = openStore(join(cmd.workspace, 'ecgfm.sqlite'));
          // The job is ours while we run: a host restarted meanwhile waits for this process before re-queueing it.
          new JobQueue(store).setOwner(cmd.job.id, `${hostname()}:${process.pid}:worker`);
          send({ type: 'started', pid: process.pid });
          const def = await jobKind(cmd.job.kind);
          const payload = def.payload.parse(cmd.job.payload);
          let last = 0;
          const ctx: JobRunContext = {
            jobId: cmd.job.id,
            store,
            signal: abort.signal,
            progress(fraction, message, milestone = false) {
              const now = performance.now();
              if (!milestone && fraction !== 1 && now - last < PROGRESS_MS) return;
              last = now;
              send({ type: 'progress', fraction, message, milestone });
            },
            emit: (event: ApiEvent) => send({ type: 'event', event }),
          };
          const result = await def.run(ctx, payload);
          send({ type: 'done', result: result ?? null });
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          send({ type: 'error', message: e.message, stack: e.stack });
        } finally {
          store?.close();
          resolve();
        }
      })();
    });
  });
}

// Entry point when forked with ECGFM_JOB_WORKER=1 or loaded in an Electron utilityProcess.
if (process.env.ECGFM_JOB_WORKER === '1' || (process as unknown as { parentPort?: unknown }).parentPort !== undefined) {
  const transport = parentPortTransport<JobWorkerEvent, JobCommand>('job worker');
  let stopOnLoss: (() => void) | null = null;
  const done = serveJob(
    (e) => transport.send(e),
    (h) => {
      transport.onMessage(h);
      // The host went away (killed): stop at the next step with a checkpoint, then leave; its successor resumes.
      stopOnLoss = () => h({ type: 'stop', reason: 'pause' });
    },
  );
  process.on('disconnect', () => {
    stopOnLoss?.();
    setTimeout(() => process.exit(0), 60_000).unref();
  });
  // wasm worker threads keep the process alive; leave once the last message is flushed.
  void done.then(() => setTimeout(() => process.exit(0), 200));
}
