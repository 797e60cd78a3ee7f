/** Runs a PyTorch reference script with Debian's python3-torch, where /usr/bin/python3 can import torch. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';

export function torchAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Run `bench/<script>` and parse the JSON of its last line. OpenBLAS gets 1 thread under torch's own intra-op
 * threads; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, set on some machines as a guard for old OpenBLAS builds, force a
 * slow kernel, so they are unset for this command alone.
 */
export function runTorchScript<T>(script: string, args: string[]): T | null {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  // The self-contained GPU bundle carries no Python scripts.
  if (!existsSync(path) || !torchAvailable()) return null;
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const out = execFileSync(PYTHON, [path, ...args], { encoding: 'utf8', env });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}
