/** `ecgfm doctor` on the CI machine: Mesa lavapipe gives a software WebGPU adapter; tfjs-node-gpu has no libtensorflow. */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { formatDoctor, type DoctorReport } from '../../main/compute/doctor.js';
import { REPO_ROOT } from '../helpers/paths.js';

function doctor(...args: string[]): { status: number | null; stdout: string } {
  // The CLI as a user runs it, without the test's backend choice.
  const env = { ...process.env };
  delete env.ECGFM_BACKEND;
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), 'doctor', ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout };
}

describe('ecgfm doctor', () => {
  let report: DoctorReport;
  beforeAll(() => {
    const r = doctor('--json');
    expect(r.status).toBe(0);
    report = JSON.parse(r.stdout) as DoctorReport;
  });

  it('names the llvmpipe adapter, says why tfjs-node-gpu cannot run, and proves the ORT providers', () => {
    const by = new Map(report.checks.map((c) => [c.name, c]));
    expect([...by.keys()].slice(0, 5)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']);

    const gpu = by.get('tfjs-node-gpu')!;
    expect(gpu.status).toBe('unavailable');
    expect(gpu.summary).toMatch(/missing its native library/);
    expect(gpu.facts.some((f) => f.startsWith('libcudart.so.11.0: '))).toBe(true);
    expect(gpu.facts.some((f) => f.startsWith('libcudnn.so.8: '))).toBe(true);
    expect(gpu.facts.some((f) => f.startsWith('NVIDIA driver: '))).toBe(true);
    expect(gpu.advice.join('\n')).toMatch(/libtensorflow-gpu-linux-x86_64-2\.9\.1\.tar\.gz/);

    const webgpu = by.get('webgpu')!;
    expect(webgpu.status).toBe('software');
    expect(webgpu.summary).toMatch(/llvmpipe/);
    expect(webgpu.facts.join('\n')).toMatch(/Vulkan loader: \/.*libvulkan\.so\.1/);
    expect(webgpu.facts.join('\n')).toMatch(/Mesa/);

    expect(by.get('ort:cpu')?.status).toBe('works');
    expect(by.get('ort:webgpu')?.status).toBe('works');
    // Automatic selection skips the software adapter.
    expect(report.selected).toMatch(/^wasm .*webgpu: no GPU device node/);
  });

  it('prints one line per backend and provider, with what to do', () => {
    const text = formatDoctor(report);
    expect(text).toMatch(/^no +tfjs-node-gpu +@tensorflow\/tfjs-node-gpu is missing its native library/m);
    expect(text).toMatch(/^slow +webgpu +works on a software rasteriser, llvmpipe/m);
    expect(text).toMatch(/→ install CUDA 11\.2 runtime and cuDNN 8\.1/);
    expect(text).toMatch(/^selected backend: /m);
  });
});
