/** Helpers for the data tests: python/numpy availability and RMS differences. */
import { spawnSync } from 'node:child_process';

/** numpy and scipy are these tests' oracle; `.ci/run` installs them, so a machine without them fails loudly. */
export function requireNumpy(): void {
  const r = spawnSync('python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`numpy and scipy are needed as the oracle (apt-get install python3-numpy python3-scipy): ${r.stderr || r.error?.message}`);
}

/** Run a python snippet with JSON on stdin; returns parsed JSON stdout. */
export function python(code: string, input: unknown = null): unknown {
  const r = spawnSync('python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export function rms(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / (to - from));
}
