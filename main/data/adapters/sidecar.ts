/**
 * Labels and fields from a CSV sidecar, joined to a listing's records on an id column: the value may be the record
 * id ("sub/ecg001"), its last part ("ecg001") or the file name ("ecg001.xml"). Columns whose values are all
 * boolean (0/1, true/false, yes/no, blank) become labels; the others fields; patient_id/subject_id sets the patient.
 * Rows that match no record and records that match no row are reported, not dropped silently.
 */
import { basename } from 'node:path';
import { readCsvObjects } from '../csv.js';
import { cleanId, type SourceListing } from './source.js';

export interface SidecarOptions {
  file: string;
  idColumn: string;
}

export interface SidecarReport {
  file: string;
  idColumn: string;
  rows: number;
  matched: number;
  labelNames: string[];
  fieldNames: string[];
  /** Id values of rows that matched no record. */
  unmatchedRows: string[];
  /** Ids of records that no row matched. */
  unmatchedRecords: string[];
}

const BOOL = /^(0|1|true|false|yes|no|y|n)$/i;
const TRUE = /^(1|true|yes|y)$/i;
const PATIENT = ['patient_id', 'subject_id', 'patient'];

function keysOf(id: string, file: string): string[] {
  const base = id.replace(/#w\d+$/, '');
  const name = basename(file);
  return [...new Set([base, base.split('/').pop() ?? base, name, name.replace(/\.[^.]+$/, '')].map((k) => k.toLowerCase()))];
}

export function joinSidecar(listing: SourceListing, opts: SidecarOptions): SidecarReport {
  const rows = readCsvObjects(opts.file);
  if (rows.length && !(opts.idColumn in rows[0]!)) {
    throw new Error(`${opts.file}: no column "${opts.idColumn}" (columns: ${Object.keys(rows[0]!).join(', ')})`);
  }
  const columns = rows.length ? Object.keys(rows[0]!).filter((c) => c !== opts.idColumn) : [];
  const labelNames = columns.filter((c) => !PATIENT.includes(c) && rows.some((r) => (r[c] ?? '').trim() !== '') && rows.every((r) => (r[c] ?? '').trim() === '' || BOOL.test(r[c]!.trim())));
  const fieldNames = columns.filter((c) => !labelNames.includes(c));
  const byKey = new Map<string, number>();
  rows.forEach((r, i) => {
    const v = cleanId(r[opts.idColumn] ?? '').toLowerCase();
    if (v && !byKey.has(v)) byKey.set(v, i);
  });
  const used = new Set<number>();
  const unmatchedRecords: string[] = [];
  for (const rec of listing.records) {
    const i = keysOf(rec.id, rec.file).map((k) => byKey.get(k)).find((x) => x !== undefined);
    if (i === undefined) {
      unmatchedRecords.push(rec.id);
      continue;
    }
    used.add(i);
    const row = rows[i]!;
    for (const c of labelNames) if ((row[c] ?? '').trim() !== '') rec.labels[c] = TRUE.test(row[c]!.trim());
    for (const c of fieldNames) {
      const v = (row[c] ?? '').trim();
      if (PATIENT.includes(c)) {
        // Also as a field, so that it outranks a patient id the file itself states (read later, at ingest).
        if (v) {
          rec.patientId = v;
          rec.fields.patient_id = v;
        }
        continue;
      }
      rec.fields[c] = v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : v;
    }
  }
  for (const l of labelNames) if (!listing.labelNames.includes(l)) listing.labelNames.push(l);
  const unmatchedRows = rows.map((r, i) => ({ r, i })).filter(({ i }) => !used.has(i)).map(({ r }) => r[opts.idColumn] ?? '');
  return {
    file: opts.file, idColumn: opts.idColumn, rows: rows.length, matched: used.size, labelNames, fieldNames,
    unmatchedRows, unmatchedRecords,
  };
}
