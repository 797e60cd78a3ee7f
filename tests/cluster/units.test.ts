/** The Slurm executor's parts alone: the tools' output parsed, the batch script, the settling rule and the merge. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normaliseState, parseSacct, parseSqueue, parseSubmitted, taskFromRecord } from '../../main/cluster/slurm.js';
import { arraySpec, batchScript, gresFor } from '../../main/cluster/batch.js';
import { decide } from '../../main/cluster/executor.js';
import { mergeCellStore } from '../../main/cluster/merge.js';
import { slurmSettingsSchema } from '../../contract/cluster.js';
import { openStore } from '../../main/store/store.js';
import { tempWorkspace } from '../helpers/paths.js';

// A line of this cluster's jobcomp/filetxt log (Slurm 22.05, .ci/slurm.sh).
const JOBCOMP = 'JobId=3 UserId=root(0) GroupId=root(0) Name=t.sh JobState=TIMEOUT Partition=debug TimeLimit=1 StartTime=2026-12-01T17:01:50 EndTime=2026-12-01T17:01:53 NodeList=vm NodeCnt=1 ProcCnt=1 WorkDir=/tmp ReservationName= Tres=cpu=1,mem=21694M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-01T17:01:48 EligibleTime=2026-12-01T17:01:50 ArrayJobId=1 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=0:15 ';

describe('Slurm tool output', () => {
  it('normalises Slurm states to the product vocabulary', () => {
    expect(['PENDING', 'RUNNING', 'COMPLETING', 'COMPLETED', 'FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'PREEMPTED', 'CANCELLED by 0', 'NODE_FAIL', 'REQUEUED', 'WHATEVER'].map(normaliseState))
      .toEqual(['pending', 'running', 'running', 'completed', 'failed', 'timeout', 'out-of-memory', 'preempted', 'cancelled', 'node-fail', 'pending', 'unknown']);
  });

  it('parses squeue, sacct, scontrol/jobcomp records and sbatch', () => {
    expect(parseSqueue('41|0|RUNNING|None\n41|1|PENDING|Resources\n42|N/A|PENDING|None\n')).toEqual([
      { jobId: '41', taskId: 0, state: 'running', raw: 'RUNNING', reason: '' },
      { jobId: '41', taskId: 1, state: 'pending', raw: 'PENDING', reason: 'Resources' },
    ]);
    expect(parseSacct('41_0|COMPLETED|0:0|None\n41_1|CANCELLED by 0|0:15|None\n41_[2-3]|PENDING|0:0|None')).toMatchObject([
      { jobId: '41', taskId: 0, state: 'completed' },
      { jobId: '41', taskId: 1, state: 'cancelled', exitCode: '0:15' },
    ]);
    expect(taskFromRecord(JOBCOMP)).toEqual({ jobId: '1', taskId: 1, state: 'timeout', raw: 'TIMEOUT', reason: '', exitCode: '0:15' });
    expect(taskFromRecord('JobId=9 JobState=COMPLETED')).toBeNull();
    expect(parseSubmitted('Submitted batch job 123\n')).toBe('123');
    expect(() => parseSubmitted('sbatch: error: invalid partition')).toThrow(/did not report a job id: sbatch: error/);
  });
});

describe('batch script', () => {
  it('writes one array task per cell with the settings as #SBATCH lines', () => {
    expect(arraySpec([7, 0, 1, 2, 3, 9, 10], 4)).toBe('0-3,7,9-10%4');
    const settings = slurmSettingsSchema.parse({ partition: 'gpu', account: 'cardio', qos: 'long', time: '2-00:00:00', cpusPerTask: 8, mem: '64G', maxParallel: 16, backend: 'tfjs-node-gpu', sbatchArgs: ['--constraint=a100'] });
    const script = batchScript({ study: 'paper', indices: [0, 1, 2], settings, workspace: '/shared/ws', logDir: '/shared/ws/studies/paper/slurm/logs', node: '/opt/node20/bin/node', entry: '/opt/ecgfm/bin/ecgfm.mjs' });
    const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH')).map((l) => l.slice(8));
    expect(directives).toEqual([
      '--job-name=ecgfm-paper', '--array=0-2%16', '--output=/shared/ws/studies/paper/slurm/logs/%A_%a.log', '--chdir=/shared/ws/studies/paper/slurm', '--ntasks=1',
      '--partition=gpu', '--account=cardio', '--qos=long', '--time=2-00:00:00', '--gres=gpu:1', '--cpus-per-task=8', '--mem=64G', '--constraint=a100',
    ]);
    expect(script).toContain("export ECGFM_WORKSPACE='/shared/ws'");
    expect(script).toContain("export ECGFM_BACKEND='tfjs-node-gpu'");
    expect(script).toContain(`exec '/opt/node20/bin/node' '/opt/ecgfm/bin/ecgfm.mjs' study cell 'paper' "$SLURM_ARRAY_TASK_ID"`);
    expect(gresFor({ backend: 'wasm' })).toBeNull();
    expect(gresFor({ backend: 'tfjs-node-gpu', gres: 'none' })).toBeNull();
    expect(gresFor({ gres: 'gpu:a100:2' })).toBe('gpu:a100:2');
    expect(slurmSettingsSchema.safeParse({ time: 'two days' }).success).toBe(false);
    expect(slurmSettingsSchema.safeParse({ partition: 'a b' }).success).toBe(false);
  });
});

describe('settling a finished task', () => {
  const task = { attempts: 1, jobId: '5', taskId: 2 };
  const final = (raw: string) => ({ jobId: '5', taskId: 2, state: normaliseState(raw), raw, reason: '' });
  const outcome = (status: 'succeeded' | 'failed' | 'oom' | 'interrupted', error: string | null = null) => ({ status, error, jobId: '5', taskId: 2, host: 'n1', finishedAt: '' });
  it('trusts the cell for its own result and Slurm for the cluster faults', () => {
    expect(decide(final('COMPLETED'), outcome('succeeded'), task, 3)).toEqual({ state: 'completed', cell: 'succeeded', error: null });
    expect(decide(final('FAILED'), outcome('failed', 'Loss became NaN'), task, 3)).toMatchObject({ cell: 'failed', error: 'Loss became NaN' });
    expect(decide(final('FAILED'), outcome('oom', 'Out of memory'), task, 3)).toMatchObject({ state: 'out-of-memory', cell: 'oom' });
    expect(decide(final('OUT_OF_MEMORY'), null, task, 3)).toMatchObject({ state: 'out-of-memory', cell: 'oom' });
    for (const raw of ['TIMEOUT', 'PREEMPTED', 'NODE_FAIL']) expect(decide(final(raw), outcome('interrupted'), task, 3).cell).toBe('resubmit');
    expect(decide(final('TIMEOUT'), null, { ...task, attempts: 4 }, 3)).toMatchObject({ cell: 'failed', error: expect.stringMatching(/gave up after 3 resubmissions/) });
    expect(decide(final('CANCELLED by 0'), outcome('interrupted'), task, 3)).toMatchObject({ state: 'cancelled', cell: 'pending' });
    expect(decide(final('FAILED'), null, task, 3)).toMatchObject({ cell: 'failed', error: expect.stringMatching(/5_2 ended FAILED/) });
    expect(decide(undefined, null, task, 3)).toMatchObject({ state: 'unknown', cell: 'failed' });
  });
});

describe('merging per-cell stores', () => {
  it('copies four cells into the workspace store once, however often it is merged', () => {
    const ws = tempWorkspace('ecgfm-merge-');
    const cells = [0, 1, 2, 3].map((i) => ({ key: `HL-P${125 * (i + 1)}-L1-D32`, method: 'HL', patch: 125 * (i + 1), depth: 1, dim: 32 }));
    const main = openStore(join(ws, 'ecgfm.sqlite'));
    const study = main.createStudy('m', { name: 'm' }, cells);
    const paths = cells.map((c, i) => {
      const path = join(ws, `cell-${i}.sqlite`);
      const s = openStore(path);
      const own = s.createStudy('m', { name: 'm' }, cells);
      const run = s.createRun({ id: `m-${c.key}`, kind: 'pretrain', studyId: own.id, cellIndex: i, status: 'succeeded', step: 3 });
      s.addMetrics(run.id, [1, 2, 3].map((step) => ({ name: 'total', step, value: i + step / 10 })));
      const probe = s.createRun({ kind: 'linear', studyId: own.id, cellIndex: i, parentRunId: run.id, status: 'succeeded' });
      s.addEvaluations(probe.id, [{ task: 'MI', protocol: 'linear', metric: 'auroc', value: 0.5 + i / 10 }]);
      s.updateCell(own.id, i, { runId: run.id });
      s.close();
      return path;
    });
    for (let round = 0; round < 2; round++) paths.forEach((p, i) => mergeCellStore(main, study.id, i, p));
    expect(main.listRuns({ studyId: study.id })).toHaveLength(8);
    expect(main.evaluations({ studyId: study.id }).map((e) => e.value)).toEqual([0.5, 0.6, 0.7, 0.8]);
    expect(main.metricSeries(`m-${cells[2]!.key}`, 'total').map((p) => p.value)).toEqual([2.1, 2.2, 2.3]);
    expect(main.studyCells(study.id).map((c) => c.runId)).toEqual(cells.map((c) => `m-${c.key}`));
    expect(main.db.pragma('integrity_check', { simple: true })).toBe('ok');
    main.close();
  });
});
