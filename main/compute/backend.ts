/**
 * Compute backend selection: the one place that decides where tensors live.
 *
 * Order: tfjs-node-gpu (only when it loads and a GPU is visible), webgpu (only on a hardware adapter), tfjs-node,
 * wasm, cpu. `ECGFM_BACKEND` or the `backend` setting overrides it (a forced webgpu takes a software adapter too).
 * The chosen backend is described in one line, e.g. `wasm (SIMD on, 2 threads): @tensorflow/tfjs-node-gpu not
 * installed`, which every run records together with the GPU adapter, when there is one.
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { tf } from './tf.js';
import { enableWasmThreads } from './wasm-threads.js';
import { adapterLine, gpuDeviceNodes, probeAdapter, startWebGpu, type GpuAdapterInfo } from './webgpu.js';

const require = createRequire(import.meta.url);

export const BACKEND_NAMES = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  name: BackendName;
  /** tfjs's own name for the registered backend: tensorflow, webgpu, wasm or cpu. */
  tfBackend: string;
  /** The WebGPU adapter (vendor, architecture, device, driver) on the webgpu backend, else null. */
  adapter: GpuAdapterInfo | null;
  simd: boolean | null;
  threads: number;
  /** Why this backend and not an earlier one in the order. */
  reason: string;
  /** One line for logs, the CLI and run records. */
  description: string;
}

export interface BackendOptions {
  /** A backend name, or 'auto'. Falls back to ECGFM_BACKEND, then 'auto'. */
  backend?: string;
  /** wasm threads; defaults to ECGFM_THREADS, then the number of cores. */
  threads?: number;
}

let selected: Promise<BackendInfo> | null = null;

/** Select and initialise the backend once per process; later calls return the same choice. */
export function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  selected ??= select(options).catch((err: unknown) => {
    selected = null;
    throw err;
  });
  return selected;
}

export function parseBackendName(value: string): BackendName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName | 'auto';
  throw new Error(`Unknown backend "${value}": choose one of auto, ${BACKEND_NAMES.join(', ')}.`);
}

function gpuVisible(): boolean {
  if (process.env.CUDA_VISIBLE_DEVICES === '-1' || process.env.CUDA_VISIBLE_DEVICES === '') return false;
  try {
    return existsSync('/proc/driver/nvidia/gpus') && readdirSync('/proc/driver/nvidia/gpus').length > 0;
  } catch {
    return false;
  }
}

/** Why a native package could not be used, in a few words. */
function nativeProblem(pkg: string): string | null {
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return `${pkg} not installed`;
  }
  // Requiring it without its binding half-registers a broken 'tensorflow' backend, so look first.
  const lib = join(dir, 'lib');
  const hasBinding =
    existsSync(lib) && readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
  if (!hasBinding) return `${pkg} has no native library (\`npm run setup\` fetches it)`;
  try {
    require(pkg);
    return null;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return `${pkg} failed to load (${msg.split('\n')[0]})`;
  }
}

function wantedThreads(options: BackendOptions): number {
  const fromEnv = Number(process.env.ECGFM_THREADS);
  const n = options.threads ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : cpus().length);
  return Math.max(1, Math.floor(n));
}

async function useNative(name: 'tfjs-node-gpu' | 'tfjs-node', reason: string): Promise<BackendInfo> {
  const ok = await tf.setBackend('tensorflow');
  if (!ok) throw new Error(`@tensorflow/${name} loaded but the tensorflow backend did not initialise`);
  await tf.ready();
  const label = name === 'tfjs-node-gpu' ? 'tfjs-node-gpu (CUDA)' : 'tfjs-node (libtensorflow CPU)';
  return { name, tfBackend: 'tensorflow', adapter: null, simd: null, threads: cpus().length, reason, description: `${label}: ${reason}` };
}

