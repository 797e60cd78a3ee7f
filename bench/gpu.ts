/**
 * Entry of the self-contained GPU bench bundle (build/gpu-bundle.mjs → bench/gpu.sh). One file, three modes:
 *   node bench.mjs doctor          the `ecgfm doctor` report
 *   node bench.mjs adapter         the WebGPU adapter in one line (or why there is none)
 *   node bench.mjs train [args]    bench/train.ts with its own arguments (e.g. --backend webgpu)
 */
import { formatDoctor, runDoctor } from '../main/compute/doctor.js';
import { adapterLine, probeAdapter } from '../main/compute/webgpu.js';

const [mode] = process.argv.splice(2, 1);
if (mode === 'doctor') {
  console.log(formatDoctor(await runDoctor()));
  process.exit(0);
} else if (mode === 'adapter') {
  const p = await probeAdapter();
  console.log(p.ok ? adapterLine(p.info) : `none (${p.problem})`);
  process.exit(0);
} else if (mode === 'train') {
  // bench/train.ts parses the remaining arguments and exits when done.
  await import('./train.js');
} else {
  console.error('usage: bench.mjs doctor | adapter | train [bench/train.ts options]');
  process.exit(2);
}
