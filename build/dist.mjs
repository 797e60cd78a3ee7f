#!/usr/bin/env node
// `npm run dist`: build the renderer and the Electron bundles, then package installers for this platform
// (AppImage + deb on Linux, NSIS on Windows, DMG on macOS). Needs Electron's binary and internet access for
// electron-builder's own tools, so it cannot run on an offline machine.
import { spawnSync } from 'node:child_process';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run('npm', ['run', 'build:renderer']);
run(process.execPath, ['build/desktop.mjs', '--build-only']);
// Native modules (better-sqlite3, tfjs-node) are rebuilt against Electron's ABI by electron-builder (npmRebuild).
run('npx', ['electron-builder', '--config', 'build/electron-builder.json', ...process.argv.slice(2)]);
