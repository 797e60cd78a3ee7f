/** The job runner's public shapes: jobs as the store keeps them and the events the host and UI subscribe to. */
import type { Store } from '../store/store.js';

import type { JobStatus } from '../../contract/jobs.js';

export { JOB_STATUSES, type JobStatus } from '../../contract/jobs.js';

/** What a job is waiting for; concurrency is limited per resource (by default one GPU job at a time). */
export type JobResource = 'gpu' | 'cpu';

export interface JobProgress {
  /** 0…1 when known. */
  fraction?: number;
  step?: number;
  total?: number;
  message?: string;
  [key: string]: unknown;
}

export interface Job {
  id: number;
  kind: string;
  /** What the job is, in words (the UI's job list). */
  title: string;
  /** The id of what it produces (a run, a study, an evaluation), when known up front. */
  resultId: string | null;
  payload: Record<string, unknown>;
  resource: JobResource;
  status: JobStatus;
  priority: number;
  attempts: number;
  /** `host:pid:runner` of the process running it. */
  owner: string | null;
  /** A pause or cancel asked for while it runs. */
  request: 'pause' | 'cancel' | null;
  progress: JobProgress | null;
  result: unknown;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type RunnerEvent =
  | { type: 'queued'; job: Job }
  | { type: 'started'; job: Job }
  | { type: 'progress'; job: Job; progress: JobProgress }
  | { type: 'pausing'; job: Job }
  | { type: 'paused'; job: Job }
  | { type: 'resumed'; job: Job }
  | { type: 'recovered'; job: Job; previousOwner: string | null }
  | { type: 'succeeded'; job: Job }
  | { type: 'failed'; job: Job; error: string }
  | { type: 'cancelled'; job: Job }
  | { type: 'idle' };

export type RunnerEventType = RunnerEvent['type'];

export interface JobContext {
  job: Job;
  store: Store;
  /** Aborted when the job is paused or cancelled; `signal.reason` is 'pause' or 'cancel'. */
  signal: AbortSignal;
  progress(p: JobProgress): void;
  /** For loops that poll (the pre-training hooks): true once a pause or cancel was asked. */
  shouldStop(): boolean;
}

/** Runs one job. A paused job is run again from the start later: the handler resumes from its own checkpoint. */
export type JobHandler = (ctx: JobContext) => Promise<unknown>;

export interface EnqueueOptions {
  resource?: JobResource;
  priority?: number;
  title?: string;
  resultId?: string | null;
}

export interface RunnerOptions {
  handlers: Record<string, JobHandler>;
  /**
   * Jobs that may run at once per resource, across all processes on this workspace.
   * Default { gpu: 1, cpu: 2 }, or $ECGFM_GPU_JOBS / $ECGFM_CPU_JOBS.
   */
  concurrency?: Partial<Record<JobResource, number>>;
  /** How often the runner looks for new jobs and for pause/cancel requests from other processes (ms). */
  pollMs?: number;
}
