import { describe, expect, it, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openStore, type Store } from '../../main/store/store.js';
import { SCHEMA_VERSION } from '../../main/store/schema.js';
import { codeVersion } from '../../main/store/code-version.js';
import { REPO_ROOT, sharedData, tempWorkspace } from '../helpers/paths.js';

const opened: Store[] = [];
function fresh(): Store {
  const s = openStore(join(tempWorkspace(), 'ecgfm.sqlite'));
  opened.push(s);
  return s;
}
afterEach(() => {
  while (opened.length) opened.pop()!.close();
});

function runNode(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('experiment store', () => {
  it('creates the schema at the current version in WAL mode and refuses a newer store', () => {
    const store = fresh();
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((t) => t.name);
    for (const t of ['datasets', 'runs', 'metric_series', 'evaluations', 'studies', 'study_cells', 'artifacts', 'jobs']) expect(tables).toContain(t);
    const path = store.path;
    store.close();
    // Reopening migrates nothing and keeps data; a store from a newer build is refused with a clear message.
    const again = openStore(path);
    expect(again.schemaVersion).toBe(SCHEMA_VERSION);
    again.close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openStore(path)).toThrow(/newer than this build/);
  });

  it('records runs, loss series, evaluations and studies', () => {
    const store = fresh();
    const run = store.createRun({ kind: 'pretrain', config: { method: 'HL', patch: 125 }, seed: 7, backend: 'wasm (test)', codeVersion: codeVersion() });
    expect(run.status).toBe('created');
    expect(run.codeVersion).toMatch(/^0\.1\.0/);
    expect(store.getRun(run.id.slice(0, -3))?.id).toBe(run.id);
    store.updateRun(run.id, { status: 'running', step: 5, checkpointPath: '/x/ckpt-5' });
    expect(store.getRun(run.id)).toMatchObject({ status: 'running', step: 5, checkpointPath: '/x/ckpt-5', config: { method: 'HL', patch: 125 } });
    expect(() => store.updateRun('nope', { step: 1 })).toThrow(/No run "nope"/);

    store.addMetrics(run.id, [0, 1, 2, 3].map((step) => ({ name: 'total', step, value: 10 - step })));
    // A resumed run re-logs step 3 after its checkpoint: the point is replaced, not duplicated.
    store.addMetrics(run.id, [{ name: 'total', step: 3, value: 6.5 }, { name: 'total', step: 4, value: 6 }]);
    expect(store.metricSeries(run.id, 'total').map((p) => p.value)).toEqual([10, 9, 8, 6.5, 6]);
    expect(store.finalMetrics(run.id, 2).total).toBeCloseTo(6.25);

    const probe = store.createRun({ kind: 'linear', parentRunId: run.id });
    store.addEvaluations(probe.id, [{ task: 'MI', protocol: 'linear', metric: 'auroc', value: 0.8, ciLow: 0.7, ciHigh: 0.9 }]);
    store.addEvaluations(probe.id, [{ task: 'MI', protocol: 'linear', metric: 'auroc', value: 0.81, ciLow: 0.71, ciHigh: 0.91 }]);
    const evals = store.evaluations({ runId: probe.id });
    expect(evals).toHaveLength(1);
    expect(evals[0]).toMatchObject({ value: 0.81, ciLow: 0.71, split: 'test', condition: '' });

    const study = store.createStudy('grid', { tasks: ['MI'] }, [
      { key: 'CL-P60-L2-D256', method: 'CL', patch: 60, depth: 2, dim: 256 },
      { key: 'GL-P60-L2-D256', method: 'GL', patch: 60, depth: 2, dim: 256 },
    ]);
    expect(store.createStudy('grid', {}, []).id).toBe(study.id);
    store.updateCell(study.id, 1, { status: 'oom', error: 'out of memory' });
    expect(store.studyCells(study.id).map((c) => c.status)).toEqual(['pending', 'oom']);
  });

  it('hashes artifacts like sha256sum', async () => {
    const store = fresh();
    const file = sharedData('ptbxl', 'records100', '00000', '00001_lr.dat');
    const manifest = readFileSync(sharedData('MANIFEST.sha256'), 'utf8');
    const expected = manifest.split('\n').find((l) => l.endsWith('./ptbxl/records100/00000/00001_lr.dat'))!.split(/\s+/)[0];
    const rec = await store.recordArtifact({ path: file, kind: 'signal' });
    expect(rec.sha256).toBe(expected);
    expect(rec.bytes).toBe(24000);
    expect(store.artifacts()).toHaveLength(1);
  });

  it('stays consistent when two processes write to one workspace at once', async () => {
    const dir = tempWorkspace();
    const path = join(dir, 'ecgfm.sqlite');
    const script = join(REPO_ROOT, 'tests/store/fixtures/writer.ts');
    const [a, b] = await Promise.all([runNode(script, [path, 'a', '60']), runNode(script, [path, 'b', '60'])]);
    expect(a.code, a.out).toBe(0);
    expect(b.code, b.out).toBe(0);
    const store = openStore(path);
    opened.push(store);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(store.listRuns({ kind: 'pretrain', status: 'succeeded' })).toHaveLength(120);
    const n = store.db.prepare('SELECT COUNT(*) AS n FROM metric_series').get() as { n: number };
    expect(n.n).toBe(120 * 20);
    expect(store.evaluations()).toHaveLength(240);
  });
});
