/**
 * `clinical run`: a packaged model over a local cohort, streamed in batches with bounded memory.
 *
 * Files in the output folder:
 * - run.json: model (path, checksum), cohort, settings; a resumed run must match it.
 * - scores.csv: one line per scored record (id, patient, age, sex, label_<task>…, score_<task>…), appended per
 *   batch; after a kill the next run keeps every complete line and skips those ids.
 * - unreadable.csv: every record that could not be read or lacks a required lead, with the reason.
 * Scoring (metrics.json, predictions.csv) happens afterwards in `scoreCohortRun`.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ECG_SIZE } from '../data/types.js';
import type { SourceRecord } from '../data/adapters/source.js';
import { checkCohortCompatibility, limitRecords, openCohort, readCohortRecord, resolveCohortKind, type CohortSpec } from './cohort.js';
import type { PackageHeader } from './package.js';

/** What scores ECGs: the tfjs model or an ONNX Runtime session of its export. */
export interface Scorer {
  readonly description: string;
  /** Sigmoid scores, row-major [count × tasks]. */
  score(signals: Float32Array, count: number): Promise<Float32Array>;
  dispose(): void;
}

export interface CohortRunOptions {
  header: PackageHeader;
  modelPath: string;
  scorer: Scorer;
  cohort: CohortSpec;
  outDir: string;
  batchSize?: number;
  /**
   * Stop after this many newly scored records, leaving the run to finish on the next call (it stays resumable).
   * Which records a run covers is the cohort's `limit`, not this.
   */
  stopAfter?: number;
  /**
   * Records the package saw in training or calibration (same record id, or same patient): left out by default,
   * since scoring them inflates every metric; 'include' scores them and the report says how many there were.
   */
  seen?: 'exclude' | 'include';
  onProgress?(p: CohortProgress): void;
  signal?: AbortSignal;
}

export interface CohortProgress {
  done: number;
  total: number;
  failed: number;
  resumed: number;
  ecgPerSecond: number;
}

/** Cohort records the package had seen (by record id or patient id) and what the run did with them. */
export interface SeenOverlap {
  records: number;
  patients: number;
  /** True: left out of the run; false: scored anyway. */
  excluded: boolean;
  /** False when the package does not record what it saw (exported before provenance kept it). */
  known: boolean;
  /** The first overlapping record ids, for the report. */
  examples: string[];
}

/** Which cohort records share a record id or a patient with the package's training and calibration parts. */
export function seenOverlap(records: SourceRecord[], header: PackageHeader): { ids: Set<string>; patients: number; known: boolean } {
  const seen = header.provenance.seen;
  if (!seen) return { ids: new Set(), patients: 0, known: false };
  const recs = new Set(seen.records);
  const pats = new Set(seen.patients);
  const ids = new Set<string>();
  const patients = new Set<string>();
  for (const r of records) {
    const byPatient = r.patientId !== '' && pats.has(r.patientId);
    if (recs.has(r.id) || byPatient) {
      ids.add(r.id);
      if (byPatient) patients.add(r.patientId);
    }
  }
  return { ids, patients: patients.size, known: true };
}

export interface CohortRunSummary {
  outDir: string;
  overlap: SeenOverlap;
  cohort: string;
  /** Things the user must know about how the cohort was read (a --kind that disagrees with the folder). */
  warnings: string[];
  compatibility: string;
  total: number;
  scored: number;
  resumed: number;
  unreadable: number;
  complete: boolean;
  engine: string;
  seconds: number;
}

export const SCORES_FILE = 'scores.csv';
export const UNREADABLE_FILE = 'unreadable.csv';
export const RUN_FILE = 'run.json';

export function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Ids already in a file's first column, keeping only complete lines; a torn last line is cut off. */
function completedIds(path: string, columns: number): Set<string> {
  const done = new Set<string>();
  if (!existsSync(path)) return done;
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) writeFileSync(path, text.slice(0, end)); // A kill mid-append left half a line.
  const lines = text.slice(0, end).split('\n');
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k] as string;
    if (!line) continue;
    const cells = splitCsvLine(line);
    if (columns === 0 || cells.length === columns) done.add(cells[0] as string);
  }
  return done;
}

export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function scoresHeader(tasks: string[]): string[] {
  return ['id', 'patient_id', 'age', 'sex', ...tasks.map((t) => `label_${t}`), ...tasks.map((t) => `score_${t}`)];
}

