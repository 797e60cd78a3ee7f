/**
 * `importDataset`: list a source with its adapter, standardise every record (in worker threads when it pays),
 * and append to the sharded cache in source order, holding the dataset's writer lock throughout. Per-record
 * problems go to the report; the import goes on. An import that imports nothing into a new name leaves no dataset.
 */
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { createCacheWriter, MANIFEST, readManifest } from './cache.js';
import { folderFor } from './source-folders.js';
import { lockDataset } from './lock.js';
import { datasetDir } from './registry.js';
import { ingestRecord } from './ingest.js';
import { workerUrl as dataWorkerUrl } from './worker-entry.js';
import { initHdf5 } from './hdf5/read.js';
import { ptbxlListing } from './adapters/ptbxl.js';
import { mimicListing } from './adapters/mimic.js';
import { wfdbFolderListing } from './adapters/wfdb-folder.js';
import { code15Listing, samitropListing } from './adapters/code15.js';
import { ecgFilesListing } from './adapters/ecg-files.js';
import { joinSidecar, type SidecarOptions } from './adapters/sidecar.js';
import type { SourceListing, SourceRecord } from './adapters/source.js';
import { DATASET_KINDS, type DatasetKind, type ImportReport, type RecordMeta } from './types.js';

export type ChunkResult =
  | { ok: true; ref: string; file: string; meta: RecordMeta; signal: Float32Array }
  | { ok: false; ref: string; file: string; problem: string };

export interface ImportOptions {
  kind: DatasetKind;
  path: string;
  name?: string;
  rate?: 100 | 500;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Worker threads (default: one per core when there are ≥ 2000 records to do, else 0 = in-process). */
  workers?: number;
  /** Records per shard of a new cache. */
  shardSize?: number;
  /** Seconds per window for long records (hospital formats). */
  window?: number;
  /** Labels and fields from a CSV sidecar joined on an id column. */
  labels?: SidecarOptions;
  /** Fail at once when another writer holds the dataset (default: wait for it). */
  noWait?: boolean;
  /** Told once when the import waits for another writer of the dataset. */
  onWait?: (message: string) => void;
  /** Extend an existing dataset with records of another folder (without it, another folder is refused). */
  append?: boolean;
}

/** How a source is listed beyond its kind: windows for long records, a labels sidecar. */
export interface ListOptions {
  /** Cut records longer than this many seconds into windows (hospital formats). */
  window?: number;
  labels?: SidecarOptions;
}

async function listByKind(kind: DatasetKind, path: string, rate: 100 | 500, opts: ListOptions): Promise<SourceListing> {
  switch (kind) {
    case 'ptbxl': return ptbxlListing(path, rate);
    case 'wfdb': return wfdbFolderListing(path);
    case 'mimic-iv-ecg': return mimicListing(path);
    case 'code15': return code15Listing(path);
    case 'samitrop': return samitropListing(path);
    case 'ecg-files': return ecgFilesListing(path, { window: opts.window });
    case 'synthetic': break;
    default: return ecgFilesListing(path, { format: kind, window: opts.window });
  }
  throw new Error(`cannot import kind "${kind}" (use ${DATASET_KINDS.filter((k) => k !== 'synthetic').join(', ')})`);
}

export async function listSource(kind: DatasetKind, path: string, rate: 100 | 500 = 100, opts: ListOptions = {}): Promise<SourceListing> {
  const listing = await listByKind(kind, path, rate, opts);
  if (opts.labels) listing.sidecar = joinSidecar(listing, opts.labels);
  return listing;
}

