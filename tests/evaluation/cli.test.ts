import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, sharedData, tempWorkspace } from '../helpers/paths.js';

const workspace = tempWorkspace('ecgfm-eval-cli-');

function ecgfm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ECGFM_WORKSPACE: workspace, ECGFM_THREADS: '1' },
    timeout: 240_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Fixture {
  cases: Array<{ labels: number[]; scores: number[]; auroc: number; ap: number }>;
}

describe('ecgfm metrics', () => {
  it('matches scikit-learn on a CSV of predictions', () => {
    const { cases } = JSON.parse(readFileSync(join(REPO_ROOT, 'tests', 'evaluation', 'fixtures', 'sklearn-metrics.json'), 'utf8')) as Fixture;
    // Two tasks from two fixture cases of one length, so they fit one CSV.
    const a = cases.find((c) => c.labels.length > 100) as Fixture['cases'][0];
    const b = cases.find((c) => c !== a && c.labels.length >= a.labels.length) as Fixture['cases'][0];
    const n = a.labels.length;
    const rows = ['id,label_A,score_A,label_B,score_B'];
    for (let i = 0; i < n; i++) rows.push(`r${i},${a.labels[i]},${a.scores[i]},${b.labels[i]},${b.scores[i]}`);
    const file = join(workspace, 'preds.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    const out = ecgfm('metrics', file, '--json', '--resamples', '200');
    expect(out.status, out.stderr).toBe(0);
    const report = JSON.parse(out.stdout) as { tasks: Array<{ task: string; auroc: number; auprc: number }>; criteria: number };
    expect(report.tasks.map((t) => t.task)).toEqual(['A', 'B']);
    expect(Math.abs((report.tasks[0]?.auroc as number) - a.auroc)).toBeLessThan(1e-9);
    expect(Math.abs((report.tasks[0]?.auprc as number) - a.ap)).toBeLessThan(1e-9);
    // Task B uses only the first n rows of its case, so check it against its own definition instead.
    expect(report.criteria).toBeCloseTo(report.tasks.reduce((s, t) => s + t.auroc + t.auprc, 0), 12);

    const table = ecgfm('metrics', file, '--resamples', '100');
    expect(table.stdout).toMatch(/AUROC/);
    expect(table.stdout).toMatch(/Criteria/);
    expect(table.stdout).toMatch(/95% CI/);
  });

  it('explains bad files', () => {
    const file = join(workspace, 'bad.csv');
    writeFileSync(file, 'label_MI,score_MI\n1,0.3\n2,0.4\n');
    const out = ecgfm('metrics', file);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/line 3: label_MI is "2"/);
    expect(ecgfm('metrics').status).toBe(2);
    expect(ecgfm('metrics', join(workspace, 'missing.csv')).status).toBe(3);
  });
});

describe('ecgfm evaluate on PTB-XL', () => {
  beforeAll(() => {
    const out = ecgfm('datasets', 'import', 'ptbxl', sharedData('ptbxl'), '--name', 'ptbxl', '--json');
    if (out.status !== 0) throw new Error(`import failed: ${out.stderr}`);
  }, 240_000);

  it('runs the random-init baselines, prints JSON and writes predictions `ecgfm metrics` reads', () => {
    const out = ecgfm(
      'evaluate', '--dataset', 'ptbxl', '--model', '250,1,32', '--protocols', 'random-linear,supervised',
      '--epochs', '1', '--probe-epochs', '5', '--resamples', '100', '--json',
    );
    expect(out.status, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout) as {
      outDir: string;
      results: Array<{ protocol: string; criteria: number; chosenEpochs: number[]; split: { test: number }; metrics: Array<{ task: string; auroc: number }> }>;
    };
    expect(r.results.map((x) => x.protocol)).toEqual(['random-linear', 'supervised']);
    for (const x of r.results) {
      expect(x.metrics.map((m) => m.task)).toEqual(['MI', 'STTC', 'CD', 'HYP']);
      expect(x.split.test).toBeGreaterThan(30);
    }
    const csv = join(r.outDir, 'predictions-random-linear.csv');
    expect(existsSync(csv)).toBe(true);
    expect(existsSync(join(r.outDir, 'result.json'))).toBe(true);
    const offline = JSON.parse(ecgfm('metrics', csv, '--json', '--resamples', '50').stdout) as { tasks: Array<{ auroc: number }> };
    offline.tasks.forEach((t, k) => expect(t.auroc).toBeCloseTo(r.results[0]?.metrics[k]?.auroc as number, 6));
  }, 240_000);

  it('says what to do when options are missing or wrong', () => {
    expect(ecgfm('evaluate', '--dataset', 'ptbxl').stderr).toMatch(/--encoder RUN/);
    const nope = ecgfm('evaluate', '--dataset', 'nope', '--model', '250,1,32');
    expect(nope.status).toBe(3);
    expect(nope.stderr).toMatch(/no dataset named "nope"/);
    expect(ecgfm('evaluate', '--dataset', 'ptbxl', '--encoder', 'no-such-run').status).toBe(3);
    expect(ecgfm('evaluate', '--dataset', 'ptbxl', '--model', '250,1,32', '--tasks', 'AFIB', '--protocols', 'random-linear').stderr).toMatch(/no label AFIB/);
    expect(ecgfm('simulate', '--dataset', 'ptbxl').status).toBe(2);
    expect(ecgfm('decompose', '--dataset', 'ptbxl').status).toBe(2);
  });
});
