/** `ecgfm report STUDY`: the paper-shaped CSV tables and the offline HTML page, rebuilt from the store alone. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceDir } from '../workspace.js';
import { nowIso, type Store } from '../store/store.js';
import { summarise } from '../experiments/study.js';
import { allTables, loadStudyData, toCsv, type Table } from './tables.js';
import { lossCurves, paperFigures, renderReportHtml } from './html.js';

export interface ReportResult {
  studyId: string;
  dir: string;
  html: string;
  csv: string[];
  tables: Table[];
}

/** `<workspace>/reports/<study name>/`. */
export function reportDir(studyName: string): string {
  return join(workspaceDir(), 'reports', studyName);
}

export async function writeReport(store: Store, studyIdOrName: string, opts: { outDir?: string } = {}): Promise<ReportResult> {
  const data = loadStudyData(store, studyIdOrName);
  const dir = opts.outDir ?? reportDir(data.study.name);
  mkdirSync(dir, { recursive: true });
  const tables = allTables(data);
  const csv: string[] = [];
  for (const t of tables) {
    const path = join(dir, `${t.id}.csv`);
    writeFileSync(path, toCsv(t));
    csv.push(path);
  }
  const s = summarise(data.cells.map((c) => c.cell));
  const html = join(dir, 'report.html');
  writeFileSync(
    html,
    renderReportHtml(data, tables, paperFigures(data), lossCurves(store, data), {
      generatedAt: nowIso(),
      dataset: data.config.dataset,
      backends: [...new Set(data.runs.map((r) => r.backend).filter(Boolean))],
      codeVersions: [...new Set(data.runs.map((r) => r.codeVersion).filter(Boolean))],
      summary: `${s.cells} cells: ${s.succeeded} succeeded, ${s.failed} failed, ${s.oom} out of memory, ${s.pending} pending`,
    }),
  );
  for (const path of [...csv, html]) await store.recordArtifact({ path, kind: path.endsWith('.html') ? 'report-html' : 'report-csv', studyId: data.study.id });
  return { studyId: data.study.id, dir, html, csv, tables };
}
