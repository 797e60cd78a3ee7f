/**
 * The Slurm executor: a study's pending cells as one job array, watched until every cell has settled. Each poll
 * asks squeue (live tasks), then sacct / scontrol / the completion log (finished ones), reads the outcome the task
 * wrote, merges the cell's own store into the workspace's, and decides: succeeded, failed (with its log's tail),
 * OOM, back to pending (cancelled), or resubmitted (timeout, preemption, node failure), resuming from checkpoint.
 */
import { STUDY_BASELINES } from '../../contract/vocabulary.js';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESUBMITTED_SLURM_STATES, type ClusterCellView, type SlurmCellState, type SlurmSettings } from '../../contract/cluster.js';
import { nowIso, type Store } from '../store/store.js';
import type { CellRecord, CellStatus, StudyRecord } from '../store/types.js';
import type { StudyConfig } from '../experiments/grid.js';
import { pipelineExecutor, pretrainRunId } from '../experiments/pipeline.js';
import type { CellContext, CellExecutor, StudyEvent } from '../experiments/study.js';
import { workspaceDir } from '../workspace.js';
import { batchScript } from './batch.js';
import { cellStorePath, clusterDir, logPath, logTail, outcomePath, progressPath, readOutcome, readProgress, writeSnapshot, type CellOutcome } from './layout.js';
import { mergeCellStore } from './merge.js';
import { clusterTasks, recordSubmission, submissions, updateTask, type ClusterTask } from './records.js';
import { Slurm, tailLines, type TaskState } from './slurm.js';

export interface SlurmExecutorOptions {
  settings: SlurmSettings;
  slurm?: Slurm;
  /** Milliseconds between polls of the scheduler. */
  pollMs?: number;
  /** The Node binary and `ecgfm` entry written into the batch script (defaults: this process's). */
  node?: string;
  entry?: string;
}

/** Submits these cells as one array; returns its job id. */
export async function submitCells(store: Store, study: StudyRecord, indices: number[], opts: SlurmExecutorOptions): Promise<string> {
  const slurm = opts.slurm ?? new Slurm();
  const cells = store.studyCells(study.id);
  writeSnapshot({ name: study.name, config: study.config, cells: cells.map(({ key, method, patch, depth, dim }) => ({ key, method, patch, depth, dim })) });
  const dir = clusterDir(study.name);
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  // An outcome left by an earlier attempt must not be read as this one's.
  for (const i of indices) for (const f of [outcomePath(study.name, i), progressPath(study.name, i)]) rmSync(f, { force: true });
  const script = join(dir, `array-${submissions(store, study.id).length + 1}.sbatch`);
  writeFileSync(script, batchScript({ study: study.name, indices, settings: opts.settings, workspace: workspaceDir(), logDir, node: opts.node, entry: opts.entry }), { mode: 0o755 });
  const jobId = await slurm.sbatch(script);
  recordSubmission(store, study.id, { jobId, script, settings: opts.settings, cells: indices });
  for (const i of indices) store.updateCell(study.id, i, { status: 'running', startedAt: nowIso(), finishedAt: null, error: null });
  return jobId;
}

interface Decision {
  state: SlurmCellState;
  cell: CellStatus | 'resubmit';
  error: string | null;
}

/** What a finished task means for its cell, from Slurm's final state and the outcome the cell wrote. */
export function decide(final: TaskState | undefined, outcome: CellOutcome | null, task: Pick<ClusterTask, 'attempts' | 'jobId' | 'taskId'>, maxResubmits: number): Decision {
  const state: SlurmCellState = final?.state ?? (outcome ? (outcome.status === 'succeeded' ? 'completed' : 'failed') : 'unknown');
  const id = `${task.jobId}_${task.taskId}`;
  if (outcome?.status === 'succeeded') return { state, cell: 'succeeded', error: null };
  if (outcome?.status === 'oom' || state === 'out-of-memory') return { state: 'out-of-memory', cell: 'oom', error: outcome?.error ?? `Slurm task ${id} ran out of memory (OUT_OF_MEMORY).` };
  if (outcome?.status === 'failed') return { state: 'failed', cell: 'failed', error: outcome.error };
  if (state === 'cancelled') return { state, cell: 'pending', error: `Slurm task ${id} was cancelled; \`ecgfm study resume\` resubmits it.` };
  // A cell stopped by a signal Slurm did not record as a cancellation is a fault of the cluster too.
  if (RESUBMITTED_SLURM_STATES.includes(state) || outcome?.status === 'interrupted') {
    if (task.attempts > maxResubmits) return { state, cell: 'failed', error: `Slurm task ${id} ended ${final?.raw ?? state} on attempt ${task.attempts}; gave up after ${maxResubmits} resubmissions.` };
    return { state, cell: 'resubmit', error: null };
  }
  if (state === 'completed') return { state: 'failed', cell: 'failed', error: `Slurm task ${id} completed without writing its outcome.` };
  const code = final?.exitCode ? `, exit code ${final.exitCode}` : '';
  return { state, cell: 'failed', error: `Slurm task ${id} ended ${final?.raw ?? 'without a trace in squeue, sacct or scontrol'}${code} before its cell finished.` };
}

