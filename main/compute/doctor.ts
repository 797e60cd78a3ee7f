/**
 * `ecgfm doctor`: for every compute backend and ONNX Runtime provider, whether it works on this machine and,
 * when it does not, exactly why and what to do. Checks run without changing the process's backend, except the
 * final `selected` line, which is what a run here would use.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { debianPackageVersion, findLibrary, otherVersions } from './native-libs.js';
import { adapterLine, gpuDeviceNodes, probeAdapter } from './webgpu.js';

const require = createRequire(import.meta.url);

export type CheckStatus = 'works' | 'software' | 'unavailable';

export interface DoctorCheck {
  /** tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu, ort:cpu, ort:webgpu, … */
  name: string;
  status: CheckStatus;
  summary: string;
  /** Facts found (libraries, driver, adapter). */
  facts: string[];
  /** What to do, in order; empty when it works. */
  advice: string[];
}

/** libtensorflow 2.9.1 (tfjs-node-gpu 4.22) is linked against CUDA 11.2 and cuDNN 8.1. */
export const CUDA_LIBS = ['libcudart.so.11.0', 'libcublas.so.11', 'libcublasLt.so.11', 'libcufft.so.10', 'libcurand.so.10', 'libcusolver.so.11', 'libcusparse.so.11', 'libcudnn.so.8'];
const LIBTF_GPU_ARCHIVE = 'libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz';
const LIBTF_CPU_ARCHIVE = 'libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz';

function packageDir(pkg: string): string | null {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return null;
  }
}

function hasBinding(dir: string): boolean {
  const lib = join(dir, 'lib');
  return existsSync(lib) && readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
}

/** Load a package in a child process, so a half-loaded native module cannot disturb this one. */
function loadsInChild(pkg: string): string | null {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkg)})`], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return null;
  const line = (r.stderr || '').split('\n').find((l) => /Error|cannot open|not found/i.test(l));
  return line?.trim() ?? `exit status ${r.status}`;
}

function nvidiaDriver(): string | null {
  try {
    const text = readFileSync('/proc/driver/nvidia/version', 'utf8');
    return /Kernel Module\s+(\S+)/.exec(text)?.[1] ?? text.split('\n')[0]!.trim();
  } catch {
    const r = spawnSync('nvidia-smi', ['--query-gpu=driver_version,name', '--format=csv,noheader'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim().split('\n')[0]! : null;
  }
}

/** A libtensorflow archive already on disk (offline install), in the usual places. */
function findArchive(name: string): string | null {
  const dirs = [process.env.ECGFM_LIBTENSORFLOW_DIR, process.cwd(), homedir(), join(homedir(), 'Downloads'), '/tmp', '/opt'].filter((d): d is string => Boolean(d));
  for (const d of dirs) if (existsSync(join(d, name))) return join(d, name);
  return null;
}

function offlineInstall(pkg: string, dir: string, archive: string): string[] {
  const found = findArchive(archive);
  return [
    found ? `a libtensorflow archive is on disk: ${found}` : `to install offline, copy ${archive} to this machine (or set ECGFM_LIBTENSORFLOW_DIR to its folder), then:`,
    `mkdir -p ${join(dir, 'deps')} && tar -xzf ${found ?? archive} -C ${join(dir, 'deps')}`,
    `npm rebuild ${pkg} --ignore-scripts=false   (finds deps/lib/libtensorflow.so.2.9.1 and builds the binding; offline, node-gyp needs npm_config_nodedir=<node prefix with include/node>)`,
  ];
}

function tfjsNodeGpu(): DoctorCheck {
  const pkg = '@tensorflow/tfjs-node-gpu';
  const facts: string[] = [];
  const advice: string[] = [];
  const missing = CUDA_LIBS.filter((l) => !findLibrary(l));
  for (const l of CUDA_LIBS) {
    const p = findLibrary(l);
    const stem = l.replace(/\.so\..*$/, '');
    const others = p ? [] : otherVersions(stem);
    facts.push(`${l}: ${p ?? `missing${others.length ? ` (present: ${others.join(', ')})` : ''}`}`);
  }
  const driver = nvidiaDriver();
  facts.push(`NVIDIA driver: ${driver ?? 'none (/proc/driver/nvidia/version absent, nvidia-smi not found)'}`);
  facts.push(`LD_LIBRARY_PATH: ${process.env.LD_LIBRARY_PATH || '(unset)'}`);
  const dir = packageDir(pkg);
  let summary: string;
  let status: CheckStatus = 'unavailable';
  if (!dir) {
    summary = `${pkg} is not installed`;
    advice.push(`npm install ${pkg}@4.22.0, then npm run setup`);
  } else if (!hasBinding(dir)) {
    summary = `${pkg} is missing its native library (tfjs_binding.node and libtensorflow 2.9.1 were never fetched)`;
    advice.push('online: npm run setup (downloads libtensorflow and the binding)', ...offlineInstall(pkg, dir, LIBTF_GPU_ARCHIVE));
  } else {
    const problem = loadsInChild(pkg);
    if (problem) summary = `${pkg} does not load: ${problem}`;
    else if (!driver) summary = `${pkg} loads but no NVIDIA GPU is visible`;
    else {
      status = 'works';
      summary = `${pkg} loads; NVIDIA driver ${driver}`;
    }
  }
  if (missing.length) {
    advice.push(
      `install CUDA 11.2 runtime and cuDNN 8.1 (libtensorflow 2.9.1 needs exactly these sonames: ${missing.join(', ')}), e.g. from NVIDIA's cuda-11-2 and libcudnn8=8.1.* packages or their tarballs, and add their lib64 folder to LD_LIBRARY_PATH`,
      'CUDA 12/13 alone does not satisfy them; without CUDA 11, use the webgpu backend (any Vulkan driver) instead',
    );
  }
  if (!driver) advice.push('an NVIDIA driver ≥ 450.80.02 is needed (check with nvidia-smi)');
  return { name: 'tfjs-node-gpu', status, summary, facts, advice: status === 'works' ? [] : advice };
}

