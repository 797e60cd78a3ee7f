/**
 * The folders a dataset was imported from. A dataset grows from a second folder only when the import says
 * `append`; importing another folder under an existing name is refused, naming both, since silently pooling two
 * folders under one name hides where records came from. The manifest lists every folder with its record count, and
 * each record's metadata names its folder (`folder`, an index into the list; records of caches written before the
 * list existed belong to the first folder). Re-importing a listed folder resumes it, as before.
 */
import { existsSync, realpathSync } from 'node:fs';
import type { DatasetKind, ImportError } from './types.js';

export interface SourceFolder {
  /** The folder (or file) as imported, resolved; a description for generated data. */
  path: string;
  kind: DatasetKind;
  addedAt: string;
  updatedAt: string;
  /** Records of the cache that came from it. */
  records: number;
  /** Records it listed at its last import (null when not kept). */
  expected: number | null;
  /** False while its import runs or after one was stopped. */
  complete: boolean;
  errors: number;
}

export class SourceFolderError extends Error {}

export function newFolder(path: string, kind: DatasetKind, now: string): SourceFolder {
  return { path, kind, addedAt: now, updatedAt: now, records: 0, expected: null, complete: false, errors: 0 };
}

function canonical(p: string): string {
  try {
    return existsSync(p) ? realpathSync(p) : p;
  } catch {
    return p;
  }
}

export function sameSource(a: string, b: string): boolean {
  return a === b || canonical(a) === canonical(b);
}

interface ManifestPart {
  name: string;
  kind: DatasetKind;
  source: string | null;
  createdAt: string;
  updatedAt: string;
  count: number;
  expected?: number | null;
  complete: boolean;
  errors: ImportError[];
  sources?: SourceFolder[];
}

/** The manifest's folders; a cache from before the list holds one, its `source`. */
export function sourceFoldersOf(m: ManifestPart): SourceFolder[] {
  if (m.sources?.length) return m.sources.map((s) => ({ ...s }));
  if (m.source === null) return [];
  return [{
    path: m.source, kind: m.kind, addedAt: m.createdAt, updatedAt: m.updatedAt, records: m.count,
    expected: typeof m.expected === 'number' ? m.expected : null, complete: m.complete !== false, errors: m.errors.length,
  }];
}

/**
 * The position of `source` among the dataset's folders, adding it when `append` is set; refuses another folder
 * without `append`, naming both.
 */
export function folderFor(m: ManifestPart, source: string, append: boolean, now: string): { folders: SourceFolder[]; index: number; added: boolean } {
  const folders = sourceFoldersOf(m);
  const index = folders.findIndex((f) => sameSource(f.path, source));
  if (index >= 0) return { folders, index, added: false };
  if (!append) {
    const have = folders.length ? folders.map((f) => f.path).join(', ') : 'an unrecorded source';
    throw new SourceFolderError(
      `dataset "${m.name}" was imported from ${have}; ${source} is another folder. ` +
        'Add --append to extend the dataset with it (its records are added, the manifest lists both folders), or import it under another --name.',
    );
  }
  folders.push(newFolder(source, m.kind, now));
  return { folders, index: folders.length - 1, added: true };
}