export interface RefreshResult {
  /** Cells whose task is still pending or running on the cluster. */
  active: number;
  settled: number[];
  resubmitted: number[];
}

/** One poll: live states, then settle every finished task (merge its store, record its cell, resubmit faults). */
export async function refresh(store: Store, study: StudyRecord, opts: SlurmExecutorOptions & { resubmit: boolean }): Promise<RefreshResult> {
  const slurm = opts.slurm ?? new Slurm();
  const open = [...clusterTasks(store, study.id).values()].filter((t) => !t.settled);
  const key = (t: { jobId: string; taskId: number }) => `${t.jobId}_${t.taskId}`;
  const live = new Map((await slurm.queue([...new Set(open.map((t) => t.jobId))])).map((t) => [key(t), t]));
  const gone = open.filter((t) => !live.has(key(t)));
  const finals = new Map((await slurm.finished([...new Set(gone.map((t) => t.jobId))])).map((t) => [key(t), t]));
  const result: RefreshResult = { active: 0, settled: [], resubmitted: [] };
  const resubmit: number[] = [];
  for (const t of open) {
    const now = live.get(key(t));
    if (now) {
      if (now.state !== t.state || now.reason !== t.reason) updateTask(store, study.id, t.index, { state: now.state, reason: now.reason });
      result.active++;
      continue;
    }
    let outcome = readOutcome(study.name, t.index);
    if (outcome && outcome.jobId !== null && outcome.jobId !== t.jobId) outcome = null;
    const final = finals.get(key(t));
    // Just left the queue, and neither Slurm nor the cell has said how yet: ask again next poll.
    if (!final && !outcome && Date.now() - Date.parse(t.updatedAt) < 30_000) {
      result.active++;
      continue;
    }
    const d = decide(final, outcome, t, opts.settings.maxResubmits);
    mergeCellStore(store, study.id, t.index, cellStorePath(study.name, t.index));
    updateTask(store, study.id, t.index, { state: d.state, reason: final?.reason ?? '', settled: true });
    if (d.cell === 'resubmit') {
      resubmit.push(t.index);
      store.updateCell(study.id, t.index, { status: 'pending', error: `Slurm task ${key(t)} ended ${d.state}; resubmitted to resume from its checkpoint.` });
      continue;
    }
    let error = d.error;
    if (d.cell === 'failed' || d.cell === 'oom') {
      const tail = logTail(logPath(study.name, t.jobId, t.taskId));
      if (tail) error = `${error ?? 'failed'}\n--- last lines of ${logPath(study.name, t.jobId, t.taskId)} ---\n${tail}`;
    }
    store.updateCell(study.id, t.index, { status: d.cell, error, finishedAt: d.cell === 'pending' ? null : nowIso() });
    result.settled.push(t.index);
  }
  if (resubmit.length && opts.resubmit) {
    await submitCells(store, study, resubmit, opts);
    result.resubmitted = resubmit;
    result.active += resubmit.length;
  } else result.settled.push(...resubmit);
  return result;
}

/** scancel of every task of the study that has not settled; the next refresh records them as cancelled. */
export async function cancelStudyTasks(store: Store, study: StudyRecord, slurm = new Slurm()): Promise<string[]> {
  const ids = [...clusterTasks(store, study.id).values()].filter((t) => !t.settled).map((t) => `${t.jobId}_${t.taskId}`);
  await slurm.cancel(ids);
  return ids;
}

/** The last step and total loss in a run folder's metrics.jsonl (read from its end: the file grows every step). */
export function lastStep(runDir: string): { step: number; loss: number | null } | null {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path)) return null;
  const lines = tailLines(path, 16 * 1024);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const row = JSON.parse(lines[i]!) as { step?: unknown; total?: unknown };
      if (typeof row.step === 'number') return { step: row.step, loss: typeof row.total === 'number' ? row.total : null };
    } catch {
      // a line being written
    }
  }
  return null;
}

