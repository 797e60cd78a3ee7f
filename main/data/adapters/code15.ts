/**
 * CODE-15% and SaMi-Trop (HDF5). CODE-15%: `exams.csv` gives labels, patient_id and the part file of each exam
 * (`trace_file`); each part holds `tracings` (N, 4096, 12) at 400 Hz, zero-padded, and `exam_id`.
 * SaMi-Trop: one file with `tracings` only; ids follow the row order of `exams.csv`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCsvTable, type CsvTable } from '../csv.js';
import { confine, datasetRoot } from '../confine.js';
import { initHdf5, readIds } from '../hdf5/read.js';
import { cleanId, numberOrNull, type SourceListing, type SourceProblem, type SourceRecord } from './source.js';

export const CODE15_FS = 400;
const NOT_LABELS = new Set(['exam_id', 'age', 'is_male', 'patient_id', 'trace_file', 'nn_predicted_age', 'timey']);

function isBool(v: string | undefined): boolean {
  return v !== undefined && /^(true|false|0|1)$/i.test(v.trim());
}
function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(true|1)$/i.test(v.trim());
}

function labelColumns(rows: Record<string, string>[]): string[] {
  const first = rows[0];
  if (!first) return [];
  return Object.keys(first).filter((k) => !NOT_LABELS.has(k) && rows.every((r) => r[k] === '' || isBool(r[k])));
}

function fieldsOf(row: Record<string, string>): Record<string, string | number | null> {
  return {
    age: numberOrNull(row.age),
    sex: row.is_male === undefined ? null : truthy(row.is_male) ? 'M' : 'F',
    ...(row.nn_predicted_age !== undefined ? { nn_predicted_age: numberOrNull(row.nn_predicted_age) } : {}),
    ...(row.timey !== undefined ? { timey: numberOrNull(row.timey) } : {}),
  };
}

export async function code15Listing(folder: string): Promise<SourceListing> {
  const csv = join(folder, 'exams.csv');
  if (!existsSync(csv)) throw new Error(`${folder}: not a CODE-15% folder (exams.csv is missing)`);
  await initHdf5();
  const table = readCsvTable(csv, ['exam_id', 'trace_file']);
  const rows = table.rows.map((r) => r.values);
  const labelNames = labelColumns(rows);
  const records: SourceRecord[] = [];
  const problems: SourceProblem[] = csvProblems('code15', table);
  const rowsByFile = new Map<string, Record<string, string>[]>();
  const root = datasetRoot(folder);
  for (const r of rows) {
    const f = r.trace_file ?? '';
    const list = rowsByFile.get(f) ?? [];
    list.push(r);
    rowsByFile.set(f, list);
  }
  for (const [traceFile, list] of rowsByFile) {
    let path = join(folder, traceFile);
    let index: Map<string, number>;
    try {
      if (!traceFile) throw new Error(`${csv}: exams without a trace_file`);
      path = confine(root, folder, traceFile, 'trace_file');
      index = new Map(readIds(path, 'exam_id').map((id, i) => [cleanId(id), i]));
    } catch (err) {
      for (const r of list) problems.push({ ref: `code15:${cleanId(r.exam_id ?? '')}`, file: path, problem: (err as Error).message });
      continue;
    }
    for (const r of list) {
      const id = cleanId(r.exam_id ?? '');
      const row = index.get(id);
      if (row === undefined) {
        problems.push({ ref: `code15:${id}`, file: path, problem: `exam_id ${id} is not in the file's exam_id dataset` });
        continue;
      }
      records.push({
        ref: `code15:${id}`, id, patientId: cleanId(r.patient_id ?? '') || id, source: 'code15',
        labels: Object.fromEntries(labelNames.map((k) => [k, truthy(r[k])])), fields: { ...fieldsOf(r), trace_file: traceFile },
        file: path, recipe: { reader: 'hdf5', file: path, row, dataset: 'tracings', fs: CODE15_FS, stripPadding: true, root },
      });
    }
  }
  return { records, problems, labelNames };
}

export async function samitropListing(folder: string): Promise<SourceListing> {
  const csv = join(folder, 'exams.csv');
  if (!existsSync(csv)) throw new Error(`${folder}: not a SaMi-Trop folder (exams.csv is missing)`);
  const h5 = readdirSync(folder).filter((f) => /\.(hdf5|h5)$/i.test(f)).sort();
  if (h5.length !== 1) throw new Error(`${folder}: expected one .hdf5 file beside exams.csv, found ${h5.length}`);
  await initHdf5();
  const root = datasetRoot(folder);
  const path = confine(root, folder, h5[0]!, 'HDF5 file');
  const table = readCsvTable(csv, ['exam_id']);
  const rows = table.rows.map((r) => r.values);
  const labelNames = labelColumns(rows);
  // Ids follow the row order of the table, so a row that cannot be read still holds its place.
  const lines = [...table.rows.map((r) => r.line), ...table.problems.map((p) => p.line)].sort((a, b) => a - b);
  const ordinal = new Map(lines.map((l, i) => [l, i]));
  const records: SourceRecord[] = table.rows.map(({ line, values: r }) => {
    const row = ordinal.get(line)!;
    const id = cleanId(r.exam_id ?? '') || String(row);
    return {
      ref: `samitrop:${id}`, id, patientId: cleanId(r.patient_id ?? '') || id, source: 'samitrop',
      labels: Object.fromEntries(labelNames.map((k) => [k, truthy(r[k])])), fields: fieldsOf(r), file: path,
      recipe: { reader: 'hdf5', file: path, row, dataset: 'tracings', fs: CODE15_FS, stripPadding: true, root },
    };
  });
  return { records, problems: csvProblems('samitrop', table), labelNames };
}

function csvProblems(source: string, table: CsvTable): SourceProblem[] {
  return table.problems.map((p) => ({ ref: `${source}:line ${p.line}`, file: table.path, problem: `line ${p.line}: ${p.problem}` }));
}
