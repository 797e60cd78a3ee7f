/** Import worker: standardises chunks of records sent by import.ts and transfers the signals back. */
import { parentPort } from 'node:worker_threads';
import { ingestRecord } from './ingest.js';
import { initHdf5 } from './hdf5/read.js';
import type { SourceRecord } from './adapters/source.js';
import type { ChunkResult } from './import.js';

const port = parentPort;
if (port) {
  port.on('message', (msg: { chunk: number; records: SourceRecord[] }) => {
    void (async () => {
      if (msg.records.some((r) => r.recipe.reader === 'hdf5')) await initHdf5();
      const results: ChunkResult[] = [];
      const transfer: ArrayBuffer[] = [];
      for (const rec of msg.records) {
        try {
          const { meta, signal } = ingestRecord(rec);
          results.push({ ok: true, ref: rec.ref, file: rec.file, meta, signal });
          transfer.push(signal.buffer as ArrayBuffer);
        } catch (err) {
          results.push({ ok: false, ref: rec.ref, file: rec.file, problem: (err as Error).message ?? String(err) });
        }
      }
      port.postMessage({ chunk: msg.chunk, results }, transfer);
    })();
  });
}
