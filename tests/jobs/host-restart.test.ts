/**
 * One job model through the host the UI talks to: a pre-training started as the Pre-train page starts it records
 * the records it read (never the evaluation's test part); a study started the same way survives the host being
 * killed mid-way and finishes under the next host; the host process itself never loads TensorFlow.js.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../main/data/registry.js';
import { makeSplit } from '../../main/evaluation/splits.js';
import { openStore } from '../../main/store/store.js';
import { PRESETS } from '../../main/api/service.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ptbxlWorkspace } from '../helpers/ptbxl.js';

interface Host {
  child: ChildProcess;
  origin: string;
  token: string;
  lines: AsyncIterator<string>;
}

async function startHostProcess(workspace: string): Promise<Host> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tests/jobs/fixtures/host.ts')], {
    env: { ...process.env, ECGFM_WORKSPACE: workspace, ECGFM_THREADS: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  const { origin, token } = JSON.parse(String(first.value)) as { origin: string; token: string };
  return { child, origin, token, lines };
}

async function call<T>(h: Host, method: string, body: unknown = {}): Promise<T> {
  const res = await fetch(`${h.origin}/api/${method}`, { method: 'POST', headers: { 'x-ecgfm-token': h.token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as T & { error?: string };
  if (res.status !== 200) throw new Error(`${method}: ${json.error}`);
  return json;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 240_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const killed = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

describe('jobs through the host', () => {
  let ws = '';
  let host: Host | null = null;
  let uiRun = '';
  beforeAll(async () => {
    ws = await ptbxlWorkspace('ecgfm-jobs-host-');
  });
  afterAll(async () => {
    if (host) {
      host.child.kill('SIGTERM');
      await killed(host.child);
    }
  });

  it('pre-trains from the Pre-train page request on the training part only, and records the records', async () => {
    host = await startHostProcess(ws);
    const request = { ...PRESETS.defaults, ...PRESETS.presets[0]!.values, dim: 32, depth: 1, patch: 250, steps: 3, batchSize: 4, datasets: ['ptbxl'] };
    const { runId } = await call<{ runId: string }>(host, 'startPretrain', request);
    uiRun = runId;
    const done = await until('the run to complete', async () => (await call<{ id: string; status: string }[]>(host!, 'listRuns')).find((r) => r.id === runId && ['completed', 'failed'].includes(r.status)));
    expect(done.status).toBe('completed');
    const store = openStore(join(ws, 'ecgfm.sqlite'));
    const run = store.getRun(runId)!;
    store.close();
    const ds = openDataset('ptbxl');
    // The Evaluate page's default protocol split: PTB-XL folds, 10 is test and 9 validation.
    const split = makeSplit(ds, { kind: 'strat_fold' }, ['MI', 'STTC', 'CD', 'HYP']);
    expect(run.dataUse!.dataset).toBe('ptbxl');
    expect(run.dataUse!.indices.length).toBe(split.train.length);
    const used = new Set(run.dataUse!.indices);
    expect(split.test.filter((i) => used.has(i))).toEqual([]);
    expect(split.val.filter((i) => used.has(i))).toEqual([]);
    expect(run).toMatchObject({ kind: 'pretrain', status: 'succeeded', step: 3 });
    // And an evaluation refuses an encoder that has seen its test records.
    const ev = await call<{ jobId: string }>(host, 'startEvaluation', { runId, protocol: 'linear', dataset: 'ptbxl', tasks: ['MI'], split: 'patient:0.2', epochs: 1 });
    const job = await until('the evaluation job to end', async () => (await call<{ id: string; status: string; message: string | null }[]>(host!, 'listJobs')).find((j) => j.id === ev.jobId && ['succeeded', 'failed'].includes(j.status)));
    expect(job.status).toBe('failed');
    expect(job.message).toMatch(/pre-trained on \d+ of this evaluation's \d+ test records/);
  });

  it('finishes a study whose host is killed and restarted in the middle', async () => {
    host ??= await startHostProcess(ws);
    const preset = PRESETS.presets[0]!;
    expect(preset.label).toBe('Smoke test');
    const { studyId } = await call<{ studyId: string }>(host, 'startStudy', {
      name: 'restart', dataset: 'ptbxl', tasks: ['MI', 'CD'], methods: ['GL'], patches: [250], depths: [1], dims: [32, 48],
      protocols: ['linear'], baselines: [], steps: 3, batchSize: 4, probeEpochs: 1, finetuneEpochs: 1,
    });
    type Detail = { study: { status: string; succeeded: number; cells: number } };
    await until('the first cell to finish', async () => (await call<Detail>(host!, 'studyDetail', { study: studyId })).study.succeeded >= 1);
    const before = await call<Detail>(host, 'studyDetail', { study: studyId });
    expect(before.study.succeeded).toBeLessThan(before.study.cells);
    host.child.stdin!.write('modules\n');
    const loaded = JSON.parse(String((await host.lines.next()).value)) as { heavy: string[] };
    expect(loaded.heavy).toEqual([]);
    host.child.kill('SIGKILL');
    await killed(host.child);

    host = await startHostProcess(ws);
    const after = await until('the study to finish under the new host', async () => {
      const d = await call<Detail>(host!, 'studyDetail', { study: studyId });
      return d.study.status === 'succeeded' || d.study.status === 'finished-with-failures' ? d : null;
    });
    expect(after.study).toMatchObject({ status: 'succeeded', succeeded: 2, cells: 2 });
    const jobs = await call<{ kind: string; status: string; resultId: string | null }[]>(host, 'listJobs');
    expect(jobs.filter((j) => j.kind === 'study' && j.resultId === studyId).map((j) => j.status)).toEqual(['succeeded']);

    // `ecgfm runs list` reads the same store: the Pre-train page's run and the study's runs alike.
    const cli = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), 'runs', 'list', '--json'], { env: { ...process.env, ECGFM_WORKSPACE: ws }, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    const listed = JSON.parse(cli.stdout) as { id: string; kind: string; studyId: string | null }[];
    expect(listed.find((r) => r.id === uiRun)).toMatchObject({ kind: 'pretrain', studyId: null });
    expect(listed.filter((r) => r.studyId === studyId).map((r) => r.kind).sort()).toEqual(['linear', 'linear', 'pretrain', 'pretrain']);
  });
});
