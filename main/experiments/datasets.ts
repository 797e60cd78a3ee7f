/** Records a workspace dataset in the store (source, path, manifest hash, counts) so runs and reports can cite it. */
import { join } from 'node:path';
import { readManifest } from '../data/cache.js';
import { datasetDir } from '../data/registry.js';
import type { Store } from '../store/store.js';
import type { DatasetRecord } from '../store/types.js';

export async function recordDataset(store: Store, name: string): Promise<DatasetRecord> {
  const dir = datasetDir(name);
  const manifest = readManifest(dir);
  const hash = (await store.recordArtifact({ path: join(dir, 'manifest.json'), kind: 'dataset-manifest' })).sha256;
  store.upsertDataset({
    name,
    kind: manifest.kind,
    source: manifest.source ?? '',
    path: dir,
    manifestHash: hash,
    records: manifest.count,
    patients: manifest.patients,
    labels: Object.fromEntries(Object.entries(manifest.labelPrevalence).map(([k, v]) => [k, v.count])),
  });
  return store.listDatasets().find((d) => d.name === name)!;
}