async function useWasm(reason: string, options: BackendOptions): Promise<BackendInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const threads = wantedThreads(options);
  const patch = threads > 1 ? enableWasmThreads((k, v) => tf.env().set(k, v), threads) : null;
  try {
    wasm.setThreadsCount(threads);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('the wasm backend did not initialise');
    await tf.ready();
  } finally {
    patch?.restore();
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const actual = wasm.getThreadsCount();
  const desc = `wasm (SIMD ${simd ? 'on' : 'off'}, ${actual} thread${actual === 1 ? '' : 's'}): ${reason}`;
  return { name: 'wasm', tfBackend: 'wasm', adapter: null, simd, threads: actual, reason, description: desc };
}

async function useCpu(reason: string): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', tfBackend: 'cpu', adapter: null, simd: null, threads: 1, reason, description: `cpu (plain JavaScript): ${reason}` };
}

/** The webgpu backend on Dawn's preferred adapter; `allowSoftware` is false in automatic selection. */
async function useWebGpu(reason: string, allowSoftware: boolean): Promise<BackendInfo | string> {
  if (!allowSoftware && process.platform === 'linux' && gpuDeviceNodes().length === 0) {
    return 'webgpu: no GPU device node (/dev/dri/renderD*, /dev/nvidia0)';
  }
  const probe = await probeAdapter();
  if (!probe.ok) return `webgpu: ${probe.problem}`;
  if (probe.info.software && !allowSoftware) {
    return `webgpu: the adapter is a software rasteriser, ${adapterLine(probe.info)} (ECGFM_BACKEND=webgpu uses it anyway)`;
  }
  const info = await startWebGpu(probe);
  const desc = `webgpu on ${adapterLine(info)}: ${reason}`;
  return { name: 'webgpu', tfBackend: 'webgpu', adapter: info, simd: null, threads: 1, reason, description: desc };
}

async function select(options: BackendOptions): Promise<BackendInfo> {
  const requested = parseBackendName(options.backend ?? process.env.ECGFM_BACKEND ?? 'auto');
  if (requested !== 'auto') {
    const why = options.backend ? 'chosen in settings' : 'chosen by ECGFM_BACKEND';
    if (requested === 'cpu') return useCpu(why);
    if (requested === 'wasm') return useWasm(why, options);
    if (requested === 'webgpu') {
      const r = await useWebGpu(why, true);
      if (typeof r === 'string') throw new Error(`Backend webgpu was requested but ${r.replace(/^webgpu: /, '')}. \`ecgfm doctor\` says what to do.`);
      return r;
    }
    const problem = nativeProblem(`@tensorflow/${requested}`);
    if (problem) throw new Error(`Backend ${requested} was requested but ${problem}.`);
    return useNative(requested, why);
  }

  const skipped: string[] = [];
  const gpuProblem = nativeProblem('@tensorflow/tfjs-node-gpu');
  if (gpuProblem) skipped.push(gpuProblem);
  else if (!gpuVisible()) skipped.push('@tensorflow/tfjs-node-gpu loaded but no GPU is visible');
  else return useNative('tfjs-node-gpu', 'CUDA GPU visible');

  try {
    const gpu = await useWebGpu(skipped.join('; ') || 'GPU adapter found', false);
    if (typeof gpu !== 'string') return gpu;
    skipped.push(gpu);
  } catch (err) {
    skipped.push(`webgpu failed (${err instanceof Error ? err.message : String(err)})`);
  }

  // tfjs-node-gpu, once loaded, already registered the tensorflow backend on the CPU.
  const cpuProblem = gpuProblem ? nativeProblem('@tensorflow/tfjs-node') : null;
  if (!cpuProblem) return useNative('tfjs-node', skipped.join('; '));
  skipped.push(cpuProblem);

  try {
    return await useWasm(skipped.join('; '), options);
  } catch (err) {
    skipped.push(`wasm failed (${err instanceof Error ? err.message : String(err)})`);
  }
  return useCpu(skipped.join('; '));
}
