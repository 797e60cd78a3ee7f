/**
 * PTB-XL: ptbxl_database.csv (scp_codes as Python-dict literals) + scp_statements.csv. Superclasses are the
 * diagnostic_class of every scp code whose statement has diagnostic == 1, at any likelihood (the benchmark convention).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsvObjects, readCsvTable } from '../csv.js';
import { confine, datasetRoot } from '../confine.js';
import { cleanId, numberOrNull, type SourceListing, type SourceProblem, type SourceRecord } from './source.js';

export const PTBXL_SUPERCLASSES = ['NORM', 'MI', 'STTC', 'CD', 'HYP'] as const;

export interface PtbxlRecord extends SourceRecord {
  scpCodes: Record<string, number>;
  /** Header paths for both rates (the file may be absent). */
  paths: { lr: string; hr: string };
}

/** `{'NORM': 100.0, 'LVOLT': 0.0}` → { NORM: 100, LVOLT: 0 }. */
export function parseScpCodes(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) throw new Error(`scp_codes "${text}" is not a dict literal`);
  const re = /['"]([^'"]+)['"]\s*:\s*([-+\d.eE]+|nan|None)/g;
  for (let m = re.exec(t); m; m = re.exec(t)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Map scp code → superclass for the diagnostic statements. */
export function diagnosticClasses(folder: string): Map<string, string> {
  const rows = readCsvObjects(join(folder, 'scp_statements.csv'));
  const map = new Map<string, string>();
  for (const r of rows) {
    const code = r[''] ?? Object.values(r)[0] ?? '';
    if (Number(r.diagnostic) === 1 && r.diagnostic_class) map.set(code, r.diagnostic_class);
  }
  return map;
}

/** List the PTB-XL records of a folder; `rate` picks filename_lr (100 Hz, default) or filename_hr (500 Hz). */
export function ptbxlRecords(folder: string, rate: 100 | 500 = 100): PtbxlRecord[] {
  return ptbxlListing(folder, rate).records as PtbxlRecord[];
}

export function ptbxlListing(folder: string, rate: 100 | 500 = 100): SourceListing {
  const dbPath = join(folder, 'ptbxl_database.csv');
  if (!existsSync(dbPath)) throw new Error(`${folder}: not a PTB-XL folder (ptbxl_database.csv is missing)`);
  if (!existsSync(join(folder, 'scp_statements.csv'))) throw new Error(`${folder}: scp_statements.csv is missing`);
  const classes = diagnosticClasses(folder);
  const root = datasetRoot(folder);
  const records: PtbxlRecord[] = [];
  const column = rate === 500 ? 'filename_hr' : 'filename_lr';
  const table = readCsvTable(dbPath, ['ecg_id', 'patient_id', 'scp_codes', 'strat_fold', column]);
  const problems: SourceProblem[] = table.problems.map((p) => ({ ref: `ptbxl:line ${p.line}`, file: dbPath, problem: `line ${p.line}: ${p.problem}` }));
  for (const { line, values: row } of table.rows) {
    const id = cleanId(row.ecg_id ?? '');
    const ref = id ? `ptbxl:${id}` : `ptbxl:line ${line}`;
    try {
      if (!id) throw new Error('row without ecg_id');
      const scpCodes = parseScpCodes(row.scp_codes ?? '');
      const labels: Record<string, boolean> = Object.fromEntries(PTBXL_SUPERCLASSES.map((c) => [c, false]));
      for (const code of Object.keys(scpCodes)) {
        const cls = classes.get(code);
        if (cls) labels[cls] = true;
      }
      const paths = { lr: join(folder, `${row.filename_lr}.hea`), hr: join(folder, `${row.filename_hr}.hea`) };
      if (!row[column]) throw new Error(`row without ${column}`);
      const headerPath = confine(root, folder, `${row[column]}.hea`, column);
      records.push({
        ref,
        id,
        patientId: cleanId(row.patient_id ?? ''),
        source: 'ptbxl',
        labels,
        scpCodes,
        fields: {
          strat_fold: numberOrNull(row.strat_fold),
          age: numberOrNull(row.age),
          sex: numberOrNull(row.sex),
          scp_codes: row.scp_codes ?? null,
          filename_lr: row.filename_lr ?? null,
          filename_hr: row.filename_hr ?? null,
        },
        file: headerPath,
        paths,
        recipe: { reader: 'wfdb', headerPath, root },
      });
    } catch (err) {
      problems.push({ ref, file: dbPath, problem: `line ${line}: ${(err as Error).message}` });
    }
  }
  return { records, problems, labelNames: [...PTBXL_SUPERCLASSES] };
}
