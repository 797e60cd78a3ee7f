/**
 * Streaming loader: shuffled batches per epoch from (seed, epoch), prefetched ahead of the consumer, with memory
 * bounded by the batches in flight (prefetch + the one the consumer holds + at most prefetch + 1 recycled buffers)
 * whatever the dataset size. Batches of a sharded cache are read and converted to floats by a reader thread, so the
 * consumer's thread only receives finished buffers (transferred, not copied); the batches are the same bits as
 * readSignal gives. Patient-aware sampling keeps ECGs of one patient together in a batch (pairs), for
 * patient-level contrastive learning.
 */
import { Worker } from 'node:worker_threads';
import { ShardedCache } from './cache.js';
import { workerUrl } from './worker-entry.js';
import { batchBuffer, type LoaderReply, type LoaderRequest } from './loader-worker.js';
import { ECG_SIZE, type Batch, type CachedDataset, type LoaderOptions } from './types.js';
import { mulberry32 } from '../random.js';

export interface Loader {
  batchesPerEpoch: number;
  /**
   * The batches of an epoch. `startBatch` skips that many batches without reading them (a resumed run picks up
   * where it stopped: the order is planned from (seed, epoch) alone, so the rest is the same as without the stop).
   */
  epoch(epoch: number, opts?: EpochOptions): AsyncIterableIterator<Batch>;
  /**
   * Hand a batch back when done with it (its signals must not be read afterwards): its buffer is refilled for a
   * later batch instead of allocating and page-faulting 30 MB of fresh memory per batch of 256. Optional.
   */
  recycle(batch: Batch): void;
  /** Stop the reader threads now (idle ones never keep the process alive anyway). */
  close(): void;
}

export interface StreamOptions extends LoaderOptions {
  /**
   * Threads that read and convert batches of a sharded cache (default 1: one thread converts some 20k ECGs/s and
   * leaves the other cores to the trainer); 0 reads on the consumer's thread between its awaits. Other datasets
   * are always read on the consumer's thread.
   */
  workers?: number;
  /**
   * The batches of each epoch from elsewhere (the multi-source sampler, main/training/sampler.ts), instead of the
   * shuffled or patient-aware plan made here; it must be a pure function of the epoch, as planEpoch is.
   */
  planner?: BatchPlanner;
}

export interface BatchPlanner {
  batchesPerEpoch: number;
  plan(epoch: number): number[][];
}

export interface EpochOptions {
  startBatch?: number;
}

/** What decides an epoch's batches, besides the indices and their patients. */
export type PlanOptions = Pick<LoaderOptions, 'batchSize' | 'seed' | 'shuffle' | 'patientAware' | 'dropLast'>;

export const rng = mulberry32;

