/**
 * The paper's own figures of Tables 4–8 (resources/paper/tables-4-8.json), read once and validated with zod, so a
 * hand edit that breaks a row fails naming the file and the row. `ecgfm reproduce` puts them beside ours.
 */
import { z } from 'zod';
import { resourcePath, resourceText } from '../resources.js';

export const PAPER_TASKS = ['MI', 'STTC', 'CD', 'HYP'] as const;
const perTask = z.object({ MI: z.number(), STTC: z.number(), CD: z.number(), HYP: z.number() }).strict();
const unit = perTask.refine((v) => Object.values(v).every((x) => x >= 0 && x <= 1), 'AUROC/AUPRC must lie in [0, 1]');

const rowSchema = z
  .object({
    table: z.union([z.literal(4), z.literal(5), z.literal(6), z.literal(7)]),
    method: z.enum(['RAND', 'SL', 'CL', 'GL', 'HL']),
    protocol: z.enum(['random-linear', 'linear', 'finetune', 'supervised']),
    model: z.object({ patch: z.number().int(), depth: z.number().int(), dim: z.number().int() }).strict().nullable(),
    /** '' (the full setting), `usage=10|25|50` (Table 6) or `case=1|2|5` (Table 7). */
    condition: z.string().regex(/^(|usage=\d+|case=\d+)$/),
    auroc: unit,
    auprc: unit,
    criteria: z.number(),
  })
  .strict();

const riskSchema = z.record(z.enum(['CL', 'GL', 'HL']), perTask.extend({ AVR: z.number() }).strict());
const fileSchema = z
  .object({
    source: z.string(),
    tasks: z.array(z.string()),
    notes: z.record(z.string(), z.string()),
    rows: z.array(rowSchema).min(1),
    table8: z.object({ approximation: riskSchema, usability: riskSchema, probeGeneralization: riskSchema, encoderGeneralization: riskSchema }).strict(),
  })
  .strict();

export type PaperRow = z.infer<typeof rowSchema>;
export type PaperFigures = z.infer<typeof fileSchema>;
export type PaperTask = (typeof PAPER_TASKS)[number];

export const PAPER_FIGURES_FILE = 'paper/tables-4-8.json';

let cached: PaperFigures | null = null;

export function paperFigures(): PaperFigures {
  if (cached) return cached;
  let raw: unknown;
  try {
    raw = JSON.parse(resourceText(PAPER_FIGURES_FILE));
  } catch (err) {
    throw new Error(`${resourcePath(PAPER_FIGURES_FILE)} is not valid JSON: ${(err as Error).message}`);
  }
  const r = fileSchema.safeParse(raw);
  if (!r.success)
    throw new Error(`${resourcePath(PAPER_FIGURES_FILE)}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  cached = r.data;
  return cached;
}

/**
 * The paper's row for a method, protocol and condition. Table 5 gives SL at three architectures; `pairedWith`
 * picks the one of that SSL method's best row (the comparison the paper makes).
 */
export function paperRow(method: string, protocol: string, condition = '', pairedWith?: string): PaperRow | null {
  const rows = paperFigures().rows.filter((r) => r.method === method && r.protocol === protocol && r.condition === condition);
  if (rows.length <= 1 || !pairedWith) return rows[0] ?? null;
  const partner = paperFigures().rows.find((r) => r.method === pairedWith && r.condition === condition && r.table === rows[0]!.table && r.model);
  return rows.find((r) => partner?.model && r.model && r.model.patch === partner.model.patch && r.model.depth === partner.model.depth && r.model.dim === partner.model.dim) ?? rows[0]!;
}

/** A metric of a paper row: `criteria`, or AUROC/AUPRC of one task (null when the paper has no such task). */
export function paperValue(row: PaperRow, metric: 'criteria' | 'auroc' | 'auprc', task?: string): number | null {
  if (metric === 'criteria') return row.criteria;
  const v = (row[metric] as Record<string, number>)[task ?? ''];
  return v ?? null;
}
