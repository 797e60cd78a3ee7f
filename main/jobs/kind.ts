/**
 * What a job kind is: its payload schema, the resource it waits for, and the work, which runs in a worker process
 * (main/jobs/worker.ts) or, for the CLI, in its own process. Each kind lives in its own file beside this one.
 */
import type { z } from 'zod';
import type { ApiEvent } from '../../contract/api.js';
import type { JobKind } from '../../contract/jobs.js';
import type { Store } from '../store/store.js';

export interface JobRunContext {
  jobId: number;
  store: Store;
  /** Aborted on pause or cancel; `signal.reason` is 'pause' or 'cancel'. */
  signal: AbortSignal;
  /** `milestone` passes the throttle (a cell finished: pages reload on it). */
  progress(fraction: number | null, message: string | null, milestone?: boolean): void;
  /** Events for the UI besides the job's progress (a pre-training's run.progress). */
  emit(e: ApiEvent): void;
}

export interface JobKindDef<P = unknown> {
  kind: JobKind;
  payload: z.ZodType<P>;
  /** Returns what the job produced (an id, or a small result the host hands back). */
  run(ctx: JobRunContext, payload: P): Promise<unknown>;
}

export function defineJobKind<P>(def: JobKindDef<P>): JobKindDef<P> {
  return def;
}

/** Thrown by a job whose work stopped because it was paused or cancelled; the runner records which. */
export class JobStopped extends Error {
  constructor(reason: unknown) {
    super(`Stopped (${String(reason)}).`);
  }
}
