/**
 * Pre-training's batches come from the data layer's streaming loader (main/data/loader.ts): its order is a pure
 * function of (seed, epoch), so a resumed run skips to its batch without reading the skipped ECGs. What is
 * training's own: whole batches only (dropLast), patient-aware order by default so that the patient-level InfoNCE
 * finds positives, and the seam through which tests and benchmarks feed other batches.
 */
import { createLoader, planEpoch, type PlanOptions } from '../data/loader.js';
import type { Batch, CachedDataset } from '../data/types.js';

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
