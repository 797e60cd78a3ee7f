/**
 * Job workers in Electron's utilityProcess: the same worker (main/jobs/worker.ts) and protocol
 * (contract/jobs.ts) as the Node child process, carried over the utilityProcess's parentPort. The main process
 * never loads TensorFlow.js or ONNX Runtime.
 */
import { utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JobWorkerEvent } from '../contract/jobs.js';
import { JOB_WORKER_PATH, type SpawnWorker } from '../main/jobs/spawn.js';

/** The bundled worker beside the bundled main (build/desktop.mjs); in development, the TypeScript one through tsx. */
function workerEntry(): { path: string; execArgv: string[] } {
  const bundled = fileURLToPath(new URL('./jobs-worker.cjs', import.meta.url));
  return existsSync(bundled) ? { path: bundled, execArgv: [] } : { path: JOB_WORKER_PATH, execArgv: ['--import', 'tsx'] };
}

export const utilityJobWorker: SpawnWorker = () => {
  const entry = workerEntry();
  const child = utilityProcess.fork(entry.path, [], { execArgv: entry.execArgv, serviceName: 'ECG-FM job', stdio: 'inherit' });
  return {
    send: (m) => child.postMessage(m),
    onMessage: (h) => void child.on('message', (m: unknown) => h(m as JobWorkerEvent)),
    onExit: (h) => void child.once('exit', (code) => h(`exited with code ${code}`)),
    kill: () => void child.kill(),
  };
};
