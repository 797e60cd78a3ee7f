/** MIMIC-IV-ECG: record_list.csv (subject_id, study_id, path); the patient is subject_id. No labels. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsvTable } from '../csv.js';
import { confine, datasetRoot } from '../confine.js';
import { cleanId, type SourceListing, type SourceProblem, type SourceRecord } from './source.js';

export function mimicListing(folder: string): SourceListing {
  const list = join(folder, 'record_list.csv');
  if (!existsSync(list)) throw new Error(`${folder}: not a MIMIC-IV-ECG folder (record_list.csv is missing)`);
  const records: SourceRecord[] = [];
  const problems: SourceProblem[] = [];
  const root = datasetRoot(folder);
  const table = readCsvTable(list, ['subject_id', 'study_id', 'path']);
  for (const p of table.problems) problems.push({ ref: `mimic:line ${p.line}`, file: list, problem: `line ${p.line}: ${p.problem}` });
  for (const { line, values: row } of table.rows) {
    const id = cleanId(row.study_id ?? '');
    const ref = id ? `mimic:${id}` : `mimic:line ${line}`;
    if (!id || !row.path || !row.subject_id) {
      problems.push({ ref, file: list, problem: `line ${line}: row lacks study_id, subject_id or path` });
      continue;
    }
    let headerPath: string;
    try {
      headerPath = confine(root, folder, `${row.path}.hea`, 'path');
    } catch (err) {
      problems.push({ ref, file: list, problem: `line ${line}: ${(err as Error).message}` });
      continue;
    }
    records.push({
      ref, id, patientId: cleanId(row.subject_id), source: 'mimic-iv-ecg', labels: {},
      fields: { ecg_time: row.ecg_time ?? null, path: row.path }, file: headerPath,
      recipe: { reader: 'wfdb', headerPath, root },
    });
  }
  return { records, problems, labelNames: [] };
}
