/**
 * Studies as runner jobs: `study run`, `study resume` and the demo enqueue a `study` job and drive the runner
 * until the queue is idle. A killed process leaves its job `running`; the next runner recovers it and the study
 * continues from its interrupted cell (whose pre-training resumes from its checkpoint).
 */
import type { Store } from '../store/store.js';
import { createRunner, JobQueue, type Job, type RunnerEvent } from '../runner/runner.js';
import { runStudyJob } from '../jobs/study.js';
import type { CellExecutor, StudyEvent } from './study.js';
import { studyExecutor } from '../cluster/index.js';

export const STUDY_JOB = 'study';

export interface DriveOptions {
  executor?: CellExecutor;
  onStudyEvent?(e: StudyEvent): void;
  onRunnerEvent?(e: RunnerEvent): void;
  /** Pause the job on SIGINT/SIGTERM (the CLI); the study resumes later from the interrupted cell. */
  handleSignals?: boolean;
}

/** The queue's job for a study that has not finished, if any. */
export function openStudyJob(store: Store, studyId: string, runnerQueue = new JobQueue(store)): Job | null {
  const jobs = runnerQueue.list({ kind: STUDY_JOB }).filter((j) => j.payload.studyId === studyId);
  return jobs.reverse().find((j) => j.status === 'queued' || j.status === 'running' || j.status === 'paused') ?? null;
}

export async function driveStudy(store: Store, studyId: string, opts: DriveOptions = {}): Promise<Job> {
  // The CLI is the compute process here: the study kind (main/jobs/study.ts) runs in it, through the same
  // store-backed runner a UI host uses, so a study started here shows in the UI's job list and vice versa. A study
  // submitted to Slurm goes on there (main/cluster); others run on this machine.
  const runner = createRunner(store, {
    handlers: {
      [STUDY_JOB]: (ctx) =>
        runStudyJob(
          {
            jobId: ctx.job.id,
            store,
            signal: ctx.signal,
            progress: (fraction, message) => ctx.progress({ ...(fraction !== null ? { fraction } : {}), ...(message !== null ? { message } : {}) }),
            emit: () => {},
          },
          { studyId: String(ctx.job.payload.studyId), retryFailed: ctx.job.payload.retryFailed === true },
          opts.executor ?? studyExecutor(store, String(ctx.job.payload.studyId)),
          opts.onStudyEvent,
        ),
    },
  });
  if (opts.onRunnerEvent) runner.on('event', opts.onRunnerEvent);
  // Recover first: a job left running by a killed process becomes queued again and is found below.
  runner.recover();
  let job = openStudyJob(store, studyId, runner.queue);
  if (!job) job = runner.enqueue(STUDY_JOB, { studyId }, { title: `Study ${store.getStudy(studyId)?.name ?? studyId}`, resultId: studyId });
  else if (job.status === 'paused') job = runner.resume(job.id);
  const jobId = job.id;

  const stop = () => {
    try {
      runner.pause(jobId);
    } catch {
      // Already finished.
    }
  };
  if (opts.handleSignals) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  try {
    await runner.runUntilIdle();
  } finally {
    if (opts.handleSignals) {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
  return runner.queue.get(jobId)!;
}