export function mixSeed(seed: number, epoch: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function shuffleInPlace<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

interface Identities {
  ids: (i: number) => string;
  patientIds: (i: number) => string;
}

function identities(ds: CachedDataset): Identities {
  const fast = (ds as { identities?: () => { ids: string[]; patientIds: string[] } }).identities;
  if (typeof fast === 'function') {
    const { ids, patientIds } = fast.call(ds);
    return { ids: (i) => ids[i]!, patientIds: (i) => patientIds[i]! };
  }
  return { ids: (i) => ds.meta(i).id, patientIds: (i) => ds.meta(i).patientId };
}

/** Units of one or two indices; a patient with ≥ 2 ECGs contributes pairs. */
export function patientUnits(indices: number[], pid: (i: number) => string, rand: () => number): number[][] {
  const byPatient = new Map<string, number[]>();
  for (const i of indices) {
    const p = pid(i);
    const list = byPatient.get(p);
    if (list) list.push(i);
    else byPatient.set(p, [i]);
  }
  const units: number[][] = [];
  for (const list of byPatient.values()) {
    shuffleInPlace(list, rand);
    let k = 0;
    for (; k + 1 < list.length; k += 2) units.push([list[k]!, list[k + 1]!]);
    if (k < list.length) units.push([list[k]!]);
  }
  return shuffleInPlace(units, rand);
}

/**
 * Fill batches in unit order without splitting a pair. A pair that meets a batch with one slot left gets that slot
 * plugged by a later single; failing that, a single already in the batch moves on to the next batch. So every batch
 * but the last is full and an epoch has exactly ceil(n / batchSize) batches. Only for an odd batch size with no
 * single left may a pair be split across two batches.
 */
export function packUnits(units: number[][], batchSize: number): number[][] {
  const batches: number[][] = [];
  const used = new Uint8Array(units.length);
  let tail = units.length - 1;
  const takeSingle = (): number | null => {
    while (tail >= 0 && (used[tail] || units[tail]!.length !== 1)) tail--;
    if (tail < 0) return null;
    used[tail] = 1;
    return units[tail]![0]!;
  };
  let cur: number[] = [];
  // Members of cur that came as singles (positions), so that one can move on when a pair needs the room.
  let singles: number[] = [];
  const close = (): void => {
    batches.push(cur);
    cur = [];
    singles = [];
  };
  for (let u = 0; u < units.length; u++) {
    if (used[u]) continue;
    used[u] = 1;
    const unit = units[u]!;
    if (batchSize === 1) {
      for (const i of unit) batches.push([i]);
      continue;
    }
    if (unit.length === 2 && cur.length === batchSize - 1) {
      const plug = takeSingle();
      if (plug !== null) {
        cur.push(plug);
        close();
      } else if (singles.length > 0) {
        const moved = cur.splice(singles.pop()!, 1)[0]!;
        cur.push(...unit);
        close();
        cur.push(moved);
        singles.push(0);
        continue;
      } else {
        cur.push(unit[0]!);
        close();
        cur.push(unit[1]!);
        singles.push(0);
        continue;
      }
    }
    if (unit.length === 1) singles.push(cur.length);
    cur.push(...unit);
    if (cur.length === batchSize) close();
  }
  if (cur.length) batches.push(cur);
  return batches;
}

/**
 * The batches (lists of `indices` members) of one epoch: a pure function of (seed, epoch) and the options, so
 * that any batch of any epoch can be found again without reading data. `patientId` is needed when patient-aware.
 */
export function planEpoch(indices: readonly number[], epoch: number, o: PlanOptions, patientId?: (i: number) => string): number[][] {
  const batchSize = Math.floor(o.batchSize);
  if (!(batchSize >= 1)) throw new Error(`batchSize must be ≥ 1 (got ${o.batchSize})`);
  const rand = rng(mixSeed(o.seed, epoch));
  let batches: number[][];
  if (o.patientAware) {
    if (!patientId) throw new Error('planEpoch: patient-aware batches need the patient of each index');
    batches = packUnits(patientUnits([...indices], patientId, rand), batchSize);
  } else {
    const order = (o.shuffle ?? true) ? shuffleInPlace([...indices], rand) : [...indices];
    batches = [];
    for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  }
  if (o.dropLast) batches = batches.filter((b) => b.length === batchSize);
  return batches;
}

type Pending = { resolve: (x: Float32Array) => void; reject: (e: Error) => void; indices: number[]; buffer: ArrayBuffer | null };

/**
 * Reader threads for one cache. Requests go to the least busy thread; a thread that fails hands its requests back
 * to the consumer's thread, which then reads everything itself. Threads are unref'd while idle.
 */
class ReaderPool {
  private threads: { worker: Worker; pending: Map<number, Pending> }[] = [];
  private starting: Promise<void> | null = null;
  private failed = false;
  private nextId = 0;

  constructor(private readonly ds: ShardedCache, private readonly size: number) {}

  read(indices: number[], buffer: ArrayBuffer | null): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject, indices, buffer };
      this.starting ??= this.start();
      void this.starting.then(() => this.dispatch(pending));
    });
  }

  close(): void {
    for (const t of this.threads) void t.worker.terminate();
    this.threads = [];
    this.failed = true;
  }

  private async start(): Promise<void> {
    try {
      const url = await workerUrl('loader-worker');
      for (let i = 0; i < this.size; i++) {
        const worker = new Worker(url, { execArgv: [] });
        const thread = { worker, pending: new Map<number, Pending>() };
        worker.on('message', (reply: LoaderReply) => {
          const p = thread.pending.get(reply.id);
          if (!p) return;
          thread.pending.delete(reply.id);
          if (thread.pending.size === 0) worker.unref();
          if ('error' in reply) p.reject(new Error(reply.error));
          else p.resolve(reply.signals);
        });
        const fail = (): void => {
          this.threads = this.threads.filter((t) => t !== thread);
          if (this.threads.length === 0) this.failed = true;
          for (const p of thread.pending.values()) this.dispatch(p);
          thread.pending.clear();
        };
        worker.on('error', fail);
        worker.on('exit', fail);
        worker.unref();
        worker.postMessage({ type: 'open', dir: this.ds.dir } satisfies LoaderRequest);
        this.threads.push(thread);
      }
    } catch {
      this.failed = true;
    }
  }

  private dispatch(p: Pending): void {
    if (this.failed || this.threads.length === 0) {
      setImmediate(() => {
        try {
          p.resolve(this.ds.readMany(p.indices, batchBuffer(p.indices.length, p.buffer)));
        } catch (err) {
          p.reject(err as Error);
        }
      });
      return;
    }
    let t = this.threads[0]!;
    for (const u of this.threads) if (u.pending.size < t.pending.size) t = u;
    const id = this.nextId++;
    t.pending.set(id, p);
    t.worker.ref();
    const msg: LoaderRequest = { type: 'read', id, indices: p.indices, buffer: p.buffer };
    t.worker.postMessage(msg, p.buffer ? [p.buffer] : []);
  }
}