export async function runCohort(opts: CohortRunOptions): Promise<CohortRunSummary> {
  const started = performance.now();
  const { header } = opts;
  const tasks = header.tasks.map((t) => t.name);
  const pre = header.preprocessing;
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const cohort = await openCohort(opts.cohort);
  const compatibility = checkCohortCompatibility(cohort, pre);
  const kindWarning = resolveCohortKind(cohort.spec.path, cohort.spec.kind).warning;
  const warnings = kindWarning ? [kindWarning] : [];

  const over = seenOverlap(cohort.records, header);
  const excluded = (opts.seen ?? 'exclude') === 'exclude';
  const overlap: SeenOverlap = { records: over.ids.size, patients: over.patients, excluded, known: over.known, examples: [...over.ids].slice(0, 20) };
  const eligible = excluded ? cohort.records.filter((r) => !over.ids.has(r.id)) : cohort.records;
  // --limit: a fixed subset of the records (and of the rows the adapter could not describe) after the exclusions.
  const limit = cohort.spec.limit;
  const picked = new Set(limitRecords([...eligible.map((r) => ({ id: r.id })), ...cohort.problems.map((p) => ({ id: p.ref }))], limit).map((r) => r.id));
  const records = limit === undefined ? eligible : eligible.filter((r) => picked.has(r.id));
  const problems = limit === undefined ? cohort.problems : cohort.problems.filter((p) => picked.has(p.ref));
  const description = limit === undefined || limit >= eligible.length + cohort.problems.length
    ? cohort.description
    : `${cohort.description}; a subset of ${records.length + problems.length} chosen by --limit ${limit} (the same records on every run)`;
  const runInfo = {
    model: { path: resolve(opts.modelPath), weightsSha256: header.weightsSha256, tasks },
    overlap,
    warnings,
    cohort: cohort.spec,
    cohortDescription: description,
    labelled: tasks.filter((t) => cohort.labelNames.includes(t)),
    engine: opts.scorer.description,
    startedAt: new Date().toISOString(),
  };
  const runPath = join(outDir, RUN_FILE);
  if (existsSync(runPath)) {
    const prev = JSON.parse(readFileSync(runPath, 'utf8')) as typeof runInfo;
    if (prev.model.weightsSha256 !== header.weightsSha256 || JSON.stringify(prev.cohort) !== JSON.stringify(cohort.spec)) {
      throw new Error(`${outDir} holds a run of another model or cohort; choose a new --out folder`);
    }
  } else writeFileSync(runPath, JSON.stringify(runInfo, null, 2));

  const cols = scoresHeader(tasks);
  const scoresPath = join(outDir, SCORES_FILE);
  const failPath = join(outDir, UNREADABLE_FILE);
  const done = completedIds(scoresPath, cols.length);
  const failed = completedIds(failPath, 0);
  if (!existsSync(scoresPath)) writeFileSync(scoresPath, cols.join(',') + '\n');
  if (!existsSync(failPath)) writeFileSync(failPath, 'id,file,problem\n');
  const fail = (id: string, file: string, problem: string) => {
    if (failed.has(id)) return;
    failed.add(id);
    appendFileSync(failPath, [id, file, problem].map(csvCell).join(',') + '\n');
  };
  for (const p of problems) fail(p.ref, p.file, p.problem);

  const resumed = records.filter((r) => done.has(r.id)).length;
  const todo = records.filter((r) => !done.has(r.id) && !failed.has(r.id));
  const total = records.length + problems.length;
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const buf = new Float32Array(batchSize * ECG_SIZE);
  let scored = 0;
  const t0 = performance.now();
  const report = () =>
    opts.onProgress?.({
      done: done.size + failed.size,
      total,
      failed: failed.size,
      resumed,
      ecgPerSecond: scored / Math.max(1e-9, (performance.now() - t0) / 1000),
    });
  report();
  let pos = 0;
  const stopAfter = opts.stopAfter ?? Infinity;
  while (pos < todo.length && scored < stopAfter) {
    if (opts.signal?.aborted) break;
    const metas: Array<{ rec: SourceRecord; labels: Record<string, boolean>; fields: Record<string, unknown> }> = [];
    while (metas.length < batchSize && pos < todo.length && scored + metas.length < stopAfter) {
      const rec = todo[pos++] as SourceRecord;
      const r = readCohortRecord(rec, pre);
      if (!r.ok) {
        fail(rec.id, rec.file, r.problem);
        continue;
      }
      buf.set(r.signal, metas.length * ECG_SIZE);
      metas.push({ rec, labels: r.meta.labels, fields: { ...r.meta.fields, patientId: r.meta.patientId } });
    }
    if (metas.length === 0) continue;
    const p = await opts.scorer.score(buf, metas.length);
    const lines = metas.map((m, i) => {
      const labels = tasks.map((t) => (t in m.labels ? (m.labels[t] ? '1' : '0') : ''));
      const scores = tasks.map((_, t) => String(p[i * tasks.length + t]));
      return [m.rec.id, m.fields.patientId, m.fields.age, m.fields.sex, ...labels, ...scores].map(csvCell).join(',');
    });
    appendFileSync(scoresPath, lines.join('\n') + '\n');
    for (const m of metas) done.add(m.rec.id);
    scored += metas.length;
    report();
    await new Promise((r) => setImmediate(r));
  }
  return {
    outDir,
    overlap,
    cohort: description,
    warnings,
    compatibility,
    total,
    scored,
    resumed,
    unreadable: failed.size,
    complete: done.size + failed.size >= total,
    engine: opts.scorer.description,
    seconds: (performance.now() - started) / 1000,
  };
}
