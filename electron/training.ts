/**
 * Training in Electron's utilityProcess: the same worker (main/training/worker.ts) and message protocol as the
 * Node child process, carried over the utilityProcess's parentPort.
 */
import { utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TrainingCommand, TrainingEvent, Transport } from '../contract/training.js';
import { trainingPortFromLauncher } from '../main/api/training.js';
import type { TrainingPort } from '../main/api/ports.js';
import { connectTrainingWorker, WORKER_PATH } from '../main/training/launcher.js';

/** The bundled worker beside the bundled main (build/desktop.mjs); in development, the TypeScript one through tsx. */
function workerEntry(): { path: string; execArgv: string[] } {
  const bundled = fileURLToPath(new URL('./worker.cjs', import.meta.url));
  return existsSync(bundled) ? { path: bundled, execArgv: [] } : { path: WORKER_PATH, execArgv: ['--import', 'tsx'] };
}

export function utilityTrainingPort(): TrainingPort {
  return trainingPortFromLauncher((config, options) => {
    const entry = workerEntry();
    const child = utilityProcess.fork(entry.path, [], { execArgv: entry.execArgv, serviceName: 'ECG-FM training', stdio: 'inherit' });
    const transport: Transport<TrainingCommand, TrainingEvent> = {
      send: (m) => child.postMessage(m),
      onMessage: (h) => void child.on('message', (m: unknown) => h(m as TrainingEvent)),
    };
    return connectTrainingWorker(transport, config, options, (listener) => {
      child.on('exit', (code) => listener(`exited with code ${code}`));
    });
  });
}
