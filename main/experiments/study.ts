/**
 * Running a study: cells in order, each cell's runs and evaluations written to the store by an executor.
 * A cell that fails (out of memory included) is recorded and the study goes on; an interrupted cell goes back to
 * pending, so `resume` starts with it and its pre-training continues from its checkpoint.
 */
import { nowIso, type Store } from '../store/store.js';
import type { CellRecord, StudyRecord } from '../store/types.js';
import { studyCells, validateStudyConfig, type StudyConfig } from './grid.js';

export interface CellContext {
  store: Store;
  study: StudyRecord;
  config: StudyConfig;
  signal: AbortSignal;
  progress(message: string, fraction?: number, detail?: CellProgressDetail): void;
}

/** Where a cell's current phase stands, for progress bars: step counts, and a rate when the engine measures one. */
export interface CellProgressDetail {
  /** What is counted: pre-training steps, downstream epochs, embedding batches… */
  phase: string;
  step: number;
  total: number;
  samplesPerSec?: number | null;
  etaSeconds?: number | null;
}

/** Does the work of one cell; throws to fail it. Study-level analyses (Tables 6–8) run after the cells. */
export interface CellExecutor {
  runCell(cell: CellRecord, ctx: CellContext): Promise<void>;
  /**
   * Runs many cells at once elsewhere (a cluster's job array) and records their outcomes in the store itself;
   * cells it leaves pending or running make the study paused, to be resumed.
   */
  runCells?(cells: CellRecord[], ctx: CellContext, emit: (e: StudyEvent) => void): Promise<void>;
  analyse?(cells: CellRecord[], ctx: CellContext): Promise<void>;
}

export type StudyEvent =
  | { type: 'cell-started'; studyId: string; cell: CellRecord; position: number; total: number }
  | { type: 'cell-progress'; studyId: string; cell: CellRecord; message: string; fraction?: number; detail?: CellProgressDetail }
  | { type: 'cell-finished'; studyId: string; cell: CellRecord }
  | { type: 'analysis'; studyId: string; message: string }
  | { type: 'study-finished'; studyId: string; status: string; summary: StudySummary };

export interface StudySummary {
  cells: number;
  succeeded: number;
  failed: number;
  oom: number;
  pending: number;
}

export class StudyInterrupted extends Error {
  constructor() {
    super('The study was interrupted; `ecgfm study resume` continues it from the interrupted cell.');
  }
}

export class StudyConfigConflict extends Error {
  constructor(readonly studyName: string) {
    super(`A study named "${studyName}" already exists with a different configuration; choose another --name or resume it.`);
  }
}

/** Out-of-memory failures appear in the paper's tables as OOM, not as errors. */
export function isOutOfMemory(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /out of memory|\bOOM\b|Cannot allocate|allocation failed|RangeError: Array buffer allocation|memory access out of bounds|Aborted\(OOM\)/i.test(msg);
}

export function createStudy(store: Store, config: StudyConfig): StudyRecord {
  validateStudyConfig(config);
  const existing = store.getStudy(config.name);
  if (existing) {
    const same = JSON.stringify(existing.config) === JSON.stringify(config);
    if (!same) throw new StudyConfigConflict(config.name);
    return existing;
  }
  return store.createStudy(config.name, config as unknown as Record<string, unknown>, studyCells(config));
}

export function summarise(cells: CellRecord[]): StudySummary {
  const count = (s: string) => cells.filter((c) => c.status === s).length;
  return { cells: cells.length, succeeded: count('succeeded'), failed: count('failed'), oom: count('oom'), pending: count('pending') + count('running') };
}

export async function runStudy(
  store: Store,
  studyIdOrName: string,
  executor: CellExecutor,
  opts: { signal?: AbortSignal; onEvent?: (e: StudyEvent) => void; retryFailed?: boolean } = {},
): Promise<StudySummary> {
  const study = store.getStudy(studyIdOrName);
  if (!study) throw new Error(`No study "${studyIdOrName}" in the store (\`ecgfm study run\` creates one).`);
  const config = study.config as unknown as StudyConfig;
  const signal = opts.signal ?? new AbortController().signal;
  const emit = opts.onEvent ?? (() => {});
  store.setStudyStatus(study.id, 'running');

  const cells = store.studyCells(study.id);
  const todo = cells.filter((c) => c.status === 'pending' || c.status === 'running' || (opts.retryFailed && c.status === 'failed'));
  let position = cells.length - todo.length;
  if (executor.runCells) {
    const progress = () => {};
    await executor.runCells(todo, { store, study, config, signal, progress }, emit);
    // Cells cancelled on the cluster wait for `resume`; the study is paused, not failed.
    const now = store.studyCells(study.id);
    if (!signal.aborted && now.some((c) => c.status === 'pending' || c.status === 'running')) {
      store.setStudyStatus(study.id, 'paused');
      return summarise(now);
    }
  }
  for (const cell of executor.runCells ? [] : todo) {
    if (signal.aborted) break;
    position++;
    store.updateCell(study.id, cell.index, { status: 'running', startedAt: nowIso(), error: null, finishedAt: null });
    const running = { ...cell, status: 'running' as const };
    emit({ type: 'cell-started', studyId: study.id, cell: running, position, total: cells.length });
    const ctx: CellContext = {
      store,
      study,
      config,
      signal,
      progress: (message, fraction, detail) => emit({ type: 'cell-progress', studyId: study.id, cell: running, message, fraction, detail }),
    };
    try {
      await executor.runCell(running, ctx);
      if (signal.aborted) {
        store.updateCell(study.id, cell.index, { status: 'pending' });
        break;
      }
      store.updateCell(study.id, cell.index, { status: 'succeeded', finishedAt: nowIso() });
    } catch (err) {
      if (signal.aborted) {
        store.updateCell(study.id, cell.index, { status: 'pending' });
        break;
      }
      const message = err instanceof Error ? err.message : String(err);
      store.updateCell(study.id, cell.index, { status: isOutOfMemory(err) ? 'oom' : 'failed', error: message, finishedAt: nowIso() });
    }
    emit({ type: 'cell-finished', studyId: study.id, cell: store.studyCells(study.id)[cell.index]! });
  }

  if (signal.aborted) {
    store.setStudyStatus(study.id, 'paused');
    throw new StudyInterrupted();
  }
  if (executor.analyse) {
    const done = store.studyCells(study.id);
    await executor.analyse(done, {
      store,
      study,
      config,
      signal,
      progress: (message) => emit({ type: 'analysis', studyId: study.id, message }),
    });
    if (signal.aborted) {
      store.setStudyStatus(study.id, 'paused');
      throw new StudyInterrupted();
    }
  }
  const summary = summarise(store.studyCells(study.id));
  const status = summary.failed + summary.oom > 0 ? 'finished-with-failures' : 'succeeded';
  store.setStudyStatus(study.id, status);
  emit({ type: 'study-finished', studyId: study.id, status, summary });
  return summary;
}
