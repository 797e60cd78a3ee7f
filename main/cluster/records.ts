/**
 * The store's record of a study on Slurm: every submission (job id, script, settings, cells) and, per cell, its
 * current array task, last Slurm state and number of attempts. Only the submitting side writes these rows.
 */
import { z } from 'zod';
import { slurmSettingsSchema, SLURM_CELL_STATES, type SlurmCellState, type SlurmSettings } from '../../contract/cluster.js';
import { nowIso, type Store } from '../store/store.js';

export interface ClusterTask {
  index: number;
  jobId: string;
  taskId: number;
  state: SlurmCellState;
  reason: string;
  attempts: number;
  settled: boolean;
  updatedAt: string;
}

export interface Submission {
  jobId: string;
  script: string;
  settings: SlurmSettings;
  cells: number[];
  submittedAt: string;
}

const taskRow = z.object({
  idx: z.number(), job_id: z.string(), task_id: z.number(), state: z.enum(SLURM_CELL_STATES), reason: z.string(),
  attempts: z.number(), settled: z.number(), updated_at: z.string(),
});

export function clusterTasks(store: Store, studyId: string): Map<number, ClusterTask> {
  const rows = store.db.prepare('SELECT * FROM cluster_tasks WHERE study_id = ? ORDER BY idx').all(studyId);
  const out = new Map<number, ClusterTask>();
  for (const raw of rows) {
    const r = taskRow.parse(raw);
    out.set(r.idx, { index: r.idx, jobId: r.job_id, taskId: r.task_id, state: r.state, reason: r.reason, attempts: r.attempts, settled: r.settled === 1, updatedAt: r.updated_at });
  }
  return out;
}

const submissionRow = z.object({ job_id: z.string(), script: z.string(), settings: z.string(), cells: z.string(), submitted_at: z.string() });

export function submissions(store: Store, studyId: string): Submission[] {
  return store.db
    .prepare('SELECT * FROM cluster_submissions WHERE study_id = ? ORDER BY submitted_at, rowid')
    .all(studyId)
    .map((raw) => {
      const r = submissionRow.parse(raw);
      return {
        jobId: r.job_id,
        script: r.script,
        settings: slurmSettingsSchema.parse(JSON.parse(r.settings)),
        cells: z.array(z.number()).parse(JSON.parse(r.cells)),
        submittedAt: r.submitted_at,
      };
    });
}

/** A study runs on Slurm once it has been submitted there; its latest settings are reused for resubmissions. */
export function latestSettings(store: Store, studyId: string): SlurmSettings | null {
  return submissions(store, studyId).at(-1)?.settings ?? null;
}

/** Records a submitted array and points each of its cells at its new task (a resubmission counts an attempt). */
export function recordSubmission(store: Store, studyId: string, s: Omit<Submission, 'submittedAt'>): void {
  const at = nowIso();
  store.transaction(() => {
    store.db
      .prepare('INSERT INTO cluster_submissions (job_id, study_id, script, settings, cells, submitted_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.jobId, studyId, s.script, JSON.stringify(s.settings), JSON.stringify(s.cells), at);
    const upsert = store.db.prepare(
      `INSERT INTO cluster_tasks (study_id, idx, job_id, task_id, state, reason, attempts, settled, updated_at)
       VALUES (@studyId, @idx, @jobId, @idx, 'pending', '', 1, 0, @at)
       ON CONFLICT(study_id, idx) DO UPDATE SET job_id = excluded.job_id, task_id = excluded.task_id, state = 'pending',
         reason = '', attempts = attempts + 1, settled = 0, updated_at = excluded.updated_at`,
    );
    for (const idx of s.cells) upsert.run({ studyId, idx, jobId: s.jobId, at });
  });
}

export function updateTask(store: Store, studyId: string, index: number, patch: { state?: SlurmCellState; reason?: string; settled?: boolean }): void {
  const sets: string[] = ['updated_at = @at'];
  if (patch.state !== undefined) sets.push('state = @state');
  if (patch.reason !== undefined) sets.push('reason = @reason');
  if (patch.settled !== undefined) sets.push('settled = @settled');
  store.db
    .prepare(`UPDATE cluster_tasks SET ${sets.join(', ')} WHERE study_id = @studyId AND idx = @index`)
    .run({ studyId, index, at: nowIso(), state: patch.state ?? null, reason: patch.reason ?? null, settled: patch.settled ? 1 : 0 });
}
