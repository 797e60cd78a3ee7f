/**
 * Studies on a real Slurm cluster (the one-node loopback cluster `.ci/slurm.sh` starts), through the real CLI:
 * a 2-method × 2-patch smoke study as a job array equals the same study run on this machine; a scancelled task
 * resumes from its checkpoint on `study resume`; a failing cell reports its error and its log's tail.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../main/cli/index.js';
import { openStore, type Store } from '../../main/store/store.js';
import { createStudy } from '../../main/experiments/study.js';
import type { StudyConfig } from '../../main/experiments/grid.js';
import { clusterTasks } from '../../main/cluster/records.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ptbxlWorkspace } from '../helpers/ptbxl.js';

let ws = '';
const env = () => ({ ...process.env, ECGFM_WORKSPACE: ws, ECGFM_THREADS: '1', NO_COLOR: '1' });

function ecgfm(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/ecgfm.mjs'), ...args], { env: env(), cwd: REPO_ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

/** `ecgfm study status NAME` through the CLI's entry in this process, its printed lines captured. */
async function statusInProcess(name: string): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...xs: unknown[]) => void lines.push(xs.join(' ')));
  try {
    await main(['study', 'status', name]);
  } catch {
    // the study may not be in the store yet
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`Timed out waiting for ${what}`);
    await sleep(250);
  }
}

const withStore = <T>(fn: (s: Store) => T): T => {
  const s = openStore(join(ws, 'ecgfm.sqlite'));
  try {
    return fn(s);
  } finally {
    s.close();
  }
};

const SMOKE = ['--dataset', 'ptbxl', '--methods', 'CL,GL', '--patches', '125,250', '--depths', '1', '--dims', '32', '--tasks', 'MI',
  '--protocols', 'linear', '--baselines', 'none', '--steps', '12', '--batch', '16', '--probe-epochs', '2', '--seed', '7'];

beforeAll(async () => {
  const probe = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    throw new Error(`No Slurm cluster answers (sinfo: ${probe.error?.message ?? probe.stderr.trim()}); \`bash .ci/slurm.sh\` installs slurm-wlm and munge and starts the one-node test cluster.`);
  if (!/idle|mixed|allocated/.test(probe.stdout)) throw new Error(`The Slurm test node is not up: sinfo says "${probe.stdout.trim()}"; run \`bash .ci/slurm.sh\`.`);
  ws = await ptbxlWorkspace('ecgfm-slurm-');
}, 120_000);

