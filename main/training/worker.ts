/**
 * The training worker process. Started by launcher.ts (child_process.fork) or by Electron's utilityProcess;
 * it speaks the protocol of contract/training.ts over whichever channel its parent gave it.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrainingCommand, TrainingEvent, Transport } from '../../contract/training.js';
import { pretrain } from './pretrain.js';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

/** The parent channel: Electron's parentPort in a utilityProcess, else Node's IPC channel. */
export function parentTransport(): Transport<TrainingEvent, TrainingCommand> {
  const port = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (port) {
    return {
      send: (m) => port.postMessage(m),
      onMessage: (h) => port.on('message', (e) => h(e.data as TrainingCommand)),
    };
  }
  if (!process.send) throw new Error('The training worker must be started by the app or `startTrainingWorker` (no IPC channel)');
  return {
    send: (m) => process.send?.(m),
    onMessage: (h) => process.on('message', (m) => h(m as TrainingCommand)),
  };
}

/** Serve one training run; resolves when it has finished (done or error sent). */
export function serveTraining(transport: Transport<TrainingEvent, TrainingCommand>): Promise<void> {
  let paused = false;
  let stopped = false;
  let running: Promise<void> | null = null;
  return new Promise((resolve) => {
    transport.onMessage((cmd) => {
      switch (cmd.type) {
        case 'pause':
          paused = true;
          break;
        case 'resume':
          paused = false;
          break;
        case 'cancel':
          stopped = true;
          if (!running) resolve();
          break;
        case 'start':
          if (running) {
            transport.send({ type: 'error', message: 'This worker is already training; start another worker for another run' });
            break;
          }
          running = pretrain(cmd.config, {
            onEvent: (e) => transport.send(e),
            shouldPause: () => paused,
            shouldStop: () => stopped,
          })
            .then((result) => transport.send({ type: 'done', result }))
            .catch((err: unknown) => {
              const e = err instanceof Error ? err : new Error(String(err));
              transport.send({ type: 'error', message: e.message, stack: e.stack });
            })
            .finally(resolve);
          break;
        default:
          transport.send({ type: 'error', message: `Unknown command ${JSON.stringify(cmd)}` });
      }
    });
  });
}

// Entry point when forked (argv[1] is this file) or when loaded in an Electron utilityProcess (parentPort exists).
const isMain =
  process.env.ECGFM_TRAINING_WORKER === '1' ||
  (process as unknown as { parentPort?: unknown }).parentPort !== undefined ||
  (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url));
if (isMain) {
  // A promise chain rather than top-level await, so the Electron build can bundle this file as CommonJS.
  void serveTraining(parentTransport()).then(() => {
    // wasm worker threads keep the process alive; leave once the last message is flushed.
    setTimeout(() => process.exit(0), 200);
  });
}
