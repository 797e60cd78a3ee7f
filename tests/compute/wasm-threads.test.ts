import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const fixture = fileURLToPath(new URL('./fixtures/matmul-load.ts', import.meta.url));

interface Load {
  description: string;
  threads: number;
  cpuPerWall: number;
  gflops: number;
  /** CPU ticks per OS thread during the load, busiest first. */
  perThread: number[];
}

/** Threads that did at least a third of the busiest thread's work. */
const busyThreads = (l: Load): number => l.perThread.filter((t) => t >= l.perThread[0]! / 3).length;

function runLoad(threads: number): Load {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, ECGFM_BACKEND: 'wasm', ECGFM_THREADS: String(threads) },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Load;
}

describe('wasm backend in Node', () => {
  it('still has the internals the thread fix relies on', () => {
    // If a tfjs upgrade renames any of these, wasm-threads.ts must be revisited.
    const bundle = readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm'), 'utf8');
    expect(bundle).toMatch(/registerFlag\('WASM_HAS_MULTITHREAD_SUPPORT'/);
    expect(bundle).toMatch(/^var require\$\$\d+ = require\('os'\);$/m);
    expect(bundle).toContain('URL.createObjectURL(blob)');
    expect(bundle).toContain('"urlOrBlob": Module["mainScriptUrlOrBlob"]');
    expect(bundle).toContain('.cpus().length');
  });

  it.skipIf(cpus().length < 2 || process.platform !== 'linux')('runs matMul on as many threads as cores, measured per OS thread', () => {
    const one = runLoad(1);
    const many = runLoad(cpus().length);
    expect(one.threads).toBe(1);
    expect(many.threads).toBe(cpus().length);
    expect(many.description).toMatch(new RegExp(`^wasm \\(SIMD on, ${cpus().length} threads\\)`));
    // The work must really be shared: with N threads, N OS threads each carry a large share of the CPU time.
    // Per-thread CPU time (not wall time) keeps this true on a machine that other tests are loading.
    expect(busyThreads(one)).toBe(1);
    expect(busyThreads(many)).toBe(cpus().length);
    console.log(
      `wasm matMul 1024³: 1 thread ${one.gflops.toFixed(1)} GFLOP/s (cpu/wall ${one.cpuPerWall.toFixed(2)}, ticks ${one.perThread.slice(0, 3).join('/')}), ` +
        `${many.threads} threads ${many.gflops.toFixed(1)} GFLOP/s (cpu/wall ${many.cpuPerWall.toFixed(2)}, ticks ${many.perThread.slice(0, 3).join('/')})`,
    );
  });
});
