/**
 * How responsive the headless host stays while a study computes: starts `ecgfm serve` on a fresh workspace with
 * the shared PTB-XL subset, starts a 4-cell smoke study through the API, and while the study job runs sends 200
 * sequential GET /api/health requests, timing each. Prints
 *   host: p50_ms=<..> p95_ms=<..> max_ms=<..> during_study=yes|no
 * Goal: p95 under 50 ms on a 2-core machine (the study runs in a worker process, not in the host).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { data: { type: 'string' }, requests: { type: 'string', default: '200' } } });
const data = values.data ?? join(root, '..', 'shared', 'data', 'ptbxl');
const n = Number(values.requests);

const workspace = mkdtempSync(join(tmpdir(), 'ecgfm-bench-host-'));
process.env.ECGFM_WORKSPACE = workspace;
const { importDataset } = await import('../main/data/import.js');
await importDataset({ kind: 'ptbxl', path: data, name: 'ptbxl', rate: 100 });

const host = spawn(process.execPath, [join(root, 'bin', 'ecgfm.mjs'), 'serve', '--json'], { env: { ...process.env, ECGFM_WORKSPACE: workspace }, stdio: ['ignore', 'pipe', 'inherit'] });
// `serve --json` prints one JSON object (pretty-printed): read lines until it parses.
let text = '';
let started: { url: string; token: string } | null = null;
for await (const line of createInterface({ input: host.stdout! })) {
  text += line;
  try {
    started = JSON.parse(text) as { url: string; token: string };
    break;
  } catch {
    // Not complete yet.
  }
}
if (!started) throw new Error(`ecgfm serve ended without printing its address (${text})`);
const { url, token } = started;
const origin = new URL(url).origin;
const headers = { 'x-ecgfm-token': token };
const post = { ...headers, 'content-type': 'application/json' };
const call = async <T>(method: string, body: unknown = {}): Promise<T> => {
  const res = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: post, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const studyRunning = async (jobId: string) => (await call<{ id: string; status: string }[]>('listJobs')).find((j) => j.id === jobId)?.status === 'running';

try {
  const presets = await call<{ config: Record<string, unknown>; cells: number }[]>('studyPresets');
  const smoke = presets.find((p) => p.cells === 4)!;
  const { jobId } = await call<{ jobId: string }>('startStudy', { ...smoke.config, name: 'bench-host', dataset: 'ptbxl' });
  const t0 = Date.now();
  while (!(await studyRunning(jobId))) {
    if (Date.now() - t0 > 120_000) throw new Error('the study job did not start within 2 minutes');
    await new Promise((r) => setTimeout(r, 200));
  }
  // Let the worker reach its compute loop (backend up, pre-training under way) before measuring.
  await new Promise((r) => setTimeout(r, 5000));
  const runningBefore = await studyRunning(jobId);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    const res = await fetch(`${origin}/api/health`, { headers });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET /api/health answered ${res.status}`);
    times.push(performance.now() - s);
  }
  const runningAfter = await studyRunning(jobId);
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  const load = loadavg().map((v) => v.toFixed(2)).join(' ');
  console.error(`${n} sequential GETs; load average ${load}; the study job was ${runningBefore && runningAfter ? 'running throughout' : 'not running throughout'}`);
  console.log(`host: p50_ms=${q(0.5).toFixed(1)} p95_ms=${q(0.95).toFixed(1)} max_ms=${times.at(-1)!.toFixed(1)} during_study=${runningBefore && runningAfter ? 'yes' : 'no'}`);
  await call('cancelJob', { jobId });
} finally {
  host.kill('SIGTERM');
}