function icdFiles(): string[] {
  const fromEnv = (process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES ?? '').split(':').filter(Boolean);
  if (fromEnv.length) return fromEnv;
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', join(homedir(), '.local/share/vulkan/icd.d')];
  const out: string[] = [];
  for (const d of dirs) {
    try {
      for (const f of readdirSync(d)) if (f.endsWith('.json')) out.push(join(d, f));
    } catch {
      /* absent folder */
    }
  }
  return out;
}

async function webgpu(): Promise<DoctorCheck> {
  const facts: string[] = [];
  const advice: string[] = [];
  const linux = process.platform === 'linux';
  if (linux) {
    const loader = findLibrary('libvulkan.so.1');
    facts.push(`Vulkan loader: ${loader ?? 'missing (libvulkan.so.1)'}`);
    const icds = icdFiles();
    facts.push(`Vulkan drivers (ICD files): ${icds.length ? icds.map((f) => f.replace(/^.*\//, '').replace(/_icd\.json$|\.json$/, '')).join(', ') : 'none'}`);
    const mesa = debianPackageVersion('mesa-vulkan-drivers');
    if (mesa) facts.push(`Mesa Vulkan drivers: ${mesa}`);
    const nodes = gpuDeviceNodes();
    facts.push(`GPU device nodes: ${nodes.length ? nodes.join(', ') : 'none (/dev/dri/renderD*, /dev/nvidia0)'}`);
    if (!loader) advice.push('install the Vulkan loader: apt-get install libvulkan1 (Debian/Ubuntu)');
    if (!icds.length) {
      advice.push(
        'install a Vulkan driver: NVIDIA ships one with its driver (nvidia_icd.json, package libnvidia-gl-<version> on Ubuntu); AMD/Intel: apt-get install mesa-vulkan-drivers',
      );
    }
    if (mesa && /^(1\d|2[0-2])\./.test(mesa)) {
      advice.push(`Mesa ${mesa} is too old for Dawn (it rejects Mesa 22 lavapipe): on Debian 12, apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1`);
    }
    if (!nodes.length) advice.push('no GPU is visible to this process; in a container, pass the GPU through (--gpus all, or --device /dev/dri)');
  }
  const probe = await probeAdapter();
  if (!probe.ok) {
    return { name: 'webgpu', status: 'unavailable', summary: probe.problem, facts, advice: advice.length ? advice : ['run with VK_LOADER_DEBUG=error,warn to see why the Vulkan loader rejects the drivers'] };
  }
  facts.push(`adapter: ${probe.info.description} (vendor ${probe.info.vendor}, architecture ${probe.info.architecture}, device ${probe.info.device})`);
  facts.push(`largest tensor it binds: ${(probe.info.maxBindingBytes / 2 ** 20).toFixed(0)} MiB`);
  if (probe.info.software) {
    return {
      name: 'webgpu',
      status: 'software',
      summary: `works on a software rasteriser, ${adapterLine(probe.info)}: slow, so automatic selection skips it (ECGFM_BACKEND=webgpu uses it)`,
      facts,
      advice: advice.length ? advice : ['for GPU speed, install your GPU’s Vulkan driver'],
    };
  }
  return { name: 'webgpu', status: 'works', summary: `works on ${adapterLine(probe.info)}`, facts, advice: [] };
}

