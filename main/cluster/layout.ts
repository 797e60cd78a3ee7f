/**
 * A Slurm study's folder in the shared workspace, `<workspace>/studies/<name>/slurm/`: the batch scripts as
 * submitted, the tasks' logs, the study snapshot the tasks read, and per cell its own store, outcome and progress.
 * Compute nodes write only under their cell's folder; the submitting side alone writes the workspace's store.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { workspaceDir } from '../workspace.js';
import { tailLines } from './slurm.js';

export function clusterDir(studyName: string): string {
  return join(workspaceDir(), 'studies', studyName, 'slurm');
}

export function cellDir(studyName: string, index: number): string {
  return join(clusterDir(studyName), 'cells', String(index));
}

export const cellStorePath = (studyName: string, index: number) => join(cellDir(studyName, index), 'store.sqlite');

/** `%A_%a.log` in the batch script; the same name for a task's log here. */
export function logPath(studyName: string, jobId: string, taskId: number): string {
  return join(clusterDir(studyName), 'logs', `${jobId}_${taskId}.log`);
}

/** Writes through a temporary file and a rename, so a reader on another node never sees half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

function readJson<T>(path: string, schema: z.ZodType<T>): T | null {
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

const cellSpecSchema = z.object({ key: z.string(), method: z.string(), patch: z.number(), depth: z.number(), dim: z.number() });
const snapshotSchema = z.object({ name: z.string(), config: z.record(z.string(), z.unknown()), cells: z.array(cellSpecSchema) });
export type StudySnapshot = z.infer<typeof snapshotSchema>;

/** What a task needs to run its cell without opening the workspace's store. */
export function writeSnapshot(s: StudySnapshot): void {
  mkdirSync(clusterDir(s.name), { recursive: true });
  writeJsonAtomic(join(clusterDir(s.name), 'study.json'), s);
}

export function readSnapshot(studyName: string): StudySnapshot {
  const path = join(clusterDir(studyName), 'study.json');
  const s = readJson(path, snapshotSchema);
  if (!s) throw new Error(`${path} is missing: study ${studyName} was not submitted to Slurm from this workspace (ECGFM_WORKSPACE=${workspaceDir()}).`);
  return s;
}

const outcomeSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'oom', 'interrupted']),
  error: z.string().nullable(),
  jobId: z.string().nullable(),
  taskId: z.number().nullable(),
  host: z.string(),
  finishedAt: z.string(),
});
export type CellOutcome = z.infer<typeof outcomeSchema>;

export const outcomePath = (studyName: string, index: number) => join(cellDir(studyName, index), 'outcome.json');
export const readOutcome = (studyName: string, index: number) => readJson(outcomePath(studyName, index), outcomeSchema);

const progressSchema = z.object({ message: z.string(), fraction: z.number().nullable(), at: z.string() });
export type CellProgress = z.infer<typeof progressSchema>;
export const progressPath = (studyName: string, index: number) => join(cellDir(studyName, index), 'progress.json');

export function readProgress(studyName: string, index: number): CellProgress | null {
  try {
    return readJson(progressPath(studyName, index), progressSchema);
  } catch {
    return null; // progress is advisory: a damaged file only hides the phase
  }
}

/** The last `n` lines of a task's log, or null when it has none yet. */
export function logTail(path: string, n = 20): string | null {
  if (!existsSync(path)) return null;
  const lines = tailLines(path, 64 * 1024);
  while (lines.length && !lines.at(-1)!.trim()) lines.pop();
  return lines.slice(-n).join('\n');
}