/** Reads on the consumer's thread, on later macrotasks so that reading overlaps with the consumer's awaits. */
function readHere(ds: CachedDataset, indices: number[], buffer: ArrayBuffer | null): Promise<Float32Array> {
  return new Promise((resolve, reject) => setImmediate(() => {
    try {
      const signals = batchBuffer(indices.length, buffer);
      if (ds instanceof ShardedCache) ds.readMany(indices, signals);
      else indices.forEach((i, k) => ds.readSignal(i, signals.subarray(k * ECG_SIZE, (k + 1) * ECG_SIZE)));
      resolve(signals);
    } catch (err) {
      reject(err as Error);
    }
  }));
}

export function createLoader(ds: CachedDataset, opts: StreamOptions): Loader {
  const batchSize = Math.floor(opts.batchSize);
  if (!(batchSize >= 1)) throw new Error(`batchSize must be ≥ 1 (got ${opts.batchSize})`);
  const base = opts.indices ? [...opts.indices] : Array.from({ length: ds.count }, (_, i) => i);
  for (const i of base) if (!Number.isInteger(i) || i < 0 || i >= ds.count) throw new RangeError(`${ds.name}: index ${i} outside 0..${ds.count - 1}`);
  const dropLast = opts.dropLast ?? false;
  const nWorkers = ds instanceof ShardedCache ? Math.max(0, Math.floor(opts.workers ?? 1)) : 0;
  // Enough batches in flight to keep every reader busy while the consumer holds one.
  const prefetch = Math.max(1, opts.prefetch ?? Math.max(2, 2 * nWorkers));
  // Every batch but the last is full, patient-aware or not (see packUnits).
  const batchesPerEpoch = opts.planner?.batchesPerEpoch ?? (dropLast ? Math.floor(base.length / batchSize) : Math.ceil(base.length / batchSize));
  const pool = nWorkers > 0 ? new ReaderPool(ds as ShardedCache, nWorkers) : null;
  let ids: Identities | null = null;
  // Recycled batch buffers; no more than can be in use at once.
  const spare: ArrayBuffer[] = [];
  const fullBytes = batchSize * ECG_SIZE * 4;

  async function load(indices: number[]): Promise<Batch> {
    const buffer = spare.pop() ?? null;
    const signals = await (pool ? pool.read(indices, buffer) : readHere(ds, indices, buffer));
    ids ??= identities(ds);
    return {
      signals,
      size: indices.length,
      indices,
      ids: indices.map((i) => ids!.ids(i)),
      patientIds: indices.map((i) => ids!.patientIds(i)),
    };
  }

  return {
    batchesPerEpoch,
    close: () => pool?.close(),
    recycle(batch: Batch): void {
      const buf = batch.signals.buffer;
      if (buf instanceof ArrayBuffer && buf.byteLength === fullBytes && spare.length <= prefetch && !spare.includes(buf)) spare.push(buf);
    },
    epoch(epoch: number, { startBatch = 0 }: EpochOptions = {}): AsyncIterableIterator<Batch> {
      if (!Number.isInteger(startBatch) || startBatch < 0) throw new RangeError(`startBatch must be a whole number ≥ 0 (got ${startBatch})`);
      const batches = opts.planner ? opts.planner.plan(epoch) : planEpoch(base, epoch, opts, opts.patientAware ? (ids ??= identities(ds)).patientIds : undefined);
      let next = Math.min(startBatch, batches.length);
      const queue: Promise<Batch>[] = [];
      const fill = (): void => {
        while (queue.length < prefetch && next < batches.length) {
          const p = load(batches[next++]!);
          // A batch dropped by return() may still fail; that is nobody's error.
          p.catch(() => undefined);
          queue.push(p);
        }
      };
      const it: AsyncIterableIterator<Batch> = {
        async next(): Promise<IteratorResult<Batch>> {
          fill();
          const p = queue.shift();
          if (!p) return { done: true, value: undefined };
          const value = await p;
          fill();
          return { done: false, value };
        },
        async return(): Promise<IteratorResult<Batch>> {
          next = batches.length;
          queue.length = 0;
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return it;
        },
      };
      return it;
    },
  };
}
