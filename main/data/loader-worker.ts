/** Loader worker: reads the batches loader.ts asks for from a sharded cache and transfers the floats back. */
import { parentPort } from 'node:worker_threads';
import { ECG_SIZE } from './types.js';
import { openCache, type ShardedCache } from './cache.js';

export type LoaderRequest =
  | { type: 'open'; dir: string }
  /** `buffer`: a recycled batch buffer to fill (transferred), when the consumer handed one back. */
  | { type: 'read'; id: number; indices: number[]; buffer: ArrayBuffer | null };
export type LoaderReply = { id: number; signals: Float32Array } | { id: number; error: string };

/** A batch's float buffer: the recycled one when it is big enough, else a new one. */
export function batchBuffer(records: number, recycled: ArrayBuffer | null): Float32Array {
  const n = records * ECG_SIZE;
  return recycled && recycled.byteLength >= n * 4 ? new Float32Array(recycled, 0, n) : new Float32Array(n);
}

const port = parentPort;
let ds: ShardedCache | null = null;
if (port) {
  port.on('message', (msg: LoaderRequest) => {
    if (msg.type === 'open') {
      ds?.close();
      ds = openCache(msg.dir);
      return;
    }
    try {
      if (!ds) throw new Error('loader worker: no cache opened');
      const signals = ds.readMany(msg.indices, batchBuffer(msg.indices.length, msg.buffer));
      port.postMessage({ id: msg.id, signals } satisfies LoaderReply, [signals.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage({ id: msg.id, error: (err as Error).message ?? String(err) } satisfies LoaderReply);
    }
  });
}
