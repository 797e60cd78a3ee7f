/**
 * Streaming loader: shuffled batches per epoch from (seed, epoch), prefetched ahead of the consumer, with memory
 * bounded by (prefetch + 1) batches whatever the dataset size. Patient-aware sampling keeps ECGs of one patient
 * together in a batch (pairs), for patient-level contrastive learning.
 */
import { ECG_SIZE, type Batch, type CachedDataset, type LoaderOptions } from './types.js';

export interface Loader {
  batchesPerEpoch: number;
  epoch(epoch: number): AsyncIterableIterator<Batch>;
}

/** mulberry32: small, fast, good enough for shuffling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mixSeed(seed: number, epoch: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function shuffleInPlace<T>(a: T[], rand: () => number): T[] {
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
function patientUnits(indices: number[], pid: (i: number) => string, rand: () => number): number[][] {
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

/** Fill batches in unit order without splitting a pair; a later single plugs a last odd slot. */
function packUnits(units: number[][], batchSize: number): number[][] {
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
  for (let u = 0; u < units.length; u++) {
    if (used[u]) continue;
    used[u] = 1;
    const unit = units[u]!;
    if (batchSize === 1) {
      for (const i of unit) batches.push([i]);
      continue;
    }
    if (unit.length === 2 && cur.length === batchSize - 1) {
      const s = takeSingle();
      if (s !== null) cur.push(s);
      batches.push(cur);
      cur = [];
    }
    cur.push(...unit);
    if (cur.length === batchSize) {
      batches.push(cur);
      cur = [];
    }
  }
  if (cur.length) batches.push(cur);
  return batches;
}

export function createLoader(ds: CachedDataset, opts: LoaderOptions): Loader {
  const batchSize = Math.floor(opts.batchSize);
  if (!(batchSize >= 1)) throw new Error(`batchSize must be ≥ 1 (got ${opts.batchSize})`);
  const base = opts.indices ? [...opts.indices] : Array.from({ length: ds.count }, (_, i) => i);
  for (const i of base) if (!Number.isInteger(i) || i < 0 || i >= ds.count) throw new RangeError(`${ds.name}: index ${i} outside 0..${ds.count - 1}`);
  const shuffle = opts.shuffle ?? true;
  const dropLast = opts.dropLast ?? false;
  const prefetch = Math.max(1, opts.prefetch ?? 2);
  const batchesPerEpoch = dropLast ? Math.floor(base.length / batchSize) : Math.ceil(base.length / batchSize);
  let ids: Identities | null = null;

  function plan(epoch: number): number[][] {
    const rand = rng(mixSeed(opts.seed, epoch));
    let batches: number[][];
    if (opts.patientAware) {
      ids ??= identities(ds);
      const pid = ids.patientIds;
      const units = patientUnits(shuffle ? base : [...base], pid, rand);
      batches = packUnits(units, batchSize);
    } else {
      const order = shuffle ? shuffleInPlace([...base], rand) : base;
      batches = [];
      for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
    }
    if (dropLast) batches = batches.filter((b) => b.length === batchSize);
    return batches;
  }

  function load(indices: number[]): Batch {
    ids ??= identities(ds);
    const signals = new Float32Array(indices.length * ECG_SIZE);
    // Read in storage order (sequential within shards), place in batch order.
    const order = indices.map((_, k) => k).sort((a, b) => indices[a]! - indices[b]!);
    for (const k of order) ds.readSignal(indices[k]!, signals.subarray(k * ECG_SIZE, (k + 1) * ECG_SIZE));
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
    epoch(epoch: number): AsyncIterableIterator<Batch> {
      const batches = plan(epoch);
      let next = 0;
      const queue: Promise<Batch>[] = [];
      // Batches are read on later macrotasks, so reading overlaps with the consumer's awaits.
      const fill = (): void => {
        while (queue.length < prefetch && next < batches.length) {
          const b = batches[next++]!;
          queue.push(new Promise((resolveB, reject) => setImmediate(() => {
            try {
              resolveB(load(b));
            } catch (err) {
              reject(err as Error);
            }
          })));
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
