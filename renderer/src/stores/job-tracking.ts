/** What the page stores that launch back-end jobs share: error capture, the pending job, and job.state handling. */
import type { ApiEvent, JobView } from '../../../contract/api.js';
import { describeError } from '../api/errors.js';

export interface JobTracking {
  error: string | null;
  /** The job this page started last; its failure is shown on the page. */
  pendingJob: string | null;
}

/** Runs a load, recording its failure as the store's error. */
export async function recordingErrors(s: { error: string | null }, load: () => Promise<void>): Promise<void> {
  try {
    await load();
  } catch (err) {
    s.error = describeError(err);
  }
}

/** Launches a job and remembers it; resolves to its id, or null with the error recorded. */
export async function startJob(s: JobTracking, launch: () => Promise<{ jobId: string }>): Promise<string | null> {
  s.error = null;
  try {
    s.pendingJob = (await launch()).jobId;
    return s.pendingJob;
  } catch (err) {
    s.error = describeError(err);
    return null;
  }
}

/** Calls `succeeded` when a job of one of `kinds` succeeds and records the pending job's failure; never consumes the event. */
export function followJobs(s: JobTracking, e: ApiEvent, kinds: readonly JobView['kind'][], succeeded: (job: JobView) => void): boolean {
  if (e.type !== 'job.state') return false;
  if (e.job.status === 'succeeded' && kinds.includes(e.job.kind)) succeeded(e.job);
  if (e.job.status === 'failed' && e.job.id === s.pendingJob) s.error = e.job.message;
  return false;
}
