/** The Slurm options of `ecgfm study run|resume`, and the per-cell Slurm table of `ecgfm study status`. */
import { slurmSettingsSchema, type ClusterCellView, type SlurmSettingsInput } from '../../contract/cluster.js';
import { CliError, EXIT } from './command.js';
import type { StudyEvent } from '../experiments/study.js';

export const SLURM_USAGE = `[--executor local|slurm] [--partition P] [--account A] [--qos Q] [--time D-HH:MM:SS] [--gres gpu:1|none]
                [--cpus-per-task N] [--mem 32G] [--max-parallel N] [--backend NAME] [--sbatch-arg ARG]... [--max-resubmits N]
                [--detach] [--poll SECONDS]`;

export const SLURM_OPTIONS = {
  executor: { type: 'string' },
  partition: { type: 'string' },
  account: { type: 'string' },
  qos: { type: 'string' },
  time: { type: 'string' },
  gres: { type: 'string' },
  'cpus-per-task': { type: 'string' },
  mem: { type: 'string' },
  'max-parallel': { type: 'string' },
  backend: { type: 'string' },
  'sbatch-arg': { type: 'string', multiple: true },
  'max-resubmits': { type: 'string' },
  detach: { type: 'boolean', default: false },
  poll: { type: 'string' },
} as const;

type Values = { [K in keyof typeof SLURM_OPTIONS]?: (typeof SLURM_OPTIONS)[K] extends { multiple: true } ? string[] : (typeof SLURM_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

const count = (name: string, v: string | undefined, min: number) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name}: "${v}" is not an integer ≥ ${min}.`, EXIT.usage);
  return n;
};

export interface SlurmRequest {
  executor?: 'local' | 'slurm';
  slurm: SlurmSettingsInput;
  detach: boolean;
  pollMs?: number;
}

/** The executor asked for; any Slurm option implies `--executor slurm`. */
export function slurmRequest(values: Values): SlurmRequest {
  const e = values.executor;
  if (e !== undefined && e !== 'local' && e !== 'slurm') throw new CliError(`--executor "${e}": use local or slurm.`, EXIT.usage);
  const slurm: SlurmSettingsInput = {
    partition: values.partition,
    account: values.account,
    qos: values.qos,
    time: values.time,
    gres: values.gres,
    cpusPerTask: count('cpus-per-task', values['cpus-per-task'], 1),
    mem: values.mem,
    maxParallel: count('max-parallel', values['max-parallel'], 1),
    backend: values.backend,
    sbatchArgs: values['sbatch-arg']?.length ? values['sbatch-arg'] : undefined,
    maxResubmits: count('max-resubmits', values['max-resubmits'], 0),
  };
  const given = Object.values(slurm).some((v) => v !== undefined);
  if (e === 'local' && given) throw new CliError('Slurm options (--partition, --time, …) need --executor slurm.', EXIT.usage);
  const parsed = slurmSettingsSchema.safeParse(slurm);
  if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('; '), EXIT.usage);
  const poll = count('poll', values.poll, 1);
  return { executor: e ?? (given ? 'slurm' : undefined), slurm, detach: values.detach === true, pollMs: poll ? poll * 1000 : undefined };
}

/** ` 12_3 running  step 40/100 loss 1.2345` for a cell on Slurm. */
export function slurmColumns(v: ClusterCellView | undefined): string {
  if (!v || !v.slurmId) return '';
  const state = `${v.state ?? ''}${v.reason && v.state === 'pending' ? ` (${v.reason})` : ''}`;
  const step = v.step !== null ? `step ${v.step}/${v.totalSteps ?? '?'}${v.loss !== null ? ` loss ${v.loss.toFixed(4)}` : ''}` : '';
  const attempts = v.attempts > 1 ? ` attempt ${v.attempts}` : '';
  return `${v.slurmId.padEnd(10)} ${state.padEnd(14)} ${step}${attempts}${v.phase ? `  ${v.phase}` : ''}`;
}

/** Study events of a job array, one line per change: cells run side by side, so each line names its cell. */
export function slurmProgressPrinter(out: NodeJS.WritableStream = process.stderr, everyMs = 30_000): (e: StudyEvent) => void {
  const last = new Map<number, { state: string; at: number }>();
  return (e) => {
    if (e.type === 'cell-started') out.write(`cell ${e.cell.index} ${e.cell.key}: submitted\n`);
    else if (e.type === 'cell-progress') {
      const state = e.message.split(' ')[0]!;
      const prev = last.get(e.cell.index);
      if (prev && prev.state === state && Date.now() - prev.at < everyMs) return;
      last.set(e.cell.index, { state, at: Date.now() });
      out.write(`cell ${e.cell.index} ${e.cell.key}: ${e.message}\n`);
    } else if (e.type === 'cell-finished') out.write(`cell ${e.cell.index} ${e.cell.key}: ${e.cell.status}${e.cell.error ? ` (${e.cell.error.split('\n')[0]})` : ''}\n`);
    else if (e.type === 'analysis') out.write(`${e.message}\n`);
    else if (e.type === 'study-finished') {
      const s = e.summary;
      out.write(`study ${e.status}: ${s.succeeded}/${s.cells} cells succeeded, ${s.failed} failed, ${s.oom} out of memory\n`);
    }
  };
}
