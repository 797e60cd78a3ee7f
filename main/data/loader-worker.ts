/** Loader worker: reads the batches loader.ts asks for from a sharded cache and transfers the floats back. */
import { parentPort } from 'node:worker_threads';
import { ECG_SIZE } from './types.js';
import { openCache, type ShardedCache } from './cache.js';

export type LoaderRequest = { type: 'open'; dir: string } | { type: 'read'; id: number; indices: number[] };
export type LoaderReply = { id: number; signals: Float32Array } | { id: number; error: string };

const port = parentPort;
let ds: ShardedCache | null = null;
if (port) {
  port.on('message', (msg: LoaderRequest) => {
    if (msg.type === 'open') {
      ds?.close();
      ds = openCache(msg.dir);
      return;
    }
    let reply: LoaderReply;
    try {
      if (!ds) throw new Error('loader worker: no cache opened');
      // Every value gets written, so skip the zero fill; malloc also tends to hand back the previous batch's
      // freed memory, which spares the page faults of touching 30 MB of fresh pages per batch.
      const bytes = Buffer.allocUnsafeSlow(msg.indices.length * ECG_SIZE * 4);
      const signals = ds.readMany(msg.indices, new Float32Array(bytes.buffer, bytes.byteOffset, msg.indices.length * ECG_SIZE));
      reply = { id: msg.id, signals };
      port.postMessage(reply, [signals.buffer as ArrayBuffer]);
    } catch (err) {
      reply = { id: msg.id, error: (err as Error).message ?? String(err) };
      port.postMessage(reply);
    }
  });
}