function tfjsNode(): DoctorCheck {
  const pkg = '@tensorflow/tfjs-node';
  const dir = packageDir(pkg);
  if (!dir) return { name: 'tfjs-node', status: 'unavailable', summary: `${pkg} is not installed`, facts: [], advice: [`npm install ${pkg}@4.22.0, then npm run setup`] };
  if (!hasBinding(dir)) {
    return {
      name: 'tfjs-node', status: 'unavailable', summary: `${pkg} is missing its native library (libtensorflow 2.9.1 CPU)`, facts: [],
      advice: ['online: npm run setup', ...offlineInstall(pkg, dir, LIBTF_CPU_ARCHIVE)],
    };
  }
  const problem = loadsInChild(pkg);
  return problem
    ? { name: 'tfjs-node', status: 'unavailable', summary: `${pkg} does not load: ${problem}`, facts: [], advice: ['npm rebuild @tensorflow/tfjs-node --ignore-scripts=false'] }
    : { name: 'tfjs-node', status: 'works', summary: `${pkg} loads (libtensorflow on the CPU)`, facts: [], advice: [] };
}

function wasm(): DoctorCheck {
  const dir = packageDir('@tensorflow/tfjs-backend-wasm');
  const files = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
  const missing = dir ? files.filter((f) => !existsSync(join(dir, 'dist', f))) : files;
  if (!dir || missing.length) {
    return { name: 'wasm', status: 'unavailable', summary: `@tensorflow/tfjs-backend-wasm ${dir ? `lacks ${missing.join(', ')}` : 'is not installed'}`, facts: [], advice: ['npm ci'] };
  }
  return { name: 'wasm', status: 'works', summary: 'works (SIMD and threads; the portable CPU backend)', facts: [], advice: [] };
}

/** A small clinical graph (P500/D16/L1 encoder + head), so each provider is proven on the ops cohorts use. */
async function probeGraph(): Promise<Uint8Array> {
  const [{ FoundationModel }, { resolveVitConfig }, { buildOnnxModel }] = await Promise.all([
    import('../models/foundation.js'), import('../models/vit.js'), import('../onnx/export.js'),
  ]);
  const config = resolveVitConfig({ patch: 500, depth: 1, dim: 16 });
  const enc = new FoundationModel(config, 1, { decoder: false, head: false });
  const weights = await enc.params.read();
  enc.dispose();
  weights.set('task.w', { shape: [16, 1], data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)) });
  weights.set('task.b', { shape: [1], data: new Float32Array([0.1]) });
  return buildOnnxModel(config, weights, { tasks: ['probe'], headW: 'task.w', headB: 'task.b' });
}

