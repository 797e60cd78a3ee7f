/**
 * Study job: the grid's cells in order, then the study-level analyses. A stopped job leaves the interrupted cell
 * pending; run again (resumed or recovered after a restart), it continues there, its pre-training from the
 * checkpoint. The cell executor is a seam: the pipeline by default, a cluster executor or a test double otherwise.
 */
import { z } from 'zod';
import { EXECUTORS, slurmSettingsSchema } from '../../contract/cluster.js';
import { formatDuration } from '../../contract/progress.js';
import { studyProgressTracker } from '../experiments/study-progress.js';
import { runStudy, StudyInterrupted, type CellExecutor, type StudyEvent } from '../experiments/study.js';
import { defineJobKind, JobStopped, type JobRunContext } from './kind.js';

const payload = z.object({ studyId: z.string(), retryFailed: z.boolean().optional(), executor: z.enum(EXECUTORS).optional(), slurm: slurmSettingsSchema.optional() });

export async function runStudyJob(ctx: JobRunContext, p: z.output<typeof payload>, executor?: CellExecutor, onStudyEvent?: (e: StudyEvent) => void) {
  const { studyExecutor, onSlurm, cancelStudyTasks } = await import('../cluster/index.js');
  // Slurm: this process submits the array and watches it; Cancel runs scancel; a pause or a host shutdown leaves the array running.
  const cells = executor ?? studyExecutor(ctx.store, p.studyId, { executor: p.executor, settings: p.slurm });
  ctx.signal.addEventListener(
    'abort',
    () => {
      const study = ctx.store.getStudy(p.studyId);
      if (study && ctx.signal.reason === 'cancel' && onSlurm(ctx.store, p.studyId)) void cancelStudyTasks(ctx.store, study).catch(() => {});
    },
    { once: true },
  );
  const tracker = studyProgressTracker();
  try {
    return await runStudy(ctx.store, p.studyId, cells, {
      signal: ctx.signal,
      retryFailed: p.retryFailed === true,
      onEvent: (e) => {
        onStudyEvent?.(e);
        // The same line the terminal draws: the cell's step, samples/s and time left, and the study's estimate.
        const t = Date.now();
        tracker.update(e, t);
        if (e.type === 'cell-started') ctx.progress(tracker.fraction(), tracker.line(t, 0));
        else if (e.type === 'cell-progress') ctx.progress(tracker.fraction(), e.detail ? tracker.line(t, 0) : `${e.cell.key}: ${e.message}`);
        else if (e.type === 'cell-finished') ctx.progress(tracker.fraction(), `${e.cell.key}: ${e.cell.status} in ${formatDuration(tracker.state.lastCellSeconds)}`, true);
        else if (e.type === 'analysis') ctx.progress(null, e.message);
      },
    });
  } catch (err) {
    if (err instanceof StudyInterrupted) throw new JobStopped(ctx.signal.reason);
    throw err;
  }
}

export const studyJob = defineJobKind({
  kind: 'study',
  payload,
  run: (ctx, p) => runStudyJob(ctx, p),
});
