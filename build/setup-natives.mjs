#!/usr/bin/env node
// Builds or fetches the native parts that `npm ci` skips (see .npmrc). Each step may fail offline
// without failing set-up: the product then runs on what is available and says so in `ecgfm info`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

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
    const r = spawnSync(process.execPath, ['-e', pkg === 'better-sqlite3' ? "new (require('better-sqlite3'))(':memory:').close()" : `require(${JSON.stringify(pkg)})`], { stdio: 'ignore' });
    return r.status === 0;
  } catch {
    return false;
  }
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
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-3).join(' | ');
    console.log(`setup: ${step.pkg}: unavailable (${tail || 'install script failed'})`);
    if (step.required) failedRequired = true;
  }
}
process.exit(failedRequired ? 1 : 0);
