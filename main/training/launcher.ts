/**
 * Runs pre-training in a separate process and relays its events. The protocol (contract/training.ts) is carried by
 * a Transport, so Electron can hand a utilityProcess to `connectTrainingWorker` instead of forking here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PretrainConfigInput, PretrainResult, TrainingCommand, TrainingEvent, Transport } from '../../contract/training.js';

export const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface TrainingHandle {
  pause(): void;
  resume(): void;
  cancel(): void;
  /** Settles when the worker reports done (resolves) or an error, or exits without either (rejects). */
  done: Promise<PretrainResult>;
}

export interface WorkerOptions {
  onEvent?(e: TrainingEvent): void;
}

/** Drive a worker over any transport; `exited` reports the end of the process, when the transport can tell. */
export function connectTrainingWorker(
  transport: Transport<TrainingCommand, TrainingEvent>,
  config: PretrainConfigInput,
  options: WorkerOptions,
  exited?: (listener: (why: string) => void) => void,
): TrainingHandle {
  let settle: { resolve(r: PretrainResult): void; reject(e: Error): void } | null = null;
  const done = new Promise<PretrainResult>((resolve, reject) => (settle = { resolve, reject }));
  transport.onMessage((e) => {
    options.onEvent?.(e);
    if (e.type === 'done') settle?.resolve(e.result);
    if (e.type === 'error') settle?.reject(Object.assign(new Error(e.message), { workerStack: e.stack }));
  });
  exited?.((why) => settle?.reject(new Error(`The training worker ${why} before finishing`)));
  transport.send({ type: 'start', config });
  return {
    pause: () => transport.send({ type: 'pause' }),
    resume: () => transport.send({ type: 'resume' }),
    cancel: () => transport.send({ type: 'cancel' }),
    done,
  };
}

export interface ForkedTraining extends TrainingHandle {
  child: ChildProcess;
  /** Kill the process outright (no checkpoint). */
  kill(signal?: NodeJS.Signals): void;
}

/** Fork main/training/worker.ts (through tsx) and start a run in it. */
export function startTrainingWorker(config: PretrainConfigInput, options: WorkerOptions & { env?: NodeJS.ProcessEnv } = {}): ForkedTraining {
  const child = fork(WORKER_PATH, [], { execArgv: ['--import', 'tsx'], env: options.env ?? process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const transport: Transport<TrainingCommand, TrainingEvent> = {
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (h) => child.on('message', (m) => h(m as TrainingEvent)),
  };
  const handle = connectTrainingWorker(transport, config, options, (listener) => {
    child.on('exit', (code, signal) => listener(signal ? `was killed (${signal})` : `exited with code ${code}`));
    child.on('error', (err) => listener(`failed to start (${err.message})`));
  });
  return { ...handle, child, kill: (signal = 'SIGKILL') => child.kill(signal) };
}
