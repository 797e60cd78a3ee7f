/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend: Dawn (npm package `webgpu`) gives Node a `navigator.gpu`, and tfjs-backend-webgpu runs the
 * models on it. Three things this module adds over a plain registration:
 * - the adapter is described (vendor, architecture, device, driver) and a software rasteriser (llvmpipe,
 *   SwiftShader, WARP) is told apart from a GPU, so automatic selection skips it;
 * - reads are asynchronous only: tfjs-webgpu's `readSync` needs an OffscreenCanvas, which Node lacks, so it is
 *   replaced by a clear error instead of a crash deep inside the backend;
 * - every guarded step runs inside WebGPU error scopes, so an allocation the device refuses or a tensor larger
 *   than the adapter's storage binding limit (which otherwise gives silently wrong results) becomes an error,
 *   and the out-of-memory ones read "GPU out of memory", which studies record as an OOM cell.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tf } from './tf.js';

const require = createRequire(import.meta.url);

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  /** The driver's own one-line description, e.g. `NVIDIA: 550.54.14` or `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)`. */
  description: string;
  /** The driver part of the description (after the first ': '), or the whole description. */
  driver: string;
  /** A CPU rasteriser rather than a GPU. */
  software: boolean;
  /** Largest tensor the device can bind, in bytes. */
  maxBindingBytes: number;
}

/** A Dawn-backed navigator.gpu and the adapter it chose, or why there is none. */
export type AdapterProbe = { ok: true; gpu: GPU; adapter: GPUAdapter; info: GpuAdapterInfo } | { ok: false; problem: string };

/** Thrown when the device refuses an allocation; the message matches the studies' out-of-memory rule. */
export class GpuOutOfMemoryError extends Error {
  constructor(detail: string) {
    super(`GPU out of memory: ${detail}`);
    this.name = 'GpuOutOfMemoryError';
  }
}

/** Dawn's adapters carry `info` (newer WebGPU); the hoisted @webgpu/types predates it. */
type DawnAdapter = GPUAdapter & { info: GPUAdapterInfo & { isFallbackAdapter?: boolean } };

const SOFTWARE_RE = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render|\bwarp\b/i;

export function describeAdapter(info: GPUAdapterInfo & { isFallbackAdapter?: boolean }, limits: GPUSupportedLimits): GpuAdapterInfo {
  const description = info.description || info.device || 'unknown adapter';
  const colon = description.indexOf(': ');
  const software =
    info.isFallbackAdapter === true || info.architecture === 'software' || SOFTWARE_RE.test(`${description} ${info.device}`);
  return {
    vendor: info.vendor || 'unknown',
    architecture: info.architecture || 'unknown',
    device: info.device || 'unknown',
    description,
    driver: colon > 0 ? description.slice(colon + 2) : description,
    software,
    maxBindingBytes: limits.maxStorageBufferBindingSize,
  };
}

/** One line: `NVIDIA H100 (nvidia/hopper, driver 550.54.14)` or `llvmpipe (mesa/software, driver Mesa 25.0.7 …)`. */
export function adapterLine(a: GpuAdapterInfo): string {
  const colon = a.description.indexOf(': ');
  const name = colon > 0 ? a.description.slice(0, colon) : a.device;
  return `${name} (${a.vendor}/${a.architecture}, driver ${a.driver}${a.software ? ', software' : ''})`;
}

/** On Linux a GPU shows up as a device node; without one, probing Dawn only finds software adapters. */
export function gpuDeviceNodes(): string[] {
  if (process.platform !== 'linux') return [];
  const out: string[] = [];
  try {
    if (existsSync('/dev/dri')) out.push(...readdirSync('/dev/dri').filter((d) => d.startsWith('renderD')).map((d) => `/dev/dri/${d}`));
  } catch {
    /* unreadable: treat as absent */
  }
  if (existsSync('/dev/nvidia0')) out.push('/dev/nvidia0');
  return out;
}

let dawn: { create(flags: string[]): GPU; globals: Record<string, unknown> } | null = null;

function loadDawn(): { create(flags: string[]): GPU; globals: Record<string, unknown> } {
  if (!dawn) {
    // The package's index.js is ESM; its native module is the part that matters and loads with require.
    // ECGFM_DAWN_NODE points at a dawn.node outside node_modules (the self-contained GPU bench bundle).
    const arch = process.platform === 'darwin' ? 'universal' : process.arch;
    const path =
      process.env.ECGFM_DAWN_NODE ?? `${require.resolve('webgpu/package.json').replace(/package\.json$/, '')}dist/${process.platform}-${arch}/dawn.node`;
    if (!existsSync(path)) throw new Error(`Dawn's native module is missing (${path})`);
    dawn = require(path) as typeof dawn & object;
  }
  return dawn;
}

