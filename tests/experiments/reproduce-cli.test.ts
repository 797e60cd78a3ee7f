/**
 * `ecgfm reproduce` end to end through the real CLI on 500 real PTB-XL records at a tiny budget: it imports the
 * folder, plans from the machine's step rates (seeded here with quiet-machine figures, so the plan does not depend
 * on how busy the test machine is), runs the study of its seed, judges every finding and writes the verdict table;
 * run again it resumes with the same plan and changes nothing; with other settings it refuses.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FINDINGS } from '../../main/experiments/reproduce-findings.js';
import { MODEL_CANDIDATES } from '../../main/experiments/reproduce-plan.js';
import { REPO_ROOT, sharedData, tempWorkspace } from '../helpers/paths.js';

const ws = tempWorkspace('ecgfm-reproduce-');
const ptbxl = sharedData('ptbxl');

function ecgfm(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ECGFM_WORKSPACE: ws, ECGFM_THREADS: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const ARGS = ['reproduce', '--ptbxl', ptbxl, '--budget', '3m', '--seeds', '1', '--tasks', 'MI', '--max-model', '0', '--name', 'tiny'];
let first: Awaited<ReturnType<typeof ecgfm>>;

beforeAll(async () => {
  process.env.ECGFM_WORKSPACE = ws;
  const { writeCachedRates } = await import('../../main/experiments/reproduce-rates.js');
  writeCachedRates(MODEL_CANDIDATES[0]!, { cl: 150, gl: 600, hl: 120, finetune: 1200, infer: 3000 });
  first = await ecgfm(...ARGS);
}, 600_000);

describe('ecgfm reproduce', () => {
  it('prints its plan, runs to the end and prints the verdict table and the budget line', () => {
    expect(first.code, first.err.slice(-3000)).toBe(0);
    expect(first.err).toMatch(/Dataset ptbxl from .*: 500 added/);
    expect(first.err).toMatch(/model P250 L1 D32 \(2 heads\); pre-training \d+ steps × batch 32 per method/);
    expect(first.err).toMatch(/estimate in all: .* of the 3 min 0 s budget/);
    expect(first.out).toMatch(/HL linear probing beats Random Init on MI AUROC +-?\d\.\d{3} +-?\d\.\d{3} +\[-?\d\.\d{3}, +-?\d\.\d{3}\] +1 +(reproduced|not reproduced|inconclusive)/);
    expect(first.out).toMatch(/Took .* of the 3 min 0 s budget \(estimate .*\); (within|OVER) the budget by/);
    expect(first.out).toMatch(/\d+ reproduced, \d+ not reproduced, \d+ inconclusive, \d+ not run \(of \d+ findings\)/);
  });

  it('writes the verdicts and the paper-vs-ours tables: MI findings judged, criteria and other tasks too, what was not run says so', () => {
    const dir = join(ws, 'reports', 'tiny');
    for (const f of ['reproduce_verdicts.csv', 'reproduce_table4_linear_probing.csv', 'reproduce_table5_fine_tuning.csv', 'reproduce_table8_risk_paper.csv', 'reproduce.html', 'plan.txt'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    const rows = readFileSync(join(dir, 'reproduce_verdicts.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(FINDINGS.length);
    const byId = new Map(rows.map((r) => [r.split(',')[0]!, r]));
    // Judged on this run's one task: the MI AUROC findings and the criteria ones (over MI alone).
    expect(byId.get('t4-hl-vs-rand-mi')).toMatch(/,1,(reproduced|not reproduced|inconclusive),$/);
    expect(byId.get('t5-cl-vs-sl')).toMatch(/,1,(reproduced|not reproduced|inconclusive),$/);
    // CD was not evaluated; the simulations did not fit the budget.
    expect(byId.get('t4-hl-vs-rand-cd')).toMatch(/not run,task CD was not evaluated/);
    const t5 = readFileSync(join(dir, 'reproduce_table5_fine_tuning.csv'), 'utf8');
    expect(t5).toMatch(/^HL P125 L4 D512,paper,0\.9448,0\.9398,0\.9449,0\.9307,0\.8809,0\.8339,0\.8841,0\.7153,7\.0744$/m);
    expect(t5).toMatch(/^HL,ours \(1 seed\),0\.\d{4},,,,0\.\d{4},,,,\d\.\d{4} \(MI only\)$/m);
    const html = readFileSync(join(dir, 'reproduce.html'), 'utf8');
    expect(html).toContain('class="verdict v-');
    expect(html).not.toMatch(/<script[^>]+src=|https?:\/\//);
  });

  it('resumes with its recorded plan (same verdicts), and refuses other settings under the same name', async () => {
    const before = readFileSync(join(ws, 'reports', 'tiny', 'reproduce_verdicts.csv'), 'utf8');
    const again = await ecgfm(...ARGS);
    expect(again.code, again.err.slice(-2000)).toBe(0);
    expect(again.err).toMatch(/Resuming reproduction "tiny" with its plan/);
    expect(readFileSync(join(ws, 'reports', 'tiny', 'reproduce_verdicts.csv'), 'utf8')).toBe(before);
    const other = await ecgfm(...ARGS.slice(0, 4), '4m', ...ARGS.slice(5));
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/A reproduction named "tiny" exists with other settings .*budget 3 min 0 s/);
  }, 300_000);

  it('prints the plan of a 2 h, 3-seed reproduction with --plan-only and starts nothing', async () => {
    const plan = await ecgfm('reproduce', '--dataset', 'ptbxl', '--budget', '2h', '--plan-only', '--max-model', '0', '--name', 'plan');
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toMatch(/^Plan for a budget of 2 h 0 min on ptbxl \(\d+ train \/ \d+ validation \/ \d+ test records\), tasks MI, STTC, CD, HYP:/);
    expect(plan.out).toMatch(/3 seeds/);
    expect(plan.out).toMatch(/simulations \(fine-tuned SL, CL, GL, HL\): data usage 10\/25\/50\/100 %; case ratio 1\/2\/5 %/);
    expect(existsSync(join(ws, 'studies', 'plan-s0'))).toBe(false);
  });
});
