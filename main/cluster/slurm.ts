/**
 * Slurm's command-line tools as typed calls: sbatch, squeue, scontrol, sacct (where accounting exists), scancel,
 * and the jobcomp/filetxt completion log (where it does not). Parsing lives in small pure functions, tested alone.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import type { SlurmCellState } from '../../contract/cluster.js';

/** A task's state as one of Slurm's tools reported it. */
export interface TaskState {
  jobId: string;
  taskId: number;
  state: SlurmCellState;
  /** Slurm's own word (TIMEOUT, CANCELLED by 0, …) and its reason, for the status line. */
  raw: string;
  reason: string;
  exitCode?: string;
}

export class SlurmMissing extends Error {}

/** Slurm's state names, normalised to the product's vocabulary. */
export function normaliseState(raw: string): SlurmCellState {
  const word = raw.trim().split(/\s+/)[0]!.toUpperCase().replace(/\+$/, '');
  switch (word) {
    case 'PENDING': case 'PD': case 'CONFIGURING': case 'CF': case 'REQUEUED': case 'RQ': case 'REQUEUE_HOLD': case 'REQUEUE_FED':
    case 'RESIZING': case 'SUSPENDED': case 'S': case 'STOPPED': case 'ST':
      return 'pending';
    case 'RUNNING': case 'R': case 'COMPLETING': case 'CG': case 'STAGE_OUT': case 'SO': case 'SIGNALING': case 'SE':
      return 'running';
    case 'COMPLETED': case 'CD': return 'completed';
    case 'TIMEOUT': case 'TO': case 'DEADLINE': case 'DL': return 'timeout';
    case 'OUT_OF_MEMORY': case 'OOM': return 'out-of-memory';
    case 'PREEMPTED': case 'PR': return 'preempted';
    case 'CANCELLED': case 'CA': return 'cancelled';
    case 'NODE_FAIL': case 'NF': case 'BOOT_FAIL': case 'BF': return 'node-fail';
    case 'FAILED': case 'F': case 'SPECIAL_EXIT': case 'SE_': return 'failed';
    default: return 'unknown';
  }
}

/** `squeue -h -r -o '%F|%K|%T|%r'` lines: array job id, task id, state, reason. Non-array jobs are skipped. */
export function parseSqueue(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split('\n')) {
    const [jobId, task, raw, reason] = line.trim().split('|');
    if (!jobId || !task || !raw || !/^\d+$/.test(task)) continue;
    out.push({ jobId, taskId: Number(task), state: normaliseState(raw), raw, reason: reason && reason !== 'None' ? reason : '' });
  }
  return out;
}

/** `sacct -n -P -X -o JobID,State,ExitCode,Reason` lines, e.g. `12_3|TIMEOUT|0:0|None`; `12_[4-7]` is still pending. */
export function parseSacct(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split('\n')) {
    const [id, raw, exitCode, reason] = line.trim().split('|');
    const m = /^(\d+)_(\d+)$/.exec(id ?? '');
    if (!m || !raw) continue;
    out.push({ jobId: m[1]!, taskId: Number(m[2]), state: normaliseState(raw), raw, reason: reason && reason !== 'None' ? reason : '', exitCode });
  }
  return out;
}

/** `KEY=VALUE KEY=VALUE …` of `scontrol -o show job` and of the filetxt completion log (values have no spaces). */
export function parseKeyValues(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=(\S*)/g)) out[m[1]!] = m[2]!;
  return out;
}

/** One task from a `scontrol -o show job` or jobcomp/filetxt line, when it belongs to an array. */
export function taskFromRecord(line: string): TaskState | null {
  const kv = parseKeyValues(line);
  if (!kv.ArrayJobId || kv.ArrayTaskId === undefined || !/^\d+$/.test(kv.ArrayTaskId)) return null;
  const raw = kv.JobState ?? '';
  return { jobId: kv.ArrayJobId, taskId: Number(kv.ArrayTaskId), state: normaliseState(raw), raw, reason: kv.Reason && kv.Reason !== 'None' ? kv.Reason : '', exitCode: kv.ExitCode };
}

