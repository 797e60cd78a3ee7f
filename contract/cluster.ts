/**
 * The cluster vocabulary shared by the CLI, the host and the Studies page: where a study's cells run (this machine
 * or a Slurm job array), the Slurm settings of a submission, and the per-cell Slurm state.
 */
import { z } from 'zod';

export const EXECUTORS = ['local', 'slurm'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

/**
 * A cell's Slurm state, normalised from Slurm's own (PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY,
 * PREEMPTED, CANCELLED, NODE_FAIL …). `unknown`: Slurm no longer reports the task and it left no outcome.
 */
export const SLURM_CELL_STATES = ['pending', 'running', 'completed', 'failed', 'timeout', 'out-of-memory', 'preempted', 'cancelled', 'node-fail', 'unknown'] as const;
export type SlurmCellState = (typeof SLURM_CELL_STATES)[number];

/** States after which Slurm will not run the task again by itself. */
export const TERMINAL_SLURM_STATES: readonly SlurmCellState[] = ['completed', 'failed', 'timeout', 'out-of-memory', 'preempted', 'cancelled', 'node-fail', 'unknown'];
/** Faults of the cluster, not of the cell: the task is resubmitted and resumes from its last checkpoint. */
export const RESUBMITTED_SLURM_STATES: readonly SlurmCellState[] = ['timeout', 'preempted', 'node-fail'];

const slurmWord = /^[\w.:@,+=/-]+$/;
/** `--time` accepts minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
const slurmTime = /^(\d+-)?\d+(:\d{1,2}){0,2}$/;

export const slurmSettingsSchema = z
  .object({
    partition: z.string().regex(slurmWord, 'A partition name has no spaces.').optional(),
    account: z.string().regex(slurmWord, 'An account name has no spaces.').optional(),
    qos: z.string().regex(slurmWord, 'A QOS name has no spaces.').optional(),
    time: z.string().regex(slurmTime, 'Time limit as minutes, HH:MM:SS or D-HH:MM:SS.').optional(),
    /** `gpu:1` by default when the tasks' backend is a GPU one; `none` asks for no GRES. */
    gres: z.string().regex(slurmWord, 'GRES such as gpu:1 or gpu:a100:2.').optional(),
    cpusPerTask: z.number().int().min(1).max(1024).optional(),
    mem: z.string().regex(/^\d+[KMGT]?$/i, 'Memory such as 32G or 64000M.').optional(),
    /** The array's `%N` throttle: at most N cells run at once. */
    maxParallel: z.number().int().min(1).max(100000).optional(),
    /** The tasks' compute backend (ECGFM_BACKEND on the node); `auto` lets each node choose. */
    backend: z.string().regex(/^[\w-]+$/).optional(),
    /** Anything else, passed to sbatch as given (e.g. `--constraint=a100`). */
    sbatchArgs: z.array(z.string().min(1)).default([]),
    /** How many times a timed-out, preempted or node-failed cell is resubmitted before it counts as failed. */
    maxResubmits: z.number().int().min(0).max(100).default(3),
  })
  .strict();
export type SlurmSettings = z.output<typeof slurmSettingsSchema>;
export type SlurmSettingsInput = z.input<typeof slurmSettingsSchema>;

/** One cell as the cluster sees it: its Slurm task and the progress the cell itself wrote to the workspace. */
export interface ClusterCellView {
  index: number;
  key: string;
  jobId: string | null;
  taskId: number | null;
  /** `<array job>_<task>`, as squeue and scancel name it. */
  slurmId: string | null;
  state: SlurmCellState | null;
  reason: string | null;
  attempts: number;
  step: number | null;
  totalSteps: number | null;
  loss: number | null;
  phase: string | null;
  log: string | null;
}

/** The Studies page's words for the states. */
export const SLURM_STATE_LABELS: Record<SlurmCellState, string> = {
  pending: 'pending', running: 'running', completed: 'completed', failed: 'failed', timeout: 'timeout',
  'out-of-memory': 'out of memory', preempted: 'preempted', cancelled: 'cancelled', 'node-fail': 'node failed', unknown: 'unknown',
};
