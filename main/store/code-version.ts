/** The code version every run records: the product version plus the git commit when the code runs from a clone. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PRODUCT_VERSION } from '../version.js';

let cached: string | null = null;

export function codeVersion(): string {
  if (cached) return cached;
  let commit = '';
  try {
    const cwd = fileURLToPath(new URL('../../', import.meta.url));
    commit = execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 })
      .toString()
      .trim();
  } catch {
    // Not a clone (packaged app): the product version alone identifies the code.
  }
  cached = commit ? `${PRODUCT_VERSION}+${commit}` : PRODUCT_VERSION;
  return cached;
}
