/**
 * Where the data layer's workers (import-worker, loader-worker) start. Under tsx, a worker that loads the TypeScript
 * module graph through tsx's API takes seconds to start on a busy machine (each module goes through the loader
 * hooks), longer than a whole 500-record import. So each worker's graph is bundled once per process with esbuild
 * (which tsx itself ships) into one plain-JS file in the temp folder; the worker then starts in tens of milliseconds.
 * Packages stay external, resolved to absolute URLs so the bundle can live anywhere. If bundling fails, the tsx
 * entry (<name>.mjs) still works, only slower. Workers need no execArgv: start them with `{ execArgv: [] }` so
 * they do not each boot tsx's loader hooks.
 */
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

interface EsbuildLike {
  build(opts: Record<string, unknown>): Promise<{ outputFiles?: { text: string }[] }>;
}

export type DataWorker = 'import-worker' | 'loader-worker';

const entries = new Map<DataWorker, Promise<URL>>();

/** The URL a `new Worker(url)` for this worker should load. */
export function workerUrl(name: DataWorker): Promise<URL> {
  let entry = entries.get(name);
  if (!entry) {
    entry = resolveEntry(name);
    entries.set(name, entry);
  }
  return entry;
}

async function resolveEntry(name: DataWorker): Promise<URL> {
  // Compiled builds ship <name>.js next to this file.
  if (!import.meta.url.endsWith('.ts')) return new URL(`./${name}.js`, import.meta.url);
  try {
    return await bundle(name);
  } catch {
    return new URL(`./${name}.mjs`, import.meta.url);
  }
}

async function bundle(name: DataWorker): Promise<URL> {
  const esbuild = (await import('esbuild' as string)) as EsbuildLike;
  const external = {
    name: 'external-packages',
    setup(b: { onResolve(o: { filter: RegExp }, f: (a: { path: string }) => { path: string; external: boolean }): void }) {
      // Bare specifiers (packages, node: builtins) are left to Node, pinned to this project's copies.
      b.onResolve({ filter: /^[^./]/ }, (a) => ({
        path: a.path.startsWith('node:') ? a.path : import.meta.resolve(a.path),
        external: true,
      }));
    },
  };
  const out = await esbuild.build({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    plugins: [external],
  });
  const text = out.outputFiles?.[0]?.text;
  if (!text) throw new Error('esbuild produced no output');
  const hash = createHash('sha1').update(text).digest('hex').slice(0, 16);
  const path = join(tmpdir(), `ecgfm-${name}-${hash}.mjs`);
  // Content-addressed: an existing file with this name is this exact bundle.
  if (!existsSync(path)) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  }
  return pathToFileURL(path);
}
