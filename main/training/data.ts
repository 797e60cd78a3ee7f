/**
 * The batch order of pre-training: a pure function of (seed, epoch), so a resumed run skips to its batch without
 * reading the skipped ECGs. Patient-aware order keeps each patient's ECGs together in one batch where they fit,
 * so that the patient-level InfoNCE finds positives.
 */
import { ECG_SIZE, type Batch, type CachedDataset } from '../data/types.js';
import { Rng } from '../ssl/rng.js';

export interface TrainingData {
  /** Records available for training. */
  readonly count: number;
  readonly batchesPerEpoch: number;
  /** The batches of an epoch, starting after `skip` batches. */
  epoch(epoch: number, skip: number): AsyncIterable<Batch>;
}

export interface OrderOptions {
  batchSize: number;
  seed: number;
  patientAware: boolean;
}

/** Record positions (into `patientIds`) of one epoch, a whole number of batches long. */
export function epochOrder(patientIds: string[], epoch: number, o: OrderOptions): number[] {
  const rng = new Rng((o.seed * 1_000_003 + epoch * 7_919 + 17) | 0);
  const nb = Math.floor(patientIds.length / o.batchSize);
  if (!o.patientAware) return rng.permutation(patientIds.length).slice(0, nb * o.batchSize);

  const groups = new Map<string, number[]>();
  patientIds.forEach((p, i) => {
    const g = groups.get(p);
    if (g) g.push(i);
    else groups.set(p, [i]);
  });
  // Units: one patient's ECGs (shuffled), in chunks of at most a batch; units in random order.
  const all = [...groups.values()];
  const queue: number[][] = [];
  for (const gi of rng.permutation(all.length)) {
    const g = all[gi]!;
    const shuffled = rng.permutation(g.length).map((k) => g[k]!);
    for (let k = 0; k < shuffled.length; k += o.batchSize) queue.push(shuffled.slice(k, k + o.batchSize));
  }
  // Fill each batch with whole units, looking a little ahead for one that fits; split a unit only when none does.
  const order: number[] = [];
  for (let j = 0; j < nb; j++) {
    let free = o.batchSize;
    while (free > 0 && queue.length > 0) {
      let pick = -1;
      for (let q = 0; q < Math.min(queue.length, 64); q++) {
        if (queue[q]!.length <= free) {
          pick = q;
          break;
        }
      }
      if (pick >= 0) {
        const unit = queue.splice(pick, 1)[0]!;
        order.push(...unit);
        free -= unit.length;
      } else {
        const unit = queue[0]!;
        order.push(...unit.splice(0, free));
        free = 0;
      }
    }
  }
  return order;
}

/** Batches over a standardised dataset (optionally a subset of its indices). */
export function datasetTrainingData(ds: CachedDataset, o: OrderOptions & { indices?: number[] | null }): TrainingData {
  const indices = o.indices ?? Array.from({ length: ds.count }, (_, i) => i);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) throw new Error(`Dataset ${ds.name}: index ${i} is out of range 0..${ds.count - 1}`);
  }
  const metas = indices.map((i) => ds.meta(i));
  const patientIds = metas.map((m) => m.patientId);
  const batchesPerEpoch = Math.floor(indices.length / o.batchSize);
  if (batchesPerEpoch < 1) {
    throw new Error(`Dataset ${ds.name} has ${indices.length} records, fewer than one batch of ${o.batchSize}: lower the batch size`);
  }
  return {
    count: indices.length,
    batchesPerEpoch,
    async *epoch(epoch: number, skip: number): AsyncIterable<Batch> {
      const order = epochOrder(patientIds, epoch, o);
      for (let j = skip; j < batchesPerEpoch; j++) {
        const pos = order.slice(j * o.batchSize, (j + 1) * o.batchSize);
        const signals = new Float32Array(pos.length * ECG_SIZE);
        pos.forEach((p, k) => {
          const slot = signals.subarray(k * ECG_SIZE, (k + 1) * ECG_SIZE);
          const got = ds.readSignal(indices[p]!, slot);
          if (got !== slot) slot.set(got);
        });
        yield {
          signals,
          size: pos.length,
          indices: pos.map((p) => indices[p]!),
          ids: pos.map((p) => metas[p]!.id),
          patientIds: pos.map((p) => patientIds[p]!),
        };
        // Let pause/cancel messages in between batches.
        await new Promise<void>((r) => setImmediate(r));
      }
    },
  };
}