/** `Submitted batch job 123` (or `123;cluster` with --parsable). */
export function parseSubmitted(text: string): string {
  const m = /Submitted batch job (\d+)/.exec(text) ?? /^(\d+)(;\S+)?\s*$/m.exec(text);
  if (!m) throw new Error(`sbatch did not report a job id: ${text.trim() || '(no output)'}`);
  return m[1]!;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export type Exec = (cmd: string, args: string[]) => Promise<RunResult>;

const realExec: Exec = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new SlurmMissing(`${cmd} is not installed or not on PATH: Slurm's client tools are needed to run a study on a cluster (run this on a login node).`));
        return;
      }
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });

/** The Slurm tools this product calls; a test or another scheduler front end can pass its own `exec`. */
export class Slurm {
  private config: Record<string, string> | null = null;

  constructor(private readonly exec: Exec = realExec) {}

  private async must(cmd: string, args: string[]): Promise<string> {
    const r = await this.exec(cmd, args);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  }

  /** Submits a batch script; returns the array's job id. */
  async sbatch(script: string, args: string[] = []): Promise<string> {
    return parseSubmitted(await this.must('sbatch', [...args, script]));
  }

  /** The controller's settings (`scontrol show config`), read once. */
  async settings(): Promise<Record<string, string>> {
    if (this.config) return this.config;
    const text = await this.must('scontrol', ['show', 'config']);
    const out: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^(\w+)\s+=\s+(.*)$/.exec(line.trim());
      if (m) out[m[1]!] = m[2]!.trim();
    }
    this.config = out;
    return out;
  }

  /** Tasks still known to the queue (pending, running, completing). */
  async queue(jobIds: string[]): Promise<TaskState[]> {
    if (!jobIds.length) return [];
    const r = await this.exec('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%F|%K|%T|%r']);
    // squeue refuses the whole list once every job in it has left the queue.
    if (r.code !== 0) {
      if (/Invalid job id/i.test(r.stderr)) return [];
      throw new Error(`squeue failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    return parseSqueue(r.stdout);
  }

  /** Final states: sacct where accounting exists, else scontrol (recent jobs), else the filetxt completion log. */
  async finished(jobIds: string[]): Promise<TaskState[]> {
    if (!jobIds.length) return [];
    const cfg = await this.settings();
    const found = new Map<string, TaskState>();
    const put = (t: TaskState) => found.set(`${t.jobId}_${t.taskId}`, t);
    if (cfg.AccountingStorageType && cfg.AccountingStorageType !== 'accounting_storage/none') {
      const r = await this.exec('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State,ExitCode,Reason']);
      if (r.code === 0) parseSacct(r.stdout).forEach(put);
    }
    for (const id of jobIds) {
      const r = await this.exec('scontrol', ['-o', 'show', 'job', id]);
      if (r.code !== 0) continue; // purged after MinJobAge: the completion log knows it
      for (const line of r.stdout.split('\n')) {
        const t = taskFromRecord(line);
        if (t && !found.has(`${t.jobId}_${t.taskId}`)) put(t);
      }
    }
    if (cfg.JobCompType === 'jobcomp/filetxt' && cfg.JobCompLoc && existsSync(cfg.JobCompLoc)) {
      const wanted = new Set(jobIds);
      for (const line of tailLines(cfg.JobCompLoc, 4 * 1024 * 1024)) {
        const t = taskFromRecord(line);
        // Later lines win: a requeued task completes more than once.
        if (t && wanted.has(t.jobId)) put(t);
      }
    }
    return [...found.values()];
  }

  /** scancel of whole arrays (`123`) or single tasks (`123_4`). */
  async cancel(ids: string[]): Promise<void> {
    if (ids.length) await this.must('scancel', ids);
  }
}

/** The last `maxBytes` of a file as lines (the first, possibly cut, line dropped). */
export function tailLines(path: string, maxBytes: number): string[] {
  const size = statSync(path).size;
  const start = Math.max(0, size - maxBytes);
  if (start === 0) return readFileSync(path, 'utf8').split('\n');
  const buf = Buffer.alloc(size - start);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8').split('\n').slice(1);
}
