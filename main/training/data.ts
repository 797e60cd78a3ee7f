/**
 * Pre-training's batches come from the data layer's streaming loader (main/data/loader.ts): its order is a pure
 * function of (seed, epoch), so a resumed run skips to its batch without reading the skipped ECGs. What is
 * training's own: whole batches only (dropLast), patient-aware order by default so that the patient-level InfoNCE
 * finds positives, and the seam through which tests and benchmarks feed other batches. Several datasets (or one
 * with a stated patient-pair rate) are read as one union and batched by the multi-source sampler (sampler.ts).
 */
import { createLoader, planEpoch, type PlanOptions } from '../data/loader.js';
import type { Batch, CachedDataset, RecordMeta } from '../data/types.js';
import { sourceSampler } from './sampler.js';

export interface TrainingData {
  /** Records available for training. */
  readonly count: number;
  readonly batchesPerEpoch: number;
  /** The batches of an epoch, starting after `skip` batches. */
  epoch(epoch: number, skip: number): AsyncIterable<Batch>;
  /** Take back a batch whose signals are no longer needed (their buffer is reused). */
  recycle?(batch: Batch): void;
  close?(): void;
}

export interface OrderOptions {
  batchSize: number;
  seed: number;
  patientAware: boolean;
}

const planOptions = (o: OrderOptions): PlanOptions => ({ ...o, shuffle: true, dropLast: true });

/** Record positions (into `patientIds`) of one epoch in training order, a whole number of batches long. */
export function epochOrder(patientIds: string[], epoch: number, o: OrderOptions): number[] {
  return planEpoch(patientIds.map((_, i) => i), epoch, planOptions(o), (i) => patientIds[i]!).flat();
}

/** Batches over a standardised dataset (optionally a subset of its indices). */
export function datasetTrainingData(ds: CachedDataset, o: OrderOptions & { indices?: number[] | null }): TrainingData {
  const loader = createLoader(ds, { ...planOptions(o), indices: o.indices ?? undefined });
  const count = o.indices?.length ?? ds.count;
  if (count === 0) {
    // Advice about the batch size would mislead: nothing can be trained on an empty dataset.
    throw new Error(`Dataset ${ds.name} has no records: nothing to train on. Import ECGs into it again, or choose another dataset.`);
  }
  if (loader.batchesPerEpoch < 1) {
    throw new Error(`Dataset ${ds.name} has ${count} records, fewer than one batch of ${o.batchSize}: lower the batch size`);
  }
  return {
    count,
    batchesPerEpoch: loader.batchesPerEpoch,
    epoch: (epoch, skip) => loader.epoch(epoch, { startBatch: skip }),
    recycle: (batch) => loader.recycle(batch),
    close: () => loader.close(),
  };
}

/** One dataset of a multi-source run, with the records the science rule and the quality filter left it. */
export interface TrainingSource {
  ds: CachedDataset;
  indices: number[];
  /** Relative weight, or null for proportional sampling (then null for every source). */
  weight: number | null;
}

export interface SourcesOptions extends OrderOptions {
  /** Fraction of batches guaranteed to hold `pairsPerBatch` pairs of ECGs of one patient. */
  patientPairRate: number;
  pairsPerBatch: number;
}

/** What a run needs to know about its sources besides the batches: which source a batch member came from. */
export interface SourceInfo {
  names: string[];
  /** The source (position in `names`) of a batch member's index. */
  sourceOf(index: number): number;
  shares: number[];
  quotas: number[];
  notes: string[];
}

export type SourcedTrainingData = TrainingData & { sources: SourceInfo };

/**
 * Several datasets read as one: index = the dataset's offset + its own index. Patient ids are prefixed with the
 * dataset's name, since two datasets' patient "17" are two people; a record without one is its own patient.
 */
export class SourceUnion implements CachedDataset {
  readonly name: string;
  readonly dir: string;
  readonly kind: CachedDataset['kind'];
  readonly count: number;
  readonly labelNames: string[];
  private readonly offsets: number[] = [];
  private idCache: { ids: string[]; patientIds: string[] } | null = null;

  constructor(readonly parts: readonly CachedDataset[]) {
    let n = 0;
    for (const p of parts) {
      this.offsets.push(n);
      n += p.count;
    }
    this.count = n;
    this.name = parts.map((p) => p.name).join('+');
    this.dir = parts[0]!.dir;
    this.kind = parts[0]!.kind;
    this.labelNames = [...new Set(parts.flatMap((p) => p.labelNames))];
  }

  offsetOf(part: number): number {
    return this.offsets[part]!;
  }

  partOf(index: number): number {
    let lo = 0;
    let hi = this.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private local(index: number): [CachedDataset, number] {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`${this.name}: record index ${index} outside 0..${this.count - 1}`);
    const p = this.partOf(index);
    return [this.parts[p]!, index - this.offsets[p]!];
  }

  meta(index: number): RecordMeta {
    const [ds, i] = this.local(index);
    const m = ds.meta(i);
    return { ...m, patientId: `${ds.name}/${m.patientId || `r:${m.id}`}` };
  }

  readSignal(index: number, out?: Float32Array): Float32Array {
    const [ds, i] = this.local(index);
    return ds.readSignal(i, out);
  }

  /** Ids and prefixed patient ids of every record (the loader's fast path). */
  identities(): { ids: string[]; patientIds: string[] } {
    if (this.idCache) return this.idCache;
    const ids: string[] = [];
    const patientIds: string[] = [];
    for (const ds of this.parts) {
      const fast = (ds as { identities?: () => { ids: string[]; patientIds: string[] } }).identities;
      const own = typeof fast === 'function' ? fast.call(ds) : null;
      for (let i = 0; i < ds.count; i++) {
        const id = own ? own.ids[i]! : ds.meta(i).id;
        const pid = own ? own.patientIds[i]! : ds.meta(i).patientId;
        ids.push(id);
        patientIds.push(`${ds.name}/${pid || `r:${id}`}`);
      }
    }
    this.idCache = { ids, patientIds };
    return this.idCache;
  }
}

/**
 * Batches drawn from several datasets (or one, when a patient-pair rate is asked for) by the multi-source sampler:
 * per-source weights or proportional sampling, patient pairs at a stated rate (main/training/sampler.ts).
 */
export function sourcesTrainingData(sources: readonly TrainingSource[], o: SourcesOptions): SourcedTrainingData {
  const union = new SourceUnion(sources.map((s) => s.ds));
  const { patientIds } = union.identities();
  const sampler = sourceSampler(
    sources.map((s, k) => ({ name: s.ds.name, positions: s.indices.map((i) => i + union.offsetOf(k)), weight: s.weight })),
    (p) => patientIds[p]!,
    o,
  );
  const loader = createLoader(union, { ...planOptions(o), planner: sampler, indices: [] });
  return {
    count: sources.reduce((a, s) => a + s.indices.length, 0),
    batchesPerEpoch: sampler.batchesPerEpoch,
    epoch: (epoch, skip) => loader.epoch(epoch, { startBatch: skip }),
    recycle: (batch) => loader.recycle(batch),
    close: () => loader.close(),
    sources: {
      names: sources.map((s) => s.ds.name),
      sourceOf: (index) => union.partOf(index),
      shares: sampler.shares,
      quotas: sampler.quotas,
      notes: sampler.notes,
    },
  };
}