async function ortProviders(): Promise<DoctorCheck[]> {
  const { loadOrt, createOrtSession, sessionsAgree } = await import('../onnx/runtime.js');
  const ort = await loadOrt();
  if (!ort) {
    return [{ name: 'ort', status: 'unavailable', summary: 'onnxruntime-node is not installed or does not load here', facts: [], advice: ['npm install onnxruntime-node (cohort inference then uses tfjs meanwhile)'] }];
  }
  const version = ort.env.versions.common;
  const bytes = await probeGraph();
  const cpu = await createOrtSession(bytes, 1, 'cpu').catch((err: unknown) => err as Error);
  const out: DoctorCheck[] = [];
  for (const b of ort.listSupportedBackends()) {
    const name = `ort:${b.name}`;
    if (!b.bundled) {
      out.push({ name, status: 'unavailable', summary: `not bundled in onnxruntime-node ${version}`, facts: [], advice: [`needs an ONNX Runtime build with the ${b.name} provider; cohorts use cpu or webgpu`] });
      continue;
    }
    if (b.name !== 'cpu' && b.name !== 'webgpu') continue;
    if (cpu instanceof Error) {
      out.push({ name, status: 'unavailable', summary: `the CPU session fails: ${cpu.message.split('\n')[0]}`, facts: [], advice: ['reinstall onnxruntime-node'] });
      continue;
    }
    if (b.name === 'cpu') {
      out.push({ name, status: 'works', summary: `works (onnxruntime-node ${version})`, facts: [], advice: [] });
      continue;
    }
    try {
      const gpu = await createOrtSession(bytes, 1, 'webgpu');
      const diff = await sessionsAgree(gpu, cpu, 1);
      await gpu.release();
      out.push(
        diff <= 1e-4
          ? { name, status: 'works', summary: `works (onnxruntime-node ${version}; logits match cpu to ${diff.toExponential(1)})`, facts: [], advice: [] }
          : { name, status: 'unavailable', summary: `runs but disagrees with cpu by ${diff} in the logits`, facts: [], advice: ['cohorts must use ECGFM_ORT_PROVIDER=cpu here; please report the adapter'] },
      );
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      out.push({ name, status: 'unavailable', summary: `bundled but fails: ${why}`, facts: [], advice: ['ONNX Runtime needs the same Vulkan driver as the webgpu backend: see its lines above'] });
    }
  }
  if (!(cpu instanceof Error)) await cpu.release();
  return out;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  /** What automatic selection picks here (or the forced backend), as runs record it. */
  selected: string;
}

export async function runDoctor(options: { backend?: string } = {}): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [tfjsNodeGpu(), await webgpu(), tfjsNode(), wasm()];
  checks.push({ name: 'cpu', status: 'works', summary: 'works (plain JavaScript; slowest)', facts: [], advice: [] });
  let selected: string;
  try {
    const { initBackend } = await import('./backend.js');
    selected = (await initBackend(options)).description;
  } catch (err) {
    selected = `none: ${err instanceof Error ? err.message : String(err)}`;
  }
  checks.push(...(await ortProviders()));
  return { checks, selected };
}

export function formatDoctor(r: DoctorReport): string {
  const mark: Record<CheckStatus, string> = { works: 'ok  ', software: 'slow', unavailable: 'no  ' };
  const lines = ['Compute backends and ONNX Runtime providers on this machine:', ''];
  for (const c of r.checks) {
    lines.push(`${mark[c.status]} ${c.name.padEnd(14)} ${c.summary}`);
    for (const f of c.facts) lines.push(`       ${f}`);
    for (const a of c.advice) lines.push(`       → ${a}`);
  }
  lines.push('', `selected backend: ${r.selected}`);
  return lines.join('\n');
}