/** Per cell: its Slurm task and state, and the progress the cell wrote to the workspace. */
export function clusterCellViews(store: Store, study: StudyRecord): ClusterCellView[] {
  const tasks = clusterTasks(store, study.id);
  const config = study.config as unknown as StudyConfig;
  return store.studyCells(study.id).map((c): ClusterCellView => {
    const t = tasks.get(c.index);
    const isSsl = !(STUDY_BASELINES as readonly string[]).includes(c.method);
    const progress = isSsl ? lastStep(join(workspaceDir(), 'runs', pretrainRunId(study.name, c.key))) : null;
    const phase = t && !t.settled ? readProgress(study.name, c.index)?.message ?? null : null;
    return {
      index: c.index,
      key: c.key,
      jobId: t?.jobId ?? null,
      taskId: t?.taskId ?? null,
      slurmId: t ? `${t.jobId}_${t.taskId}` : null,
      state: t?.state ?? null,
      reason: t?.reason || null,
      attempts: t?.attempts ?? 0,
      step: progress?.step ?? null,
      totalSteps: isSsl ? config.pretrain.steps : null,
      loss: progress?.loss ?? null,
      phase,
      log: t ? logPath(study.name, t.jobId, t.taskId) : null,
    };
  });
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * The study's executor on Slurm. `runCells` submits the cells that have no live task, then polls until all have
 * settled; stopping it (pause) stops the watching only: the tasks go on, and the next watcher adopts them.
 */
export function slurmExecutor(opts: SlurmExecutorOptions): CellExecutor {
  const runCells = async (cells: CellRecord[], ctx: CellContext, emit: (e: StudyEvent) => void): Promise<void> => {
    const { store, study, signal } = ctx;
    const total = store.studyCells(study.id).length;
    await refresh(store, study, { ...opts, resubmit: false });
    const tasks = clusterTasks(store, study.id);
    const current = new Map(store.studyCells(study.id).map((c) => [c.index, c]));
    const wanted = cells.map((c) => current.get(c.index)!).filter((c) => c.status === 'pending' || c.status === 'running' || c.status === 'failed');
    const toSubmit = wanted.filter((c) => !tasks.get(c.index) || tasks.get(c.index)!.settled).map((c) => c.index);
    if (toSubmit.length) await submitCells(store, study, toSubmit, opts);
    wanted.forEach((c, i) => emit({ type: 'cell-started', studyId: study.id, cell: { ...c, status: 'running' }, position: total - wanted.length + i + 1, total }));
    const seen = new Map<number, string>();
    while (!signal.aborted) {
      const r = await refresh(store, study, { ...opts, resubmit: true });
      const after = store.studyCells(study.id);
      for (const i of r.settled) emit({ type: 'cell-finished', studyId: study.id, cell: after[i]! });
      for (const v of clusterCellViews(store, study)) {
        if (!v.state || !['pending', 'running'].includes(v.state)) continue;
        const message = `${v.state}${v.step !== null ? ` step ${v.step}/${v.totalSteps} loss ${v.loss?.toFixed(4) ?? '–'}` : ''}${v.phase ? ` (${v.phase})` : ''}`;
        if (seen.get(v.index) === message) continue;
        seen.set(v.index, message);
        emit({ type: 'cell-progress', studyId: study.id, cell: after[v.index]!, message, fraction: v.step !== null && v.totalSteps ? v.step / v.totalSteps : undefined });
      }
      // Faults settled by another reader (`study status`) without resubmitting: this watcher resubmits them.
      const tasksNow = clusterTasks(store, study.id);
      const orphans = after.filter((c) => c.status === 'pending' && tasksNow.get(c.index)?.settled && RESUBMITTED_SLURM_STATES.includes(tasksNow.get(c.index)!.state)).map((c) => c.index);
      if (orphans.length) {
        await submitCells(store, study, orphans, opts);
        continue;
      }
      if (r.active === 0) break;
      await sleep(opts.pollMs ?? 5000, signal);
    }
  };
  const local = pipelineExecutor();
  return {
    runCells,
    runCell: (cell, ctx) => runCells([cell], ctx, () => {}),
    // Tables 6–8 need every cell's results: they run where the results were merged, on the submitting side.
    analyse: (cells, ctx) => local.analyse!(cells, ctx),
  };
}
