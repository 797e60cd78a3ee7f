/**
 * Scoring a PTB-XL cohort as a user would, through the CLI, on ../shared/data/ptbxl: a linear probe that
 * `ecgfm evaluate` trained on a tiny pre-trained encoder is exported as a package and `clinical run` scores fold 10
 * without --kind. The folder is recognised as PTB-XL, its labels are read, and the console, metrics.json and the
 * report give macro AUROC, macro AUPRC and the criteria with CIs, equal to the probe's own evaluation on the same
 * records. A --kind that disagrees with the folder warns; --limit scores a fixed subset; the usage names every option.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { limitRecords, resolveCohortKind } from '../../main/clinical/cohort.js';
import { readModelPackage } from '../../main/clinical/package.js';
import { auroc, averagePrecision, bootstrapCi, macroMetrics } from '../../main/evaluation/metrics.js';
import type { ClinicalMetrics } from '../../main/clinical/score.js';
import { ptbxlListing } from '../../main/data/adapters/ptbxl.js';
import { command as clinicalCommand } from '../../main/cli/commands/clinical.js';
import { SUBCOMMAND_OPTIONS, SUBCOMMAND_USAGE } from '../../main/cli/clinical-usage.js';
import { REPO_ROOT, sharedData, tempWorkspace } from '../helpers/paths.js';

const workspace = tempWorkspace('ecgfm-scoring-');
const ptbxl = sharedData('ptbxl');
const probePath = join(workspace, 'probe.ecgfm');
const TASKS = ['MI', 'STTC', 'CD', 'HYP'];
const listing = ptbxlListing(ptbxl).records;
const fold10 = listing.filter((r) => r.fields.strat_fold === 10);

function ecgfm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ECGFM_WORKSPACE: workspace, ECGFM_THREADS: '1' },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: ReturnType<typeof ecgfm>): ReturnType<typeof ecgfm> {
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

interface EvalResult {
  outDir: string;
  results: Array<{ criteria: number; metrics: Array<{ task: string; auroc: number; auprc: number; n: number }> }>;
}

let evaluation: EvalResult;
const run10 = join(workspace, 'fold10');
let console10 = '';

beforeAll(() => {
  ok(ecgfm('datasets', 'import', ptbxl, '--name', 'ptbxl', '--kind', 'ptbxl'));
  ok(ecgfm('pretrain', '--method', 'hl', '--dataset', 'ptbxl', '--patch', '125', '--depth', '1', '--dim', '32', '--steps', '4', '--batch-size', '16', '--run-id', 'enc', '--engine', 'tfjs', '--json'));
  const ev = ok(ecgfm('evaluate', '--encoder', 'enc', '--dataset', 'ptbxl', '--protocols', 'linear', '--probe-epochs', '20', '--resamples', '100', '--engine', 'tfjs', '--json'));
  evaluation = JSON.parse(ev.stdout) as EvalResult;
  ok(ecgfm('clinical', 'export-probe', evaluation.outDir, '--out', probePath, '--json'));
  // No --kind: the folder's content says PTB-XL.
  const r = ok(ecgfm('clinical', 'run', probePath, ptbxl, '--where', 'strat_fold=10', '--out', run10, '--engine', 'tfjs', '--resamples', '200'));
  console10 = r.stdout + r.stderr;
}, 240_000);

describe('an exported linear probe scored by clinical run', () => {
  it('is a package of the frozen encoder and the probe head, recording what the probe and its encoder saw', () => {
    const { header, weights } = readModelPackage(probePath);
    expect(header.tasks.map((t) => t.name)).toEqual(TASKS);
    expect(weights.get('task.w')?.shape).toEqual([32, 4]);
    expect(header.provenance.encoderRun).toMatch(/^enc \(.*step-00000004\), frozen$/);
    // Folds 1–9 (probe training + validation, and the encoder's folds 1–8) are what it saw; fold 10 is not.
    const seen = new Set(header.provenance.seen?.records);
    expect(seen.size).toBe(listing.filter((r) => Number(r.fields.strat_fold) <= 9).length);
    for (const r of fold10) expect(seen.has(r.id)).toBe(false);
    expect(header.calibration.ids).toHaveLength(listing.filter((r) => r.fields.strat_fold === 9).length);
  });

  it('recognises the PTB-XL folder without --kind and scores its labelled records', () => {
    expect(console10).toMatch(/cohort kind ptbxl: ptbxl_database\.csv found/);
    const m = JSON.parse(readFileSync(join(run10, 'metrics.json'), 'utf8')) as ClinicalMetrics;
    expect(m.summary.labelled).toBe(true);
    expect(m.summary.scored).toBe(fold10.length);
    for (const t of m.tasks) expect(t.positives).toBe(fold10.filter((r) => r.labels[t.task]).length);
  });

  it('gives the AUROC, AUPRC and criteria of the probe evaluation on the same records', () => {
    const m = JSON.parse(readFileSync(join(run10, 'metrics.json'), 'utf8')) as ClinicalMetrics;
    const ev = evaluation.results[0]!;
    expect(ev.metrics[0]!.n).toBe(fold10.length);
    for (const e of ev.metrics) {
      const t = m.tasks.find((x) => x.task === e.task)!;
      expect(Math.abs(t.auroc! - e.auroc)).toBeLessThan(0.005);
      expect(Math.abs(t.auprc! - e.auprc)).toBeLessThan(0.005);
    }
    expect(Math.abs(m.macro!.criteria - ev.criteria)).toBeLessThan(0.02);
    // Record by record, the package reproduces the evaluation's test scores.
    const evalRows = readFileSync(join(evaluation.outDir, 'predictions-linear.csv'), 'utf8').trim().split('\n');
    const head = evalRows[0]!.split(',');
    const byId = new Map(evalRows.slice(1).map((l) => l.split(',')).filter((c) => c[1] === 'test').map((c) => [c[0]!, c]));
    const preds = readFileSync(join(run10, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    let worst = 0;
    for (const p of preds) {
      const row = byId.get(p[0]!)!;
      worst = Math.max(worst, Math.abs(Number(p[5]) - Number(row[head.indexOf(`score_${p[4]}`)])));
    }
    expect(preds).toHaveLength(fold10.length * TASKS.length);
    // The evaluation read the dataset cache (int16, 1 µV steps); the cohort run reads the WFDB files themselves.
    expect(worst).toBeLessThan(5e-3);
  });

  it('prints macro AUROC, macro AUPRC and the criteria with CIs, and writes them to metrics.json and the report', () => {
    const m = JSON.parse(readFileSync(join(run10, 'metrics.json'), 'utf8')) as ClinicalMetrics;
    const macro = m.macro!;
    expect(macro.tasks).toEqual(TASKS);
    const mean = (k: 'auroc' | 'auprc') => m.tasks.reduce((a, t) => a + t[k]!, 0) / TASKS.length;
    expect(macro.macroAuroc).toBeCloseTo(mean('auroc'), 12);
    expect(macro.macroAuprc).toBeCloseTo(mean('auprc'), 12);
    expect(macro.criteria).toBeCloseTo(4 * (mean('auroc') + mean('auprc')), 12);
    for (const [v, ci] of [[macro.macroAuroc, macro.macroAurocCi], [macro.macroAuprc, macro.macroAuprcCi], [macro.criteria, macro.criteriaCi]] as const) {
      expect(ci[0]).toBeLessThan(ci[1]);
      expect(ci[0]).toBeLessThanOrEqual(v + 0.05);
      expect(ci[1]).toBeGreaterThanOrEqual(v - 0.05);
    }
    expect(macro.resamples).toBe(200);
    const f = (v: number) => v.toFixed(3);
    expect(console10).toContain(`macro AUROC ${f(macro.macroAuroc)} (95% CI ${f(macro.macroAurocCi[0])}–${f(macro.macroAurocCi[1])})`);
    expect(console10).toContain(`macro AUPRC ${f(macro.macroAuprc)} (95% CI ${f(macro.macroAuprcCi[0])}–${f(macro.macroAuprcCi[1])})`);
    expect(console10).toContain(`criteria ${f(macro.criteria)} (95% CI ${f(macro.criteriaCi[0])}–${f(macro.criteriaCi[1])}): Σ AUROC + Σ AUPRC over 4 tasks`);
    const html = readFileSync(join(run10, 'report.html'), 'utf8');
    expect(html).toContain('Performance over the tasks');
    expect(html).toContain(`<th>Macro AUROC</th><td>${f(macro.macroAuroc)}</td><td>${f(macro.macroAurocCi[0])}–${f(macro.macroAurocCi[1])}</td>`);
    expect(html).toContain(`<th>Criteria (Σ AUROC + Σ AUPRC, 4 tasks)</th><td>${f(macro.criteria)}</td>`);
  });
});

describe('macro metrics over tasks', () => {
  it('resample the records jointly: on one task they are the per-task bootstrap, and unlabelled tasks are left out', () => {
    const rows = readFileSync(join(run10, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const col = (task: string) => rows.filter((r) => r[4] === task);
    const mi = col('MI');
    const labels = mi.map((r) => Number(r[8]));
    const scores = mi.map((r) => Number(r[5]));
    const one = macroMetrics([{ task: 'MI', labels, scores }], { resamples: 300, seed: 7 });
    const ci = bootstrapCi(labels, scores, { resamples: 300, seed: 7 });
    expect(one.macroAurocCi).toEqual(ci.auroc);
    expect(one.macroAuprcCi).toEqual(ci.auprc);
    expect(one.macroAuroc).toBe(auroc(labels, scores));
    const none = labels.map(() => null);
    const two = macroMetrics([{ task: 'MI', labels, scores }, { task: 'CD', labels: none, scores }], { resamples: 50 });
    expect(two.tasks).toEqual(['MI']);
    expect(two.skipped).toEqual([{ task: 'CD', reason: 'no labelled records' }]);
    expect(two.criteria).toBeCloseTo(auroc(labels, scores) + averagePrecision(labels, scores), 12);
  });
});

describe('how clinical run reads a cohort', () => {
  it('warns, naming the folder and both kinds, when --kind disagrees with the folder', () => {
    const out = join(workspace, 'as-wfdb');
    const r = ok(ecgfm('clinical', 'run', probePath, ptbxl, '--kind', 'wfdb', '--limit', '3', '--out', out, '--engine', 'tfjs', '--resamples', '50', '--no-report'));
    const warning = `--kind wfdb disagrees with the folder: ${ptbxl} is ptbxl (ptbxl_database.csv found`;
    expect(r.stderr).toContain(`warning: ${warning}`);
    expect(r.stderr).toMatch(/its ptbxl labels are NOT read, so every record is scored as unlabelled\. Leave out --kind \(or give --kind ptbxl\)/);
    expect(r.stdout).toMatch(/no labels for MI, STTC, CD, HYP in this cohort/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ClinicalMetrics;
    expect(m.warnings![0]).toContain(warning);
    expect(m.macro).toBeNull();
    // A --kind that agrees, or reads the same files, says nothing; without one the detected kind is used.
    expect(resolveCohortKind(ptbxl, 'ptbxl')).toMatchObject({ kind: 'ptbxl', warning: null });
    expect(resolveCohortKind(ptbxl)).toMatchObject({ kind: 'ptbxl', warning: null });
    expect(resolveCohortKind(sharedData('code15-layout'), 'samitrop').warning).toBeNull();
    expect(resolveCohortKind(sharedData('code15-layout'), 'wfdb').warning).toMatch(/is code15 .*its code15 labels are NOT read/);
  }, 120_000);

  it('--limit N scores a fixed subset of N records, the same whatever the listing order', () => {
    const ids = fold10.map((r) => ({ id: r.id }));
    const pick = limitRecords(ids, 12).map((r) => r.id);
    expect(pick).toHaveLength(12);
    expect(limitRecords([...ids].reverse(), 12).map((r) => r.id).sort()).toEqual([...pick].sort());
    // Spread over the fold, not its first records.
    expect(pick).not.toEqual(fold10.slice(0, 12).map((r) => r.id));
    expect(limitRecords(ids, 500)).toHaveLength(fold10.length);

    const out = join(workspace, 'limit12');
    const r = ok(ecgfm('clinical', 'run', probePath, ptbxl, '--where', 'strat_fold=10', '--limit', '12', '--out', out, '--engine', 'tfjs', '--resamples', '50', '--no-report', '--json'));
    const res = JSON.parse(r.stdout) as { scored: number; complete: boolean; cohort: string; metrics: ClinicalMetrics };
    expect(res).toMatchObject({ scored: 12, complete: true });
    expect(res.cohort).toMatch(/a subset of 12 chosen by --limit 12/);
    const scored = readFileSync(join(out, 'scores.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
    expect(scored.sort()).toEqual([...pick].sort());
    expect(res.metrics.summary.scored).toBe(12);
    expect(readdirSync(out)).toContain('metrics.json');
  }, 120_000);
});

describe('ecgfm clinical usage', () => {
  it('names every option that each subcommand accepts', () => {
    const usage = clinicalCommand.usage;
    for (const [sub, options] of Object.entries(SUBCOMMAND_OPTIONS)) {
      const block = SUBCOMMAND_USAGE[sub as keyof typeof SUBCOMMAND_USAGE];
      expect(block, sub).toBeDefined();
      expect(usage).toContain(block);
      for (const name of Object.keys(options)) {
        const rule = ['target-sensitivity', 'target-specificity', 'youden', 'threshold'].includes(name);
        // The operating-rule options are spelled out once, in the RULE line that the block refers to.
        if (rule) expect(block, `${sub} --${name}`).toContain('[RULE]');
        else expect(block, `${sub} --${name}`).toMatch(new RegExp(`--${name}\\b`));
        expect(usage).toMatch(new RegExp(`--${name}\\b`));
      }
    }
    expect(SUBCOMMAND_USAGE.finetune).toMatch(/--patience N/);
  });
});
