/**
 * Data-layer benchmark: PTB-XL 500 Hz import throughput (WFDB decode, resample, cache write) and loader throughput
 * from a 100,000-ECG cache made by replicating the real records (shards hard-linked, metadata rewritten with unique
 * ids), each beside a numpy/scipy baseline on the same records and cache size (bench/numpy_data.py: read, mV,
 * resample_poly, float32 memmap; and a float16 memmap loader). Ends with:
 * data: import_rps=<records/s> numpy_import_rps=<..> loader_eps=<ECGs/s> numpy_loader_eps=<..> loader_peak_mb=<MB>
 *
 * The loader runs one epoch as a plain consumer and one that recycles each batch when done with it; the data line
 * reports the latter (what a trainer that copies batches into tensors can do).
 *
 *   npx tsx bench/data.ts [--records 100000] [--batch 256] [--workers N] [--loader-workers N]
 */
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importDataset } from '../main/data/import.js';
import { openCache, readManifest, type CacheManifest } from '../main/data/cache.js';
import { datasetDir } from '../main/data/registry.js';
import { createLoader } from '../main/data/loader.js';
import type { RecordMeta } from '../main/data/types.js';

/** Runs bench/numpy_data.py; its last stdout line is JSON. */
function numpy(args: string[]): Record<string, number> {
  const r = spawnSync('python3', [join(import.meta.dirname, 'numpy_data.py'), ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`numpy baseline failed (python3-numpy and python3-scipy are needed): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { records: { type: 'string' }, batch: { type: 'string' }, workers: { type: 'string' }, 'loader-workers': { type: 'string' }, data: { type: 'string' } },
  });
  const loaderWorkers = values['loader-workers'] !== undefined ? Number(values['loader-workers']) : undefined;
  const target = Number(values.records ?? 100_000);
  const batchSize = Number(values.batch ?? 256);
  const shared = values.data ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'ptbxl');
  const ws = join(tmpdir(), `ecgfm-bench-data-${process.pid}`);
  process.env.ECGFM_WORKSPACE = ws;
  try {
    // 1. Import throughput.
    const rep = await importDataset({
      kind: 'ptbxl', path: shared, name: 'ptbxl-hr', rate: 500,
      workers: values.workers !== undefined ? Number(values.workers) : undefined,
    });
    const importRps = rep.added / (rep.durations.importMs / 1000);
    console.log(`import: ${rep.added} PTB-XL 500 Hz records in ${(rep.durations.importMs / 1000).toFixed(2)} s ` +
      `(listing ${rep.durations.listMs} ms) = ${importRps.toFixed(0)} records/s, ${rep.errors.length} errors`);
    const npyOut = join(ws, 'numpy-import.npy');
    const npImport = numpy(['import', shared, npyOut]);
    const numpyImportRps = npImport.records! / npImport.seconds!;
    console.log(`numpy import: ${npImport.records} records in ${npImport.seconds!.toFixed(2)} s = ${numpyImportRps.toFixed(0)} records/s (read, mV, resample_poly, float32 memmap; one process)`);

    // 2. A 100k cache from the real records.
    const srcDir = datasetDir('ptbxl-hr');
    const src = readManifest(srcDir);
    const dst = join(ws, 'datasets', 'replicated');
    mkdirSync(dst, { recursive: true });
    const srcMetas = src.shards.map((s) => JSON.parse(readFileSync(join(srcDir, s.meta), 'utf8')) as RecordMeta[]);
    const shards: CacheManifest['shards'] = [];
    let n = 0;
    for (let copy = 0; n < target; copy++) {
      for (let s = 0; s < src.shards.length && n < target; s++) {
        const shard = src.shards[s]!;
        if (n + shard.count > target) break;
        const base = `shard-${String(shards.length).padStart(5, '0')}`;
        linkSync(join(srcDir, shard.file), join(dst, `${base}.bin`));
        if (shard.scales) linkSync(join(srcDir, shard.scales), join(dst, `${base}.scale.bin`));
        const metas = srcMetas[s]!.map((m) => ({ ...m, id: `${m.id}#${copy}`, patientId: `${m.patientId}#${copy}` }));
        writeFileSync(join(dst, `${base}.meta.json`), JSON.stringify(metas));
        shards.push({ file: `${base}.bin`, meta: `${base}.meta.json`, count: shard.count, ...(shard.scales ? { scales: `${base}.scale.bin` } : {}) });
        n += shard.count;
      }
      if (copy > target) break;
    }
    writeFileSync(join(dst, 'manifest.json'), JSON.stringify({ ...src, name: 'replicated', shards, count: n }));
    const ds = openCache(dst);
    console.log(`loader: cache of ${ds.count} ECGs (${shards.length} shards, ${src.dtype} at ${src.scale} mV), batches of ${batchSize}`);

    // 3. Loader throughput: one full shuffled epoch each way; memory sampled every batch.
    // Warm the page cache and the id tables, as a training run's first epoch would.
    ds.identities();
    for (let i = 0; i < src.count; i++) ds.readSignal(i);
    const epoch = async (recycle: boolean): Promise<{ eps: number; peakMb: number }> => {
      const loader = createLoader(ds, { batchSize, seed: 1, workers: loaderWorkers });
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      let seen = 0;
      const t0 = performance.now();
      for await (const b of loader.epoch(0)) {
        seen += b.size;
        const rss = process.memoryUsage().rss;
        if (rss > peak) peak = rss;
        // A trainer that has copied the batch into its tensors hands the buffer back.
        if (recycle) loader.recycle(b);
      }
      const secs = (performance.now() - t0) / 1000;
      loader.close();
      console.log(`loader${recycle ? ' (recycling batches)' : ''}: ${seen} ECGs in ${secs.toFixed(2)} s = ${(seen / secs).toFixed(0)} ECGs/s; ` +
        `RSS ${(rss0 / 2 ** 20).toFixed(0)} MB before, peak ${(peak / 2 ** 20).toFixed(0)} MB`);
      return { eps: seen / secs, peakMb: peak / 2 ** 20 };
    };
    // The recycling epoch first, so that its peak is not inflated by the plain epoch's uncollected batches.
    const { eps, peakMb } = await epoch(true);
    await epoch(false);
    ds.close();
    // The same shape of work in numpy: the real records (held once, as the hard-linked shards are) indexed N times.
    const npLoader = numpy(['loader', npyOut, String(ds.count), String(batchSize)]);
    const numpyLoaderEps = npLoader.ecgs! / npLoader.seconds!;
    console.log(`numpy loader: ${npLoader.ecgs} ECGs in ${npLoader.seconds!.toFixed(2)} s = ${numpyLoaderEps.toFixed(0)} ECGs/s (float16 memmap, shuffled, float32 batches)`);
    console.log(`data: import_rps=${importRps.toFixed(0)} numpy_import_rps=${numpyImportRps.toFixed(0)} loader_eps=${eps.toFixed(0)} numpy_loader_eps=${numpyLoaderEps.toFixed(0)} loader_peak_mb=${peakMb.toFixed(0)}`);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
