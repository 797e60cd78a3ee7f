/**
 * Runs a PyTorch reference script with Debian's python3-torch, where /usr/bin/python3 can import torch, on the best
 * correct OpenBLAS kernel for this CPU.
 *
 * A fair baseline: on some virtual machines OpenBLAS's auto-detection picks an old core (e.g. Prescott, no AVX) on a
 * CPU with AVX-512, and PyTorch then runs 3–5× slower. So the CPU flags are read; when auto-detection picked a core
 * below the CPU's vector width, OPENBLAS_CORETYPE is set (SkylakeX for AVX-512, Haswell for AVX2) for the PyTorch
 * command only, after a matMul on that kernel matches float64. The kernel used is printed (OPENBLAS_VERBOSE=2 says
 * `Core: …`). OpenBLAS gets 1 thread under torch's own intra-op threads.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';

export function torchAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

type Width = 'avx512' | 'avx2' | 'older';
const RANK: Record<Width, number> = { older: 0, avx2: 1, avx512: 2 };

/** OpenBLAS core names by the widest vector kernels they use. */
const AVX512_CORES = new Set(['skylakex', 'cooperlake', 'sapphirerapids']);
const AVX2_CORES = new Set(['haswell', 'zen', 'skylake', 'broadwell', 'excavator']);

function cpuWidth(): Width {
  let flags = new Set<string>();
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return 'older';
  }
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f))) return 'avx512';
  if (flags.has('avx2') && flags.has('fma')) return 'avx2';
  return 'older';
}

function coreWidth(core: string): Width {
  const c = core.toLowerCase();
  return AVX512_CORES.has(c) ? 'avx512' : AVX2_CORES.has(c) ? 'avx2' : 'older';
}

const CHECK = `
import json, torch
torch.manual_seed(0)
a, b = torch.randn(384, 512), torch.randn(512, 256)
ref = a.double() @ b.double()
err = ((a @ b).double() - ref).abs().max().item() / ref.abs().max().item()
print(json.dumps({"err": err}))
`;

/** The kernel OpenBLAS uses under `env`, and a float32 matMul's max error against float64 (relative to max |ref|). */
function probeKernel(env: NodeJS.ProcessEnv): { core: string; err: number } | null {
  const r = spawnSync(PYTHON, ['-c', CHECK], { encoding: 'utf8', env: { ...env, OPENBLAS_VERBOSE: '2' } });
  if (r.status !== 0) return null;
  const text = `${r.stdout}\n${r.stderr}`;
  const core = /Core:\s*(\S+)/.exec(text)?.[1] ?? 'unknown (OpenBLAS printed no Core line)';
  try {
    return { core, err: (JSON.parse(r.stdout.trim().split('\n').pop()!) as { err: number }).err };
  } catch {
    return null;
  }
}

export interface BlasSetup {
  env: NodeJS.ProcessEnv;
  /** One line: the kernel, how it was chosen, the matMul check. */
  description: string;
}

let setup: BlasSetup | null = null;

export function torchBlasSetup(): BlasSetup {
  if (setup) return setup;
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  // Guards set for old OpenBLAS builds on some machines force a slow kernel: start from auto-detection.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const width = cpuWidth();
  const auto = probeKernel(env);
  const ok = (p: { err: number } | null): boolean => p !== null && p.err < 1e-4;
  let description = `OpenBLAS core ${auto?.core ?? '?'} (auto-detected; CPU has ${width === 'older' ? 'no AVX2' : width.toUpperCase()})`;
  if (auto && RANK[coreWidth(auto.core)] < RANK[width]) {
    const forced = width === 'avx512' ? 'SkylakeX' : 'Haswell';
    const tried = probeKernel({ ...env, OPENBLAS_CORETYPE: forced });
    if (ok(tried)) {
      env.OPENBLAS_CORETYPE = forced;
      description = `OpenBLAS core ${tried!.core} (OPENBLAS_CORETYPE=${forced}: auto-detection picked ${auto.core} on a ${width.toUpperCase()} CPU); matMul vs float64 ${tried!.err.toExponential(1)}`;
    } else {
      description += `; OPENBLAS_CORETYPE=${forced} failed the float64 matMul check (${tried ? tried.err.toExponential(1) : 'did not run'}), kept auto-detection`;
    }
  } else if (auto) description += `; matMul vs float64 ${auto.err.toExponential(1)}`;
  if (auto && !ok(auto) && env.OPENBLAS_CORETYPE === undefined) description += ' — WARNING: the auto-detected kernel fails the float64 check';
  setup = { env, description };
  return setup;
}

/** Run `bench/<script>` on the best correct kernel and parse the JSON of its last line. */
export function runTorchScript<T>(script: string, args: string[]): T | null {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  // The self-contained GPU bundle carries no Python scripts.
  if (!existsSync(path) || !torchAvailable()) return null;
  const { env } = torchBlasSetup();
  const out = execFileSync(PYTHON, [path, ...args], { encoding: 'utf8', env });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}
