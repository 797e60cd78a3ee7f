/**
 * One array task on a compute node: `ecgfm study cell STUDY INDEX`. It runs the cell with the study pipeline's own
 * executor against the cell's private store, holds a lock on the cell's folder for as long as it runs (so two
 * tasks never write one run folder), and leaves an outcome file the submitting side reads. Slurm's SIGTERM (scancel,
 * time limit, preemption) stops the cell at its next step; its checkpoint lets the next attempt continue.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { openStore, nowIso } from '../store/store.js';
import { pipelineExecutor } from '../experiments/pipeline.js';
import { isOutOfMemory, type CellExecutor } from '../experiments/study.js';
import type { StudyConfig } from '../experiments/grid.js';
import { cellDir, cellStorePath, outcomePath, progressPath, readSnapshot, writeJsonAtomic, type CellOutcome } from './layout.js';

export class CellBusy extends Error {}

export interface CellTaskOptions {
  signal?: AbortSignal;
  executor?: CellExecutor;
  /** Seconds between progress-file writes. */
  progressEvery?: number;
}

export async function runCellTask(studyName: string, index: number, opts: CellTaskOptions = {}): Promise<CellOutcome> {
  const snapshot = readSnapshot(studyName);
  const spec = snapshot.cells[index];
  if (!spec) throw new Error(`Study ${studyName} has cells 0–${snapshot.cells.length - 1}; there is no cell ${index}.`);
  const dir = cellDir(studyName, index);
  mkdirSync(dir, { recursive: true });

  let release: () => Promise<void>;
  try {
    // mkdir-based and refreshed while held, so it works on network file systems and goes stale if the node dies.
    release = await lockfile.lock(dir, { lockfilePath: join(dir, 'task.lock'), stale: 30_000, update: 5_000, retries: 0 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED')
      throw new CellBusy(`Cell ${index} (${spec.key}) of study ${studyName} is already being run by another task (${join(dir, 'task.lock')}); two tasks never write one run folder.`);
    throw err;
  }

  const jobId = process.env.SLURM_ARRAY_JOB_ID ?? null;
  const taskId = process.env.SLURM_ARRAY_TASK_ID !== undefined ? Number(process.env.SLURM_ARRAY_TASK_ID) : null;
  const store = openStore(cellStorePath(studyName, index));
  let outcome: CellOutcome;
  try {
    const config = snapshot.config as unknown as StudyConfig;
    const study = store.createStudy(snapshot.name, snapshot.config, snapshot.cells);
    const cell = { ...store.studyCells(study.id)[index]!, status: 'running' as const };
    store.updateCell(study.id, index, { status: 'running', startedAt: nowIso(), error: null });
    const signal = opts.signal ?? new AbortController().signal;
    let lastWrite = 0;
    const progress = (message: string, fraction?: number) => {
      const now = Date.now();
      if (now - lastWrite < (opts.progressEvery ?? 1) * 1000) return;
      lastWrite = now;
      try {
        writeFileSync(progressPath(studyName, index), JSON.stringify({ message, fraction: fraction ?? null, at: nowIso() }));
      } catch {
        // advisory only
      }
    };
    const executor = opts.executor ?? pipelineExecutor();
    let status: CellOutcome['status'];
    let error: string | null = null;
    try {
      await executor.runCell(cell, { store, study, config, signal, progress });
      status = signal.aborted ? 'interrupted' : 'succeeded';
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      status = signal.aborted ? 'interrupted' : isOutOfMemory(err) ? 'oom' : 'failed';
    }
    const cellStatus = status === 'interrupted' ? 'pending' : status;
    store.updateCell(study.id, index, { status: cellStatus, error, finishedAt: status === 'interrupted' ? null : nowIso() });
    outcome = { status, error, jobId, taskId, host: hostname(), finishedAt: nowIso() };
  } finally {
    store.close();
  }
  writeJsonAtomic(outcomePath(studyName, index), outcome);
  await release();
  return outcome;
}
