#!/usr/bin/env node
// Writes the self-contained GPU bench (dist-gpu/, git-ignored) for a machine with a GPU and a Vulkan driver but
// no Node, no node_modules and no network: one esbuild bundle of bench/gpu.ts (TensorFlow.js, its WebGPU backend,
// the models, the doctor), Dawn's dawn.node and this machine's own node binary, both xz-compressed.
// bench/gpu.sh unpacks and runs it. Usage: npm run build:gpu-bundle
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-gpu');
const LIMIT = 40 * 2 ** 20;

// xz of the node binary takes minutes on two loaded cores: keep it when it was made from this same binary.
const nodeStamp = `${process.execPath} ${statSync(process.execPath).size} ${process.version}`;
const stampPath = join(out, 'node.xz.stamp');
const keepNode = existsSync(stampPath) && readFileSync(stampPath, 'utf8') === nodeStamp && existsSync(join(out, 'node.xz'));
for (const f of ['bench.mjs', 'dawn.node.xz', 'VERSION', ...(keepNode ? [] : ['node.xz', 'node.xz.stamp'])]) rmSync(join(out, f), { force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, 'bench', 'gpu.ts')],
  outfile: join(out, 'bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  // Native or optional packages the GPU bench does not need; the doctor reports them as not installed.
  external: ['onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-wasm', 'better-sqlite3', 'webgpu'],
  // CommonJS dependencies inside an ESM bundle need a require.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});

const xz = (src, dest) => writeFileSync(dest, execFileSync('xz', ['-c', '-6', '-T2', src], { maxBuffer: 256 * 2 ** 20 }));
const dawn = join(dirname(require.resolve('webgpu/package.json')), 'dist', `linux-${process.arch}`, 'dawn.node');
xz(dawn, join(out, 'dawn.node.xz'));
if (!keepNode) {
  xz(process.execPath, join(out, 'node.xz'));
  writeFileSync(stampPath, nodeStamp);
}
writeFileSync(join(out, 'VERSION'), `node ${process.version} linux-${process.arch}; built ${new Date().toISOString()}\n`);

let total = 0;
for (const f of ['bench.mjs', 'dawn.node.xz', 'node.xz', 'VERSION']) {
  const size = statSync(join(out, f)).size;
  total += size;
  console.log(`gpu-bundle: ${f.padEnd(13)} ${(size / 2 ** 20).toFixed(1)} MiB`);
}
console.log(`gpu-bundle: ${out} ${(total / 2 ** 20).toFixed(1)} MiB in all (limit 40 MiB)`);
if (total > LIMIT) {
  console.error('gpu-bundle: over 40 MiB; it would not travel to the GPU machine');
  process.exit(1);
}
