/** The datasets of the workspace: `<workspace>/datasets/<name>/` each holding a sharded cache. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceDir, workspacePath } from '../workspace.js';
import { MANIFEST, openCache, readManifest, type ShardedCache } from './cache.js';
import type { DatasetSummary } from './types.js';
import { sourceFoldersOf } from './source-folders.js';

export function datasetsDir(): string {
  return workspacePath('datasets');
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkDatasetName(name: string): string {
  if (!NAME_RE.test(name)) throw new Error(`invalid dataset name "${name}": use letters, digits, '.', '_' or '-' (max 64)`);
  return name;
}

export function datasetDir(name: string): string {
  return join(datasetsDir(), checkDatasetName(name));
}

export function listDatasets(): DatasetSummary[] {
  const root = join(workspaceDir(), 'datasets');
  if (!existsSync(root)) return [];
  const out: DatasetSummary[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !existsSync(join(root, entry.name, MANIFEST))) continue;
    try {
      const m = readManifest(join(root, entry.name));
      out.push({
        name: m.name, kind: m.kind, count: m.count, patients: m.patients, labelPrevalence: m.labelPrevalence,
        createdAt: m.createdAt, path: join(root, entry.name), complete: m.complete !== false,
        expected: typeof m.expected === 'number' ? m.expected : null, quality: m.qualityCounts ?? {}, sources: sourceFoldersOf(m),
      });
    } catch {
      // A half-written or foreign folder is not a dataset; `datasets list` shows only readable caches.
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** "complete", or "incomplete (N of M)" for an import that did not finish. */
export function datasetState(d: Pick<DatasetSummary, 'complete' | 'count' | 'expected'>): string {
  if (d.complete) return 'complete';
  return d.expected !== null ? `incomplete (${d.count} of ${d.expected})` : `incomplete (${d.count} so far)`;
}

export function openDataset(name: string): ShardedCache {
  const dir = join(workspaceDir(), 'datasets', checkDatasetName(name));
  if (!existsSync(join(dir, MANIFEST))) {
    const known = listDatasets().map((d) => d.name);
    throw new Error(`no dataset named "${name}" in ${join(workspaceDir(), 'datasets')}` +
      (known.length ? ` (have: ${known.join(', ')})` : ' (import one with `ecgfm datasets import`)'));
  }
  return openCache(dir);
}
