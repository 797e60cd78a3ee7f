/**
 * Test-part predictions of a study's downstream runs and simulation cells, one JSON file each under
 * `<workspace>/studies/<study>/predictions/`, so paired comparisons (the same test records scored by two models)
 * can be computed after the fact. Read back through zod: a damaged file fails naming itself.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { workspaceDir } from '../workspace.js';

export const predictionsFileSchema = z
  .object({
    runId: z.string(),
    protocol: z.string(),
    /** '' for the full setting, else the store's condition (`usage=10`, `case=1`), without the `#r` repeat. */
    condition: z.string(),
    seed: z.number().int(),
    tasks: z.array(z.string()).min(1),
    indices: z.array(z.number().int().nonnegative()),
    labels: z.array(z.array(z.number())),
    scores: z.array(z.array(z.number())),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const [name, rows] of [['labels', p.labels], ['scores', p.scores]] as const) {
      if (rows.length !== p.tasks.length) ctx.addIssue({ code: 'custom', message: `${name} has ${rows.length} rows for ${p.tasks.length} tasks` });
      rows.forEach((r, t) => {
        if (r.length !== p.indices.length) ctx.addIssue({ code: 'custom', message: `${name}[${t}] has ${r.length} values for ${p.indices.length} records` });
      });
    }
  });
export type PredictionsFile = z.infer<typeof predictionsFileSchema>;

export function predictionsDir(studyName: string): string {
  return join(workspaceDir(), 'studies', studyName, 'predictions');
}

const fileName = (runId: string, condition: string) => `${runId}${condition ? `@${condition.replace(/[^\w.=-]/g, '_')}` : ''}.json`;

export function savePredictions(studyName: string, p: PredictionsFile): string {
  const dir = predictionsDir(studyName);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName(p.runId, p.condition));
  // Scores are float32 from the engines; 7 significant digits keep them exactly and the file small.
  const body = JSON.stringify({ ...p, scores: p.scores.map((s) => s.map((v) => Number(v.toPrecision(7)))) });
  writeFileSync(`${path}.tmp-${process.pid}`, body);
  renameSync(`${path}.tmp-${process.pid}`, path);
  return path;
}

export function readPredictionsFile(path: string): PredictionsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not readable JSON (${(err as Error).message})`);
  }
  const r = predictionsFileSchema.safeParse(raw);
  if (!r.success) throw new Error(`${path}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Every predictions file of a study (none when it has not scored anything yet). */
export function studyPredictions(studyName: string): PredictionsFile[] {
  const dir = predictionsDir(studyName);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readPredictionsFile(join(dir, f)));
}