export function defaultDatasetName(kind: DatasetKind, path: string, rate?: 100 | 500): string {
  const base = basename(resolve(path)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || kind;
  return kind === 'ptbxl' && rate === 500 ? `${base}-500` : base;
}

const CHUNK = 16;
/** Records to do before an import uses worker threads by default. */
const WORKERS_FROM = 2000;

export async function importDataset(opts: ImportOptions): Promise<ImportReport> {
  const t0 = Date.now();
  const rate = opts.rate ?? 100;
  // When workers are asked for, start bundling their entry now: esbuild runs in its own process while the source
  // is listed. By default the record count decides (below), and an in-process import must not pay for a bundle
  // it never uses: on 2 busy cores the esbuild process and its IPC cost a 500-record import about 5%.
  if (opts.workers !== undefined && opts.workers > 0) void dataWorkerUrl('import-worker');
  const name0 = opts.name ?? defaultDatasetName(opts.kind, opts.path, opts.rate);
  // Refuse another folder before listing it (listing a large source takes a while); the writer checks again under the lock.
  const dir0 = datasetDir(name0);
  if (existsSync(join(dir0, MANIFEST))) folderFor(readManifest(dir0), resolve(opts.path), opts.append ?? false, new Date().toISOString());
  const listing = await listSource(opts.kind, opts.path, rate, { window: opts.window, labels: opts.labels });
  const listMs = Date.now() - t0;
  const name = name0;
  const lock = await lockDataset(name, { purpose: `import of ${resolve(opts.path)}`, noWait: opts.noWait, onWait: opts.onWait, signal: opts.signal });
  try {
    return await importLocked(opts, listing, name, rate, t0, listMs, lock);
  } finally {
    await lock.release();
  }
}

/** Every record id once: a later row with an id already listed is reported, not silently skipped. */
function distinctRecords(listing: SourceListing): { records: SourceRecord[]; duplicates: SourceListing['problems'] } {
  const first = new Map<string, SourceRecord>();
  const duplicates: SourceListing['problems'] = [];
  for (const r of listing.records) {
    const seen = first.get(r.id);
    if (seen) duplicates.push({ ref: r.ref, file: r.file, problem: `duplicate id "${r.id}": an earlier record of the source has it too; only the first is imported` });
    else first.set(r.id, r);
  }
  return { records: [...first.values()], duplicates };
}

async function importLocked(
  opts: ImportOptions, listing: SourceListing, name: string, rate: 100 | 500, t0: number, listMs: number,
  lock: { readonly compromised: Error | null },
): Promise<ImportReport> {
  const { records, duplicates } = distinctRecords(listing);
  const writer = createCacheWriter(datasetDir(name), {
    name, kind: opts.kind, source: resolve(opts.path), shardSize: opts.shardSize, expected: records.length,
    folder: { path: resolve(opts.path), append: opts.append ?? false },
  });
  for (const p of [...listing.problems, ...duplicates]) writer.fail(p.ref, p.file, p.problem);
  const todo = records.filter((r) => !writer.has(r.id));
  const already = records.length - todo.length;
  const total = records.length;
  let done = already;
  opts.onProgress?.(done, total);

  const chunks: SourceRecord[][] = [];
  for (let i = 0; i < todo.length; i += CHUNK) chunks.push(todo.slice(i, i + CHUNK));
  const accept = (results: ChunkResult[]): void => {
    if (lock.compromised) throw new Error(`lost the writer lock on "${name}" (${lock.compromised.message}); run the import again to resume`);
    for (const r of results) {
      if (!r.ok) {
        writer.fail(r.ref, r.file, r.problem);
        continue;
      }
      try {
        writer.append(r.meta, r.signal);
      } catch (err) {
        writer.fail(r.ref, r.file, (err as Error).message);
      }
    }
    done += results.length;
    opts.onProgress?.(done, total);
  };

  // A worker's start-up and JIT warm-up cost about as much CPU as a few hundred records, and on a busy 2-core machine
  // a 500-record import ran fastest in-process (also against the main thread working alongside one worker, which
  // took about 0.5 ms more CPU a record and finished later); threads pay off from a couple of thousand records.
  const nWorkers = opts.workers ?? (todo.length >= WORKERS_FROM ? Math.max(1, availableParallelism()) : 0);
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
  if (listing.sidecar) report.sidecar = listing.sidecar;
  return report;
}

function ingestChunk(chunk: SourceRecord[]): ChunkResult[] {
  return chunk.map((rec): ChunkResult => {
    try {
      return { ok: true, ref: rec.ref, file: rec.file, ...ingestRecord(rec) };
    } catch (err) {
      return { ok: false, ref: rec.ref, file: rec.file, problem: (err as Error).message ?? String(err) };
    }
  });
}

const yieldToEvents = (): Promise<void> => new Promise((r) => setImmediate(r));

async function runInProcess(chunks: SourceRecord[][], accept: (r: ChunkResult[]) => void, signal?: AbortSignal): Promise<boolean> {
  if (chunks.some((c) => c.some((r) => r.recipe.reader === 'hdf5'))) await initHdf5();
  for (const chunk of chunks) {
    if (signal?.aborted) return true;
    accept(ingestChunk(chunk));
    // Let timers, progress output and abort signals through between chunks.
    await yieldToEvents();
  }
  return false;
}

/** Chunks a worker holds at once: the next one is already there when it posts a result, so it never waits on us. */
const IN_FLIGHT = 2;

/**
 * Chunks go to workers as they free up; results are applied in chunk order so the cache layout does not depend
 * on timing. Until the first worker is up, the main thread works through chunks itself, so starting workers costs
 * no wall time. A worker that cannot start or dies hands its chunks back; whatever is left is done in-process.
 */
async function runInWorkers(
  chunks: SourceRecord[][], n: number, accept: (r: ChunkResult[]) => void, signal?: AbortSignal,
): Promise<boolean> {
  const ready = new Map<number, ChunkResult[]>();
  let nextToApply = 0;
  let nextToSend = 0;
  let aborted = false;
  let workersUp = 0;
  const retry: number[] = [];
  // Resolves the main thread's wait when a worker comes up, posts a result or exits.
  let wake: () => void = () => {};
  const nextEvent = (): Promise<void> => new Promise((r) => { wake = r; });
  const apply = (): void => {
    while (ready.has(nextToApply)) {
      accept(ready.get(nextToApply)!);
      ready.delete(nextToApply);
      nextToApply++;
    }
  };
  const takeChunk = (): number => {
    if (signal?.aborted) aborted = true;
    if (aborted) return -1;
    if (retry.length) return retry.shift()!;
    return nextToSend < chunks.length ? nextToSend++ : -1;
  };
  const entry = dataWorkerUrl('import-worker');
  const runWorker = async (): Promise<void> => {
    const url = await entry;
    return new Promise((resolveRun) => {
      let w: Worker;
      try {
        w = new Worker(url, { execArgv: [] });
      } catch {
        resolveRun();
        return;
      }
      const held = new Set<number>();
      let up = false;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        if (up) workersUp--;
        retry.push(...held);
        held.clear();
        resolveRun();
        wake();
      };
      const topUp = (): void => {
        while (held.size < IN_FLIGHT) {
          const c = takeChunk();
          if (c < 0) break;
          held.add(c);
          w.postMessage({ chunk: c, records: chunks[c] });
        }
        if (held.size === 0) void w.terminate();
      };
      w.on('online', () => {
        up = true;
        workersUp++;
        wake();
      });
      w.on('message', (msg: { chunk: number; results: ChunkResult[] }) => {
        held.delete(msg.chunk);
        ready.set(msg.chunk, msg.results);
        apply();
        topUp();
        wake();
      });
      w.on('error', finish);
      w.on('exit', finish);
      topUp();
    });
  };
  const running = Promise.all(Array.from({ length: Math.min(n, chunks.length) }, runWorker));
  if (chunks.some((c) => c.some((r) => r.recipe.reader === 'hdf5'))) await initHdf5();
  // The main thread takes chunks while no worker is up yet, and at the end picks up anything handed back.
  let settled = false;
  void running.then(() => {
    settled = true;
    wake();
  });
  while (!settled) {
    const c = workersUp === 0 ? takeChunk() : -1;
    if (c >= 0) {
      ready.set(c, ingestChunk(chunks[c]!));
      apply();
      await yieldToEvents();
    } else {
      await nextEvent();
    }
  }
  await running;
  for (let c = takeChunk(); c >= 0; c = takeChunk()) {
    ready.set(c, ingestChunk(chunks[c]!));
    apply();
  }
  apply();
  return aborted;
}