describe('studies on Slurm', () => {
  it('runs a 2 × 2 smoke study as a job array with the same results as on this machine', async () => {
    const run = ecgfm('study', 'run', '--name', 'smoke', ...SMOKE, '--executor', 'slurm', '--poll', '1');
    // While it runs: the status shows each cell's task and Slurm state, and a step read from the workspace
    // (the command is called in-process here, so that it is quick enough to catch 12-step cells running).
    let live = '';
    // A cell shows "step 0/12" (its untrained validation point) before its first training loss: wait for a loss.
    for (let i = 0; i < 600 && !/running\s+step \d+\/12 loss \d/.test(live); i++) {
      await sleep(200);
      live = await statusInProcess('smoke');
    }
    console.log(`ecgfm study status smoke (while running on Slurm):\n${live}`);
    expect(live).toMatch(/\d+_\d\s+running\s+step \d+\/12 loss \d/);
    const done = await run;
    expect(done.code, done.err).toBe(0);
    const after = await ecgfm('study', 'status', 'smoke');
    console.log(`ecgfm study status smoke (after):\n${after.out}`);
    expect(after.out).toMatch(/4\/4 succeeded/);
    expect(after.out.match(/succeeded\s+\d+_\d\s+completed\s+step 12\/12 loss/g)).toHaveLength(4);

    const script = join(ws, 'studies/smoke/slurm/array-1.sbatch');
    expect(existsSync(script)).toBe(true);

    const local = await ecgfm('study', 'run', '--name', 'smoke-local', ...SMOKE);
    expect(local.code, local.err).toBe(0);

    withStore((store) => {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const slurmStudy = store.getStudy('smoke')!;
      const localStudy = store.getStudy('smoke-local')!;
      // Four tasks finished together and were merged: every cell has its own pre-training and probe, nothing twice.
      const runs = store.listRuns({ studyId: slurmStudy.id });
      expect(runs.map((r) => `${r.kind}:${r.cellIndex}:${r.status}`).sort()).toEqual(
        [0, 1, 2, 3].flatMap((i) => [`linear:${i}:succeeded`, `pretrain:${i}:succeeded`]).sort(),
      );
      expect(new Set(runs.filter((r) => r.kind === 'pretrain').map((r) => r.dir)).size).toBe(4);
      expect([...clusterTasks(store, slurmStudy.id).values()].map((t) => t.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
      const byKey = (studyId: string) => {
        const cells = store.studyCells(studyId);
        const runCell = new Map(store.listRuns({ studyId }).map((r) => [r.id, cells[r.cellIndex!]!.key]));
        return new Map(store.evaluations({ studyId }).map((e) => [`${runCell.get(e.runId)} ${e.protocol} ${e.task} ${e.metric}`, e.value]));
      };
      const a = byKey(slurmStudy.id);
      const b = byKey(localStudy.id);
      expect(a.size).toBe(4 * 5);
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      for (const [k, v] of a) expect(Math.abs((v ?? NaN) - (b.get(k) ?? NaN)), k).toBeLessThan(1e-6);
      for (const c of store.studyCells(slurmStudy.id)) {
        const slurmLoss = store.metricSeries(`smoke-${c.key}`, 'total');
        const localLoss = store.metricSeries(`smoke-local-${c.key}`, 'total');
        expect(slurmLoss).toHaveLength(12);
        slurmLoss.forEach((p, i) => expect(Math.abs(p.value - localLoss[i]!.value)).toBeLessThan(1e-6));
      }
    });
  }, 400_000);

  it('resumes a scancelled task from its checkpoint and reports a failing cell with its log', async () => {
    const config: StudyConfig = {
      name: 'faults', dataset: 'ptbxl', tasks: ['MI'], methods: ['HL'], patches: [125, 250], depths: [1], dims: [32],
      protocols: ['linear'], baselines: [], seed: 3, split: 'strat_fold',
      pretrain: { steps: 60, batchSize: 16, checkpointEvery: 5, logEvery: 1 },
      downstream: { probe: { epochs: 1 }, endToEnd: {} },
    };
    withStore((store) => createStudy(store, config));
    // Cell 0's run folder is damaged (a config.json that is not JSON): a real error, not a cluster fault.
    const broken = join(ws, 'runs', 'faults-HL-P125-L1-D32');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'config.json'), '{ not json');
    const runDir = join(ws, 'runs', 'faults-HL-P250-L1-D32');

    const first = ecgfm('study', 'resume', 'faults', '--executor', 'slurm', '--poll', '1');
    // Cancel cell 1's task once it has a checkpoint, while it runs.
    await until('a checkpoint of cell 1', () => existsSync(join(runDir, 'checkpoints')) && readdirSync(join(runDir, 'checkpoints')).some((f) => f.startsWith('step-')), 180_000);
    const task = withStore((store) => clusterTasks(store, store.getStudy('faults')!.id).get(1)!);
    const scancel = spawnSync('scancel', [`${task.jobId}_${task.taskId}`], { encoding: 'utf8' });
    expect(scancel.status, scancel.stderr).toBe(0);
    const stopped = await first;
    expect(stopped.code, stopped.err).toBe(130);

    const status = await ecgfm('study', 'status', 'faults');
    console.log(`ecgfm study status faults (after scancel):\n${status.out}`);
    expect(status.out).toMatch(/0 HL-P125-L1-D32\s+failed\s+\d+_0\s+failed/);
    expect(status.out).toMatch(/1 HL-P250-L1-D32\s+pending\s+\d+_1\s+cancelled/);
    const { cell0, stepAtCancel } = withStore((store) => {
      const study = store.getStudy('faults')!;
      const c = store.studyCells(study.id);
      return { cell0: c[0]!, stepAtCancel: store.getRun('faults-HL-P250-L1-D32')!.step };
    });
    expect(cell0.error).toMatch(/JSON/);
    expect(cell0.error).toMatch(/--- last lines of .*logs\/\d+_0\.log ---\necgfm: cell 0 of study faults on/);
    expect(stepAtCancel).toBeGreaterThanOrEqual(5);
    expect(stepAtCancel).toBeLessThan(60);

    const resumed = await ecgfm('study', 'resume', 'faults', '--poll', '1');
    expect(resumed.code, resumed.err).toBe(1); // finished, with cell 0's failure
    withStore((store) => {
      const study = store.getStudy('faults')!;
      expect(store.studyCells(study.id).map((c) => c.status)).toEqual(['failed', 'succeeded']);
      const run = store.getRun('faults-HL-P250-L1-D32')!;
      expect(run).toMatchObject({ status: 'succeeded', step: 60 });
      // The step count continued from the checkpoint taken when the task was cancelled.
      const resumedFrom = run.config.resumedFrom as number[];
      expect(resumedFrom).toHaveLength(1);
      expect(resumedFrom[0]).toBeGreaterThanOrEqual(5);
      expect(resumedFrom[0]).toBeLessThanOrEqual(stepAtCancel);
      expect(store.metricSeries(run.id, 'total').map((p) => p.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      expect(clusterTasks(store, study.id).get(1)).toMatchObject({ state: 'completed', attempts: 2 });
    });
  }, 400_000);
});
