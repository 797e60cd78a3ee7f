#!/usr/bin/env node
// Builds or fetches the native parts that `npm ci` skips (see .npmrc), then builds the renderer, so that after
// `npm ci && npm run setup` both `npx ecgfm serve` and `npm run desktop` work with no further step.
// The optional native steps may fail offline without failing set-up: the product then runs on what is available
// and says so in `ecgfm info`. The renderer build needs no network, so its failure fails set-up.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const steps = [
  // Required: the experiment store. Falls back to a source build when no prebuilt binary can be fetched.
  { pkg: 'better-sqlite3', required: true, done: () => canLoad('better-sqlite3') },
  // Optional: native TensorFlow for CPU and CUDA, fetched from outside the npm registry.
  { pkg: '@tensorflow/tfjs-node', required: false, done: () => canLoad('@tensorflow/tfjs-node') },
  { pkg: '@tensorflow/tfjs-node-gpu', required: false, done: () => canLoad('@tensorflow/tfjs-node-gpu') },
  // Optional: Electron's binary, needed only for the desktop app and `npm run dist`.
  { pkg: 'electron', required: false, done: () => existsSync(new URL('../node_modules/electron/path.txt', import.meta.url)) },
];

function canLoad(pkg) {
  try {
    // better-sqlite3 loads its binding lazily, so open a database to prove it is built.
    const probe = pkg === 'better-sqlite3' ? "new (require('better-sqlite3'))(':memory:').close()" : `require(${JSON.stringify(pkg)})`;
    const r = spawnSync(process.execPath, ['-e', probe], { stdio: 'ignore' });
    return r.status === 0;
  } catch {
    return false;
  }
}

/** The line of an install script's output that says what went wrong, e.g. a download that could not connect. */
function why(output) {
  const lines = output.split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim()).filter(Boolean);
  const network = lines.find((l) => /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo|network/i.test(l));
  const error = lines.find((l) => /error/i.test(l) && !/command failed|complete log/i.test(l));
  return (network ? `download failed: ${network}` : error) ?? 'its install script failed';
}

let failedRequired = false;
for (const step of steps) {
  try {
    require.resolve(`${step.pkg}/package.json`);
  } catch {
    console.log(`setup: ${step.pkg}: not installed, skipped`);
    continue;
  }
  if (step.done()) {
    console.log(`setup: ${step.pkg}: ready`);
    continue;
  }
  console.log(`setup: ${step.pkg}: running its install script…`);
  const r = spawnSync('npm', ['rebuild', step.pkg, '--ignore-scripts=false', '--foreground-scripts'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status === 0 && step.done()) {
    console.log(`setup: ${step.pkg}: ready`);
  } else {
    console.log(`setup: ${step.pkg}: unavailable (${why(`${r.stdout}\n${r.stderr}`)})`);
    if (step.required) failedRequired = true;
  }
}

// The renderer is built here rather than shipped built (a generated bundle in git goes stale against its
// sources) or on first serve (the host may run from a read-only install, and a first page load should not wait
// on a build). It is rebuilt only when a source is newer than the last build.
const root = fileURLToPath(new URL('..', import.meta.url));
const builtIndex = join(root, 'dist', 'renderer', 'index.html');
function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}
const rendererSources = [join(root, 'renderer'), join(root, 'contract')];
const stale = !existsSync(builtIndex) || rendererSources.some((d) => newestMtime(d) > statSync(builtIndex).mtimeMs);
if (!stale) {
  console.log('setup: renderer: built (dist/renderer is newer than its sources)');
} else {
  console.log('setup: renderer: building dist/renderer with vite…');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status === 0 && existsSync(builtIndex)) console.log('setup: renderer: ready');
  else {
    console.log('setup: renderer: the build failed (see above); `npx ecgfm serve` and `npm run desktop` need it');
    failedRequired = true;
  }
}
process.exit(failedRequired ? 1 : 0);
