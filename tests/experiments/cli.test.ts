/** `ecgfm study|runs|report` against a store holding recorded results (no training), through the real CLI. */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../main/store/store.js';
import { createStudy, runStudy } from '../../main/experiments/study.js';
import { REPO_ROOT, tempWorkspace } from '../helpers/paths.js';
import { TINY_GRID, recordedExecutor } from './fixtures/recorded.js';

const ws = tempWorkspace('ecgfm-cli-');

function ecgfm(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ECGFM_WORKSPACE: ws } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

beforeAll(async () => {
  const store = openStore(join(ws, 'ecgfm.sqlite'));
  createStudy(store, TINY_GRID);
  await runStudy(store, 'tiny', recordedExecutor({ oomKey: 'GL-P125-L2-D128' }));
  store.close();
});

describe('study, runs and report commands', () => {
  it('show study status, list, show and compare runs', async () => {
    const [status, list, show, compare] = await Promise.all([
      ecgfm('study', 'status', 'tiny', '--json'),
      ecgfm('runs', 'list', '--kind', 'pretrain', '--json'),
      ecgfm('runs', 'show', 'tiny-HL-P125-L2-D128'),
      ecgfm('runs', 'compare', 'tiny-CL-P125-L2-D64', 'tiny-HL-P125-L2-D128', '--json'),
    ]);
    expect(status.code, status.err).toBe(0);
    const s = JSON.parse(status.out) as { summary: { cells: number; oom: number; succeeded: number }; cells: { status: string }[] };
    expect(s.summary).toMatchObject({ cells: 20, succeeded: 19, oom: 1 });

    expect(list.code, list.err).toBe(0);
    const runs = JSON.parse(list.out) as { id: string }[];
    expect(runs.map((r) => r.id)).toHaveLength(11); // 12 SSL cells, one out of memory
    expect(runs.map((r) => r.id)).toContain('tiny-HL-P125-L2-D128');

    expect(show.code, show.err).toBe(0);
    expect(show.out).toMatch(/tiny-HL-P125-L2-D128 {2}\(pretrain, succeeded\)/);
    expect(show.out).toMatch(/final loss \(mean of last 10 steps\): total \d+\.\d{4} {2}patient/);
    expect(show.out).toMatch(/finetune {6}MI {5}AUROC 0\.\d{4} \[0\.600, 0\.900\]/);

    expect(compare.code, compare.err).toBe(0);
    const rows = (JSON.parse(compare.out) as { rows: { field: string; values: string[] }[] }).rows;
    expect(rows.find((r) => r.field === 'method')?.values).toEqual(['"CL"', '"HL"']);
    expect(rows.find((r) => r.field === 'model.dim')).toBeUndefined(); // the recorded runs keep the model flat
    expect(rows.find((r) => r.field === 'dim')?.values).toEqual(['64', '128']);
    const ft = rows.find((r) => r.field === 'finetune AUROC MI')!.values.map(Number);
    expect(ft[1]).toBeGreaterThan(ft[0]!); // HL with the wider encoder scores higher in the recorded results
  });

  it('writes the report and fails helpfully on bad input', async () => {
    const [report, missing, noName, badSub, badStudy] = await Promise.all([
      ecgfm('report', 'tiny'),
      ecgfm('report', 'nope'),
      ecgfm('study', 'run', '--dataset', 'x'),
      ecgfm('runs', 'frobnicate'),
      ecgfm('study', 'run', '--name', 'tiny', '--dataset', 'synthetic-test', '--dims', '32'),
    ]);
    expect(report.code, report.err).toBe(0);
    expect(report.out).toContain(join(ws, 'reports', 'tiny', 'report.html'));
    expect(existsSync(join(ws, 'reports', 'tiny', 'table8_risk_decomposition.csv'))).toBe(true);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/No study "nope" in the store \(studies: tiny\)/);
    expect(noName.code).toBe(2);
    expect(noName.err).toMatch(/--name NAME/);
    expect(badSub.code).toBe(2);
    expect(badStudy.code).toBe(2);
    expect(badStudy.err).toMatch(/already exists with a different configuration/);
  });
});
