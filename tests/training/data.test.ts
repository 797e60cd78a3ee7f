/** Pre-training reads its batches through the data layer's loader; a resumed epoch starts at its batch. */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { openDataset } from '../../main/data/registry.js';
import { ShardedCache } from '../../main/data/cache.js';
import { ECG_SIZE } from '../../main/data/types.js';
import { datasetTrainingData } from '../../main/training/data.js';
import { createLoader } from '../../main/data/loader.js';
import { patientRichSubset, ptbxlWorkspace } from './ptbxl.js';

describe('training data', () => {
  let indices: number[] = [];
  beforeAll(async () => {
    await ptbxlWorkspace();
    indices = patientRichSubset(64);
  });

  it('startBatch gives the rest of the same epoch without reading the skipped ECGs', async () => {
    const ds = openDataset('ptbxl');
    expect(ds).toBeInstanceOf(ShardedCache);
    const opts = { batchSize: 8, seed: 4, patientAware: true, indices, dropLast: true, workers: 0 };
    const full: number[][] = [];
    for await (const b of createLoader(ds, opts).epoch(3)) full.push(b.indices);
    expect(full).toHaveLength(8);

    const read = vi.spyOn(ds as ShardedCache, 'readMany');
    const loader = createLoader(ds, opts);
    const rest: { indices: number[]; first: number[] }[] = [];
    for await (const b of loader.epoch(3, { startBatch: 5 })) {
      rest.push({ indices: b.indices, first: Array.from(b.signals.subarray(0, 8)) });
      loader.recycle(b);
    }
    expect(rest.map((r) => r.indices)).toEqual(full.slice(5));
    expect(read.mock.calls.map((c) => c[0])).toEqual(full.slice(5));
    expect(rest[2]!.first).toEqual(Array.from(ds.readSignal(full[7]![0]!).subarray(0, 8)));
    const none: unknown[] = [];
    for await (const b of loader.epoch(3, { startBatch: 8 })) none.push(b);
    expect(none).toEqual([]);
    expect(() => loader.epoch(3, { startBatch: -1 })).toThrow(/startBatch/);
    read.mockRestore();
  });

  it('gives whole batches only, and says when the subset is smaller than one batch', async () => {
    const ds = openDataset('ptbxl');
    const data = datasetTrainingData(ds, { batchSize: 24, seed: 1, patientAware: true, indices });
    expect(data.batchesPerEpoch).toBe(2);
    const sizes: number[] = [];
    for await (const b of data.epoch(0, 0)) {
      expect(b.signals.length).toBe(b.size * ECG_SIZE);
      sizes.push(b.size);
      data.recycle?.(b);
    }
    data.close?.();
    expect(sizes).toEqual([24, 24]);
    expect(() => datasetTrainingData(ds, { batchSize: 24, seed: 1, patientAware: true, indices: indices.slice(0, 10) })).toThrow(/fewer than one batch of 24/);
    // No records at all: advice about the batch size would mislead.
    let empty: unknown;
    try {
      datasetTrainingData(ds, { batchSize: 24, seed: 1, patientAware: true, indices: [] });
    } catch (err) {
      empty = err;
    }
    expect(String(empty)).toMatch(/has no records: nothing to train on/);
    expect(String(empty)).not.toMatch(/batch size/);
  });
});
