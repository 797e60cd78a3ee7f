#!/usr/bin/env node
// `npm run desktop`: build the renderer if needed, bundle electron/main + preload with esbuild, launch Electron.
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-electron');

if (!existsSync(join(root, 'dist', 'renderer', 'index.html'))) {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'info',
  // Native and wasm-backed packages stay outside the bundle and load from node_modules.
  external: ['electron', '@tensorflow/*', 'better-sqlite3', 'h5wasm', 'onnxruntime-node', 'tsx'],
  // main/ is ESM and uses import.meta.url; in the CJS bundle it becomes this file's URL.
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__importMetaUrl' },
};
await build({ ...common, entryPoints: [join(root, 'electron', 'main.ts')], outfile: join(out, 'main.cjs') });
await build({ ...common, entryPoints: [join(root, 'electron', 'preload.ts')], outfile: join(out, 'preload.cjs'), external: ['electron'] });
// Every job (pre-training, evaluation, study, clinical…) runs in a utilityProcess of its own, from this bundle.
await build({ ...common, entryPoints: [join(root, 'main', 'jobs', 'worker.ts')], outfile: join(out, 'jobs-worker.cjs') });

if (process.argv.includes('--build-only')) process.exit(0);
let electronPath;
try {
  electronPath = createRequire(import.meta.url)('electron');
} catch (err) {
  console.error(`Electron is not installed (${err.message}). Run \`npm run setup\` on a machine with network access.`);
  process.exit(1);
}
if (typeof electronPath !== 'string' || !existsSync(electronPath)) {
  console.error('The Electron binary is missing (it downloads on install; .npmrc skips install scripts). Run `node node_modules/electron/install.js`.');
  process.exit(1);
}
const child = spawn(electronPath, [join(out, 'main.cjs')], { cwd: root, stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
