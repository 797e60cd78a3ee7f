/**
 * Jobs: every long task is one of these kinds, queued in the store and run in a worker process (a Node child
 * process, or Electron's utilityProcess) that speaks this protocol with its host. Plain serialisable objects;
 * nothing here imports Node or Electron.
 */
import type { ApiEvent } from './api.js';

export const JOB_KINDS = ['import', 'pretrain', 'evaluation', 'study', 'simulation', 'decomposition', 'clinical-finetune', 'clinical-run', 'onnx-export', 'doctor'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const JOB_KIND_LABELS: Record<JobKind, string> = {
  import: 'Import',
  pretrain: 'Pre-training',
  evaluation: 'Evaluation',
  study: 'Study',
  simulation: 'Simulation',
  decomposition: 'Risk decomposition',
  'clinical-finetune': 'Clinical fine-tune',
  'clinical-run': 'Cohort run',
  'onnx-export': 'ONNX export',
  doctor: 'Compute check',
};

/**
 * What each kind waits for: 'gpu' is the compute device (one job at a time by default, a setting), 'cpu' is light
 * work that may run beside it.
 */
export const JOB_KIND_RESOURCE: Record<JobKind, 'gpu' | 'cpu'> = {
  import: 'cpu',
  pretrain: 'gpu',
  evaluation: 'gpu',
  study: 'gpu',
  simulation: 'gpu',
  decomposition: 'gpu',
  'clinical-finetune': 'gpu',
  'clinical-run': 'gpu',
  'onnx-export': 'cpu',
  doctor: 'cpu',
};

export const JOB_STATUSES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Host → worker. */
export type JobCommand =
  | { type: 'run'; job: { id: number; kind: string; payload: Record<string, unknown> }; workspace: string }
  /**
   * Stop at the next step: 'pause' keeps the job's checkpoints for a later resume, 'cancel' ends it, 'shutdown'
   * (the host closes) pauses it for the next host, leaving work outside this machine (a Slurm array) running.
   */
  | { type: 'stop'; reason: 'pause' | 'cancel' | 'shutdown' };

/** Worker → host. */
export type JobWorkerEvent =
  | { type: 'started'; pid: number }
  | { type: 'progress'; fraction: number | null; message: string | null; milestone?: boolean }
  /** An event for the UI besides the job's own progress (a pre-training's run.progress). */
  | { type: 'event'; event: ApiEvent }
  | { type: 'done'; result: unknown }
  | { type: 'error'; message: string; stack?: string };
