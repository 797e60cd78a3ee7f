/**
 * Offline predictions: a CSV with `label_<task>` and `score_<task>` columns per task and an optional `split`
 * column (train / val / test). `ecgfm metrics` scores any model's outputs from such a file.
 */
import { readFileSync } from 'node:fs';
import { parseCsv } from '../data/csv.js';
import {
  criteriaScore,
  taskMetrics,
  toBinary,
  type BootstrapOptions,
  type TaskMetrics,
} from './metrics.js';


export interface PredictionTable {
  tasks: string[];
  labels: Record<string, Uint8Array>;
  scores: Record<string, Float64Array>;
  /** Lower-cased split of each row, or null when the file has no split column. */
  split: string[] | null;
  rows: number;
}

const LABEL_VALUES: Record<string, number> = { '0': 0, '1': 1, true: 1, false: 0, '0.0': 0, '1.0': 1 };

export function readPredictionCsv(file: string): PredictionTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows[0];
  if (!header) throw new Error(`${file}: empty file; expected a header with label_<task> and score_<task> columns`);
  const names = header.map((h) => h.trim());
  const tasks = names.filter((h) => h.startsWith('label_')).map((h) => h.slice('label_'.length));
  if (tasks.length === 0) throw new Error(`${file}: no label_<task> column in the header (${names.join(', ')})`);
  for (const t of tasks) {
    if (!names.includes(`score_${t}`)) throw new Error(`${file}: label_${t} has no matching score_${t} column`);
  }
  const body = rows.slice(1);
  if (body.length === 0) throw new Error(`${file}: header only, no prediction rows`);
  const splitCol = names.indexOf('split');
  const labels: Record<string, Uint8Array> = {};
  const scores: Record<string, Float64Array> = {};
  for (const t of tasks) {
    const li = names.indexOf(`label_${t}`);
    const si = names.indexOf(`score_${t}`);
    const y = new Uint8Array(body.length);
    const s = new Float64Array(body.length);
    body.forEach((r, k) => {
      const line = k + 2;
      if (r.length !== names.length) {
        throw new Error(`${file}: line ${line} has ${r.length} fields, the header has ${names.length}`);
      }
      const lv = LABEL_VALUES[(r[li] ?? '').trim().toLowerCase()];
      if (lv === undefined) throw new Error(`${file}: line ${line}: label_${t} is "${r[li]}", expected 0 or 1`);
      const sv = Number((r[si] ?? '').trim());
      if ((r[si] ?? '').trim() === '' || !Number.isFinite(sv)) {
        throw new Error(`${file}: line ${line}: score_${t} is "${r[si]}", expected a number`);
      }
      y[k] = lv;
      s[k] = sv;
    });
    labels[t] = y;
    scores[t] = s;
  }
  const split = splitCol >= 0 ? body.map((r) => (r[splitCol] ?? '').trim().toLowerCase()) : null;
  return { tasks, labels, scores, split, rows: body.length };
}

export interface PredictionReport {
  file: string;
  /** Which rows were scored: 'test' when a split column exists, else 'all'. */
  evaluated: string;
  /** Where F1 thresholds came from. */
  thresholdFrom: string;
  tasks: TaskMetrics[];
  criteria: number;
  bootstrap: { resamples: number; seed: number };
}

function pick<T extends Uint8Array | Float64Array>(values: T, keep: number[]): T {
  const out = new (values.constructor as new (n: number) => T)(keep.length);
  keep.forEach((i, k) => (out[k] = values[i] as number));
  return out;
}

/** Metrics for every task in a prediction table; thresholds from `val` rows when the file has a split. */
export function scorePredictions(
  table: PredictionTable,
  file: string,
  options: BootstrapOptions & { evalSplit?: string; tasks?: string[] } = {},
): PredictionReport {
  const tasks = options.tasks ?? table.tasks;
  for (const t of tasks) if (!table.labels[t]) throw new Error(`${file}: no label_${t}/score_${t} columns`);
  const all = Array.from({ length: table.rows }, (_, i) => i);
  let testRows = all;
  let valRows: number[] = [];
  let evaluated = 'all';
  if (table.split) {
    const wanted = (options.evalSplit ?? 'test').toLowerCase();
    testRows = all.filter((i) => table.split?.[i] === wanted);
    valRows = all.filter((i) => ['val', 'valid', 'validation'].includes(table.split?.[i] ?? ''));
    evaluated = wanted;
    if (testRows.length === 0) {
      const seen = [...new Set(table.split)].join(', ');
      throw new Error(`${file}: no rows with split "${wanted}" (splits present: ${seen}); choose one with --split`);
    }
  } else if (options.evalSplit) {
    throw new Error(`${file}: --split ${options.evalSplit} given but the file has no split column`);
  }
  const resamples = options.resamples ?? 1000;
  const seed = options.seed ?? 0;
  const metrics = tasks.map((t) => {
    const y = toBinary(pick(table.labels[t] as Uint8Array, testRows));
    const s = pick(table.scores[t] as Float64Array, testRows);
    const validation = valRows.length
      ? { labels: pick(table.labels[t] as Uint8Array, valRows), scores: pick(table.scores[t] as Float64Array, valRows) }
      : undefined;
    return taskMetrics(t, y, s, { resamples, seed, alpha: options.alpha, validation });
  });
  return {
    file,
    evaluated,
    thresholdFrom: valRows.length ? 'val rows' : `${evaluated} rows (no validation rows in the file)`,
    tasks: metrics,
    criteria: criteriaScore(metrics),
    bootstrap: { resamples, seed },
  };
}
