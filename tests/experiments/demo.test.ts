/**
 * The main job end to end at smoke scale, through the real CLI: kill it during pre-training, run it again, and
 * check that the run resumed from its checkpoint with the step count continuing, that every cell finished, and
 * that the report is rebuilt from the store after its folder is deleted.
 */
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../main/store/store.js';
import { REPO_ROOT, tempWorkspace } from '../helpers/paths.js';

const CLI = join(REPO_ROOT, 'bin', 'ecgfm.mjs');
// One patch size keeps this kill-and-resume test small; the default grid's two patch sizes are checked below.
const SMOKE = ['--patients', '50', '--steps', '12', '--patches', '125', '--checkpoint-every', '3', '--probe-epochs', '3', '--finetune-epochs', '1'];

function cli(args: string[], workspace: string): { child: ChildProcess; done: Promise<{ code: number | null; out: string; err: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ECGFM_WORKSPACE: workspace }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done };
}

function checkpointSteps(runDir: string): number[] {
  const dir = join(runDir, 'checkpoints');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((n) => /^step-(\d+)$/.exec(n)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number);
}

describe('ecgfm demo', () => {
  it('survives a kill during pre-training, resumes from the checkpoint, and writes a rebuildable report', async () => {
    const ws = tempWorkspace('ecgfm-demo-');
    const clRun = join(ws, 'runs', 'demo-CL-P125-L2-D64');

    const first = cli(['demo', ...SMOKE], ws);
    const t0 = Date.now();
    while (!checkpointSteps(clRun).some((s) => s >= 3)) {
      if (Date.now() - t0 > 150_000) throw new Error(`no checkpoint appeared:\n${(await (first.child.kill(), first.done)).err}`);
      if (first.child.exitCode !== null) throw new Error(`demo ended before the kill:\n${(await first.done).err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    first.child.kill('SIGKILL');
    await first.done;
    const killedAt = Math.max(...checkpointSteps(clRun));
    expect(killedAt).toBeLessThan(12);

    const second = await cli(['demo', ...SMOKE], ws).done;
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/Report: .*report\.html/);

    const store = openStore(join(ws, 'ecgfm.sqlite'));
    try {
      const cl = store.getRun('demo-CL-P125-L2-D64')!;
      expect(cl.status).toBe('succeeded');
      expect(cl.step).toBe(12);
      // It continued from the checkpoint written before the kill…
      expect(cl.config.resumedFrom).toEqual([killedAt]);
      // …and its loss series runs once through steps 1–12, in the run folder and in the store.
      const logged = readFileSync(join(clRun, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
      expect(logged).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(store.metricSeries(cl.id, 'total').map((p) => p.step)).toEqual(logged);
      expect(store.db.prepare("SELECT attempts FROM jobs WHERE kind = 'study'").get()).toEqual({ attempts: 2 });

      const study = store.getStudy('demo')!;
      expect(store.studyCells(study.id).map((c) => `${c.method}:${c.status}`)).toEqual(['CL:succeeded', 'GL:succeeded', 'HL:succeeded', 'RAND:succeeded', 'SL:succeeded']);
      const kinds = store.listRuns({ studyId: study.id }).filter((r) => r.status === 'succeeded').map((r) => r.kind).sort();
      expect(kinds).toEqual(['finetune', 'finetune', 'finetune', 'linear', 'linear', 'linear', 'pretrain', 'pretrain', 'pretrain', 'random-linear', 'supervised']);
      for (const r of store.listRuns({ studyId: study.id })) expect(r.backend).toMatch(/^(wasm|cpu|tfjs)/);
      const aurocs = store.evaluations({ studyId: study.id }).filter((e) => e.metric === 'auroc');
      expect(aurocs).toHaveLength(8 * 4); // 8 downstream runs × 4 tasks
      for (const e of aurocs) {
        expect(e.value).toBeGreaterThanOrEqual(0);
        expect(e.value).toBeLessThanOrEqual(1);
        expect(e.ciLow!).toBeLessThanOrEqual(e.value!);
      }
    } finally {
      store.close();
    }

    // The report comes back from the store alone.
    const reportDir = join(ws, 'reports', 'demo');
    const before = readFileSync(join(reportDir, 'table5_fine_tuning.csv'), 'utf8');
    expect(before.split('\n')[0]).toBe('Method,Patch,Depth,Dim,AUROC MI,AUROC STTC,AUROC CD,AUROC HYP,AUPRC MI,AUPRC STTC,AUPRC CD,AUPRC HYP,Criteria');
    expect(before).toMatch(/^SL \(Supervised Learning\) \(Baseline\),125,2,64,/m);
    expect(before).toMatch(/^HL \(Hybrid Learning\),125,2,64,/m);
    rmSync(reportDir, { recursive: true });
    const rebuilt = await cli(['report', 'demo'], ws).done;
    expect(rebuilt.code, rebuilt.err).toBe(0);
    expect(readFileSync(join(reportDir, 'table5_fine_tuning.csv'), 'utf8')).toBe(before);
    expect(existsSync(join(reportDir, 'report.html'))).toBe(true);
  }, 400_000);
});
