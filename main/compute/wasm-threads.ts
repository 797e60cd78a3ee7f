/**
 * Multithreaded tfjs-backend-wasm under Node.
 *
 * tfjs 4.22 disables threads in Node (tfjs issue 3830). Three things stand in the way, and each is
 * worked around here, only for the duration of backend initialisation:
 *  1. `WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to false in Node: it is an ordinary flag, so set it.
 *  2. Emscripten starts its pthread workers from `blob:` URLs, which `node:worker_threads` rejects.
 *     Blobs made during init are written to files instead, and the worker script gets the bundle's
 *     CommonJS aliases (`require$$N`, `commonjsGlobal`) that the module text it evaluates refers to.
 *  3. XNNPACK caps its pool at `emscripten_num_logical_cores() / 2`, assuming hyper-threading; in Node
 *     that is `os.cpus().length / 2`. The core count is doubled while the pool is created.
 * Worker threads never hold the event loop open, so that a script ends by itself.
 *
 * tests/compute/wasm-threads.test.ts fails if an upgrade of tfjs breaks any of this.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

type WorkerCtor = typeof import('node:worker_threads').Worker;

/** `var require$$0 = require('fs');` lines of the bundle, as a prelude that makes them global. */
function bundleAliasPrelude(): string {
  const bundlePath = require.resolve('@tensorflow/tfjs-backend-wasm');
  const text = readFileSync(bundlePath, 'utf8');
  const aliases = [...text.matchAll(/^var (require\$\$\d+) = require\('([^']+)'\);$/gm)];
  const lines = aliases.map(([, name, mod]) => `globalThis[${JSON.stringify(name)}] = require(${JSON.stringify(mod)});`);
  lines.push('globalThis.commonjsGlobal = globalThis;');
  return lines.join('\n') + '\n';
}

export interface WasmThreadPatch {
  /** Undo every patch; call once the backend has initialised. */
  restore(): void;
}

/**
 * Patch the process so that the next wasm backend initialisation starts the threaded SIMD binary
 * with `threads` workers. Must run before `tf.setBackend('wasm')`.
 */
export function enableWasmThreads(setFlag: (name: string, value: boolean) => void, threads: number): WasmThreadPatch {
  setFlag('WASM_HAS_MULTITHREAD_SUPPORT', true);

  const dir = mkdtempSync(join(tmpdir(), 'ecgfm-wasm-'));
  const prelude = bundleAliasPrelude();
  const blobText = new WeakMap<Blob, string>();
  const blobFile = new WeakMap<Blob, string>();
  let fileCount = 0;

  const OriginalBlob = globalThis.Blob;
  class RecordingBlob extends OriginalBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const parts = args[0];
      if (Array.isArray(parts) && parts.every((p) => typeof p === 'string')) blobText.set(this, parts.join(''));
    }
  }

  const fileFor = (blob: Blob): string | undefined => {
    const cached = blobFile.get(blob);
    if (cached) return cached;
    const text = blobText.get(blob);
    if (text === undefined) return undefined;
    const path = join(dir, `script-${fileCount++}.cjs`);
    writeFileSync(path, prelude + text);
    blobFile.set(blob, path);
    return path;
  };

  const originalCreateObjectURL = URL.createObjectURL.bind(URL);
  const patchedCreateObjectURL = (obj: Blob): string => fileFor(obj) ?? originalCreateObjectURL(obj);

  const workerThreads = require('node:worker_threads') as { Worker: WorkerCtor };
  const OriginalWorker = workerThreads.Worker;
  class FileScriptWorker extends OriginalWorker {
    constructor(...args: ConstructorParameters<WorkerCtor>) {
      super(...args);
      this.unref();
    }
    // Emscripten refs a worker while its pthread runs; XNNPACK's pool threads run forever.
    override ref(): void {}
    override postMessage(message: unknown, transferList?: readonly import('node:worker_threads').TransferListItem[]): void {
      // The pthread "load" message names the main module script; a Blob there cannot be read in the worker.
      if (message && typeof message === 'object' && 'urlOrBlob' in message) {
        const m = message as { urlOrBlob: unknown };
        if (m.urlOrBlob instanceof OriginalBlob) {
          const path = fileFor(m.urlOrBlob);
          if (path) m.urlOrBlob = path;
        }
      }
      super.postMessage(message, transferList);
    }
  }

  const os = require('node:os') as typeof import('node:os');
  const originalCpus = os.cpus;
  const cores = originalCpus().length;
  // Report twice the wanted threads so that XNNPACK's halving yields exactly `threads`.
  os.cpus = () => {
    const list = originalCpus();
    const want = Math.max(1, threads) * 2;
    return Array.from({ length: want }, (_, i) => list[i % Math.max(1, cores)]!);
  };

  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = patchedCreateObjectURL;
  workerThreads.Worker = FileScriptWorker;

  let restored = false;
  return {
    restore() {
      if (restored) return;
      restored = true;
      globalThis.Blob = OriginalBlob;
      URL.createObjectURL = originalCreateObjectURL;
      workerThreads.Worker = OriginalWorker;
      os.cpus = originalCpus;
    },
  };
}
