/**
 * The batch script of a study's job array: one array task per cell (the task id is the cell's index), each running
 * `ecgfm study cell STUDY $SLURM_ARRAY_TASK_ID` on its node against the shared workspace. The script is written into
 * the study's folder and kept there, so every submission can be read back and re-run by hand.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SlurmSettings } from '../../contract/cluster.js';

/** `--array` for these cell indices: ranges where consecutive, `%N` when throttled (`0-3,7,9-10%4`). */
export function arraySpec(indices: number[], maxParallel?: number): string {
  const xs = [...new Set(indices)].sort((a, b) => a - b);
  if (!xs.length) throw new Error('A job array needs at least one cell.');
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',') + (maxParallel ? `%${maxParallel}` : '');
}

/** Backends that compute on a GPU: their tasks ask Slurm for one unless --gres says otherwise. */
export function isGpuBackend(name: string | undefined): boolean {
  return !!name && /gpu/i.test(name);
}

/** The GRES request: as given, none when `none`, else `gpu:1` for a GPU backend. */
export function gresFor(settings: Pick<SlurmSettings, 'gres' | 'backend'>): string | null {
  if (settings.gres === 'none') return null;
  if (settings.gres) return settings.gres;
  return isGpuBackend(settings.backend) ? 'gpu:1' : null;
}

export interface BatchScriptInput {
  study: string;
  indices: number[];
  settings: SlurmSettings;
  workspace: string;
  logDir: string;
  /** The Node binary and the `ecgfm` entry the tasks run; by default this process's. */
  node?: string;
  entry?: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The `ecgfm` entry of this checkout (bin/ecgfm.mjs), which runs main/ through tsx. */
export function defaultEntry(): string {
  return fileURLToPath(new URL('../../bin/ecgfm.mjs', import.meta.url));
}

export function batchScript(input: BatchScriptInput): string {
  const s = input.settings;
  const directives: string[] = [
    `--job-name=ecgfm-${input.study}`,
    `--array=${arraySpec(input.indices, s.maxParallel)}`,
    `--output=${input.logDir}/%A_%a.log`,
    `--chdir=${dirname(input.logDir)}`,
    '--ntasks=1',
  ];
  if (s.partition) directives.push(`--partition=${s.partition}`);
  if (s.account) directives.push(`--account=${s.account}`);
  if (s.qos) directives.push(`--qos=${s.qos}`);
  if (s.time) directives.push(`--time=${s.time}`);
  const gres = gresFor(s);
  if (gres) directives.push(`--gres=${gres}`);
  if (s.cpusPerTask) directives.push(`--cpus-per-task=${s.cpusPerTask}`);
  if (s.mem) directives.push(`--mem=${s.mem}`);
  for (const a of s.sbatchArgs) {
    if (/[\n\r]/.test(a)) throw new Error(`--sbatch-arg "${a}" contains a line break.`);
    directives.push(a);
  }
  const node = input.node ?? process.execPath;
  const entry = input.entry ?? defaultEntry();
  const env = [`export ECGFM_WORKSPACE=${quote(input.workspace)}`];
  if (s.backend && s.backend !== 'auto') env.push(`export ECGFM_BACKEND=${quote(s.backend)}`);
  if (s.cpusPerTask) env.push(`export ECGFM_THREADS=${s.cpusPerTask}`);
  return [
    '#!/bin/bash',
    ...directives.map((d) => `#SBATCH ${d}`),
    `# ECG-FM Workstation: study ${input.study}, one array task per cell (task id = cell index).`,
    '# Each task writes only under its cell folder; the submitting side merges results into the store.',
    'set -euo pipefail',
    ...env,
    `echo "ecgfm: cell $SLURM_ARRAY_TASK_ID of study ${input.study} on $(hostname), job $SLURM_ARRAY_JOB_ID, attempt \${SLURM_RESTART_COUNT:-0}"`,
    // exec: the cell's process receives Slurm's signals itself (scancel, the time limit, preemption).
    `exec ${quote(node)} ${quote(entry)} study cell ${quote(input.study)} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}
