/**
 * `importDataset`: list a source with its adapter, standardise every record (in worker threads when it pays),
 * and append to the sharded cache in source order. Per-record problems go to the report; the import goes on.
 */
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createCacheWriter } from './cache.js';
import { datasetDir } from './registry.js';
import { ingestRecord } from './ingest.js';
import { importWorkerUrl } from './worker-entry.js';
import { initHdf5 } from './hdf5/read.js';
import { ptbxlListing } from './adapters/ptbxl.js';
import { mimicListing } from './adapters/mimic.js';
import { wfdbFolderListing } from './adapters/wfdb-folder.js';
import { code15Listing, samitropListing } from './adapters/code15.js';
import type { SourceListing, SourceRecord } from './adapters/source.js';
import type { DatasetKind, ImportReport, RecordMeta } from './types.js';

export type ChunkResult =
  | { ok: true; meta: RecordMeta; signal: Float32Array }
  | { ok: false; ref: string; file: string; problem: string };

export interface ImportOptions {
  kind: DatasetKind;
  path: string;
  name?: string;
  rate?: 100 | 500;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Worker threads (default: one per core when there are ≥ 200 records to do, else 0 = in-process). */
  workers?: number;
  /** Records per shard of a new cache. */
  shardSize?: number;
}

export async function listSource(kind: DatasetKind, path: string, rate: 100 | 500 = 100): Promise<SourceListing> {
  switch (kind) {
    case 'ptbxl': return ptbxlListing(path, rate);
    case 'wfdb': return wfdbFolderListing(path);
    case 'mimic-iv-ecg': return mimicListing(path);
    case 'code15': return code15Listing(path);
    case 'samitrop': return samitropListing(path);
    default: throw new Error(`cannot import kind "${kind}" (use ptbxl, wfdb, code15, samitrop or mimic-iv-ecg)`);
  }
}

export function defaultDatasetName(kind: DatasetKind, path: string, rate?: 100 | 500): string {
  const base = basename(resolve(path)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || kind;
  return kind === 'ptbxl' && rate === 500 ? `${base}-500` : base;
}

const CHUNK = 16;

export async function importDataset(opts: ImportOptions): Promise<ImportReport> {
  const t0 = Date.now();
  const rate = opts.rate ?? 100;
  const listing = await listSource(opts.kind, opts.path, rate);
  const listMs = Date.now() - t0;
  const name = opts.name ?? defaultDatasetName(opts.kind, opts.path, opts.rate);
  const writer = createCacheWriter(datasetDir(name), { name, kind: opts.kind, source: resolve(opts.path), shardSize: opts.shardSize });
  for (const p of listing.problems) writer.fail(p.ref, p.file, p.problem);
  const todo = listing.records.filter((r) => !writer.has(r.id));
  const already = listing.records.length - todo.length;
  const total = listing.records.length;
  let done = already;
  opts.onProgress?.(done, total);

  const chunks: SourceRecord[][] = [];
  for (let i = 0; i < todo.length; i += CHUNK) chunks.push(todo.slice(i, i + CHUNK));
  const accept = (results: ChunkResult[]): void => {
    for (const r of results) {
      if (r.ok) writer.append(r.meta, r.signal);
      else writer.fail(r.ref, r.file, r.problem);
    }
    done += results.length;
    opts.onProgress?.(done, total);
  };

  const nWorkers = opts.workers ?? (todo.length >= 200 ? Math.max(1, availableParallelism()) : 0);
  let aborted = false;
  try {
    if (nWorkers > 0 && chunks.length > 1) {
      aborted = await runInWorkers(chunks, nWorkers, accept, opts.signal);
    } else {
      aborted = await runInProcess(chunks, accept, opts.signal);
    }
  } catch (err) {
    writer.checkpoint();
    throw err;
  }
  if (aborted) {
    writer.checkpoint();
    const e = new Error(`import of "${name}" aborted after ${done} of ${total} records; run it again to resume`);
    e.name = 'AbortError';
    throw e;
  }
  const report = await writer.finish();
  const totalMs = Date.now() - t0;
  report.skipped = already;
  report.durations = { listMs, importMs: totalMs - listMs, totalMs };
  report.recordsPerSecond = totalMs - listMs > 0 ? (report.added * 1000) / (totalMs - listMs) : 0;
  return report;
}

async function runInProcess(chunks: SourceRecord[][], accept: (r: ChunkResult[]) => void, signal?: AbortSignal): Promise<boolean> {
  if (chunks.some((c) => c.some((r) => r.recipe.reader === 'hdf5'))) await initHdf5();
  for (const chunk of chunks) {
    if (signal?.aborted) return true;
    accept(chunk.map((rec): ChunkResult => {
      try {
        return { ok: true, ...ingestRecord(rec) };
      } catch (err) {
        return { ok: false, ref: rec.ref, file: rec.file, problem: (err as Error).message ?? String(err) };
      }
    }));
    // Let timers, progress output and abort signals through between chunks.
    await new Promise((r) => setImmediate(r));
  }
  return false;
}

/**
 * Chunks go to workers as they free up; results are applied in chunk order so the cache layout does not depend
 * on timing. A worker that cannot start or dies sends its remaining work back to the main thread.
 */
async function runInWorkers(
  chunks: SourceRecord[][], n: number, accept: (r: ChunkResult[]) => void, signal?: AbortSignal,
): Promise<boolean> {
  const ready = new Map<number, ChunkResult[]>();
  let nextToApply = 0;
  let nextToSend = 0;
  let aborted = false;
  const retry: number[] = [];
  const apply = (): void => {
    while (ready.has(nextToApply)) {
      accept(ready.get(nextToApply)!);
      ready.delete(nextToApply);
      nextToApply++;
    }
  };
  const workerUrl = await importWorkerUrl();
  const runWorker = (): Promise<void> =>
    new Promise((resolveRun) => {
      let w: Worker;
      try {
        w = new Worker(workerUrl);
      } catch {
        resolveRun();
        return;
      }
      let current = -1;
      const sendNext = (): void => {
        if (signal?.aborted) aborted = true;
        if (aborted || nextToSend >= chunks.length) {
          current = -1;
          void w.terminate().then(() => resolveRun());
          return;
        }
        current = nextToSend++;
        w.postMessage({ chunk: current, records: chunks[current] });
      };
      w.on('message', (msg: { chunk: number; results: ChunkResult[] }) => {
        ready.set(msg.chunk, msg.results);
        apply();
        sendNext();
      });
      w.on('error', () => {
        if (current >= 0) retry.push(current);
        current = -1;
        resolveRun();
      });
      w.on('exit', () => {
        if (current >= 0) retry.push(current);
        current = -1;
        resolveRun();
      });
      sendNext();
    });
  await Promise.all(Array.from({ length: Math.min(n, chunks.length) }, runWorker));
  // Anything left (a worker failed to start or crashed): finish in-process, still in order.
  const left = [...retry, ...Array.from({ length: Math.max(0, chunks.length - nextToSend) }, (_, i) => nextToSend + i)];
  nextToSend = chunks.length;
  if (!aborted) {
    if (left.some((c) => chunks[c]!.some((r) => r.recipe.reader === 'hdf5'))) await initHdf5();
    for (const c of left.sort((a, b) => a - b)) {
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      ready.set(c, chunks[c]!.map((rec): ChunkResult => {
        try {
          return { ok: true, ...ingestRecord(rec) };
        } catch (err) {
          return { ok: false, ref: rec.ref, file: rec.file, problem: (err as Error).message ?? String(err) };
        }
      }));
      apply();
    }
  }
  apply();
  return aborted;
}
