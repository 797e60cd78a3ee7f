/** Where tests find the real ECGs (read in place, never copied) and where they write. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED_DATA = process.env.ECGFM_SHARED_DATA ?? join(REPO_ROOT, '..', 'shared', 'data');

/** A path under ../shared/data; fails loudly when the folder is absent, so a test never passes vacuously. */
export function sharedData(...parts: string[]): string {
  const p = join(SHARED_DATA, ...parts);
  if (!existsSync(p)) throw new Error(`Test data missing: ${p} (expected ../shared/data beside the repository)`);
  return p;
}

/** A fresh temporary workspace folder. */
export function tempWorkspace(prefix = 'ecgfm-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