/** Ask Dawn for its preferred (high-performance) adapter. Never throws. */
export async function probeAdapter(): Promise<AdapterProbe> {
  let d: ReturnType<typeof loadDawn>;
  try {
    d = loadDawn();
  } catch (err) {
    return { ok: false, problem: `the webgpu package's Dawn module does not load (${firstLine(err)})` };
  }
  try {
    Object.assign(globalThis, d.globals);
    const gpu = d.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { ok: false, problem: 'Dawn found no WebGPU adapter (no usable Vulkan driver)' };
    return { ok: true, gpu, adapter, info: describeAdapter((adapter as DawnAdapter).info, adapter.limits) };
  } catch (err) {
    return { ok: false, problem: `Dawn failed to enumerate adapters (${firstLine(err)})` };
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

interface GpuState {
  device: GPUDevice;
  info: GpuAdapterInfo;
  lost: string | null;
}

let state: GpuState | null = null;

/** The active WebGPU device, when the webgpu backend is in use. */
export function activeGpu(): { info: GpuAdapterInfo; lost: string | null } | null {
  return state && { info: state.info, lost: state.lost };
}

/** Create the device from a probed adapter and make tfjs use it. */
export async function startWebGpu(probe: Extract<AdapterProbe, { ok: true }>): Promise<GpuAdapterInfo> {
  const { adapter, gpu, info } = probe;
  // tfjs-backend-webgpu checks navigator.gpu; Node 20 has no navigator, Node 21+ has one without gpu.
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: GPU };
  if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const L = adapter.limits;
  const features = (['timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxBufferSize: L.maxBufferSize,
      maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
    },
  });
  const s: GpuState = { device, info, lost: null };
  void device.lost.then((l) => {
    s.lost = `${l.reason || 'unknown'}: ${l.message}`;
  });
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, (adapter as DawnAdapter).info), 1);
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
  await tf.ready();
  guardSyncReads(tf.backend());
  boundAddN(device.limits.maxStorageBuffersPerShaderStage - 1);
  state = s;
  return info;
}

/**
 * tfjs-webgpu's AddN binds every input in one shader, but a stage may bind only maxStorageBuffersPerShaderStage
 * buffers (8 on Mesa): summing 50 gradient norms failed validation and returned garbage. Sum in chunks instead.
 */
function boundAddN(maxInputs: number): void {
  const orig = tf.getKernel('AddN', 'webgpu');
  if (!orig || maxInputs < 2) return;
  const addN = orig.kernelFunc;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({
    kernelName: 'AddN',
    backendName: 'webgpu',
    kernelFunc: (args) => {
      let inputs = args.inputs as unknown as tf.TensorInfo[];
      const partials: tf.TensorInfo[] = [];
      while (inputs.length > maxInputs) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < inputs.length; i += maxInputs) {
          const part = inputs.slice(i, i + maxInputs);
          if (part.length === 1) next.push(part[0]!);
          else {
            const sum = addN({ ...args, inputs: part as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
            partials.push(sum);
            next.push(sum);
          }
        }
        inputs = next;
      }
      const out = addN({ ...args, inputs: inputs as unknown as tf.NamedTensorInfoMap });
      // The backend defers the release until the queued shaders that read them have been submitted.
      for (const t of partials) (args.backend as tf.KernelBackend).disposeData(t.dataId);
      return out;
    },
  });
}

/** Replace the canvas-based synchronous read (it cannot work in Node) by one that explains what to do. */
function guardSyncReads(backend: tf.KernelBackend): void {
  const b = backend as tf.KernelBackend & { readSync(id: object): unknown; tensorMap: { get(id: object): { values?: unknown } } };
  b.readSync = (dataId: object) => {
    const values = b.tensorMap.get(dataId)?.values;
    if (values != null) return values as tf.backend_util.BackendValues;
    throw new Error('webgpu: synchronous reads (dataSync/arraySync) are not possible in Node; read with `await tensor.data()`');
  };
}

/**
 * Run one unit of GPU work (a training step, a batch of inference) so that device errors surface as exceptions.
 * Off webgpu it just runs `fn`.
 */
export async function guardGpu<T>(fn: () => Promise<T>): Promise<T> {
  const s = state;
  if (!s || tf.getBackend() !== 'webgpu') return fn();
  if (s.lost) throw new Error(`GPU device lost (${s.lost}); restart the run to get a new device`);
  const d = s.device;
  d.pushErrorScope('out-of-memory');
  d.pushErrorScope('validation');
  d.pushErrorScope('internal');
  let result: T | undefined;
  let failure: unknown = null;
  try {
    result = await fn();
  } catch (err) {
    failure = err;
  }
  const [internal, validation, oom] = [await d.popErrorScope(), await d.popErrorScope(), await d.popErrorScope()];
  if (oom) throw new GpuOutOfMemoryError(`${oom.message.split('\n')[0]} (${adapterLine(s.info)})`);
  if (validation) {
    const msg = validation.message.split('\n')[0] ?? '';
    // A tensor over the binding limit is a model that does not fit this adapter: an OOM cell, not a bug.
    if (/binding size .* is larger than the maximum|exceeds the max/i.test(msg)) {
      throw new GpuOutOfMemoryError(`${msg} (a tensor exceeds ${(s.info.maxBindingBytes / 2 ** 20).toFixed(0)} MiB, the largest this adapter binds)`);
    }
    throw new Error(`WebGPU validation error: ${msg}`);
  }
  if (internal) throw new Error(`WebGPU internal error: ${internal.message.split('\n')[0]}`);
  if (s.lost) throw new Error(`GPU device lost (${s.lost})`);
  if (failure) throw failure;
  return result as T;
}
