/**
 * The worker's end of its channel: Electron's parentPort in a utilityProcess, else Node's IPC channel. Shared by
 * the training worker and the job worker.
 */
import type { Transport } from '../../contract/training.js';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

export function parentPortTransport<Out, In>(what: string): Transport<Out, In> {
  const port = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (port) {
    return {
      send: (m) => port.postMessage(m),
      onMessage: (h) => port.on('message', (e) => h(e.data as In)),
    };
  }
  if (!process.send) throw new Error(`The ${what} must be started by the app or the host (no IPC channel)`);
  return {
    // Once the host has gone the channel is closed: what is left to say has no listener (the callback takes the
    // error that would otherwise crash the process).
    send: (m) => {
      if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
    },
    onMessage: (h) => process.on('message', (m) => h(m as In)),
  };
}

/** Whether this process was started as a utilityProcess (Electron) or forked with an IPC channel. */
export const hasParentChannel = (): boolean => (process as unknown as { parentPort?: unknown }).parentPort !== undefined || typeof process.send === 'function';
