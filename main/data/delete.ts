/** Removing a dataset: its cache folder goes, under the writer lock so that no import is writing into it. */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST } from './cache.js';
import { lockDataset } from './lock.js';
import { datasetDir } from './registry.js';

export class NoSuchDatasetError extends Error {}

export async function deleteDataset(name: string, opts: { noWait?: boolean; onWait?: (message: string) => void } = {}): Promise<{ name: string; path: string }> {
  const dir = datasetDir(name);
  if (!existsSync(join(dir, MANIFEST))) throw new NoSuchDatasetError(`no dataset named "${name}" in ${join(dir, '..')}`);
  const lock = await lockDataset(name, { purpose: 'delete', noWait: opts.noWait, onWait: opts.onWait });
  try {
    // The manifest goes first: a reader that opens the folder meanwhile finds no dataset rather than half of one.
    rmSync(join(dir, MANIFEST), { force: true });
    rmSync(dir, { recursive: true, force: true });
    return { name, path: dir };
  } finally {
    await lock.release();
  }
}
