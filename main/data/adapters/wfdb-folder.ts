/**
 * A generic WFDB folder, read recursively (PhysioNet Challenge 2020/2021 `.hea`/`.mat` included): one record per
 * header, except segment and layout headers of multi-segment records. Labels and demographics come from the header
 * comments ("#Dx: 164889003,59118001", "#Age: 74", "#Sex: Male") when the record is processed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SourceListing, SourceRecord } from './source.js';

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && e.name.endsWith('.hea')) out.push(p);
  }
}

/** Segment names a master header refers to (read cheaply: the first line holds "name/nseg"). */
function segmentNames(path: string): string[] {
  const text = readFileSync(path, 'latin1');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#'));
  const m = /^\S+\/(\d+)/.exec(lines[0] ?? '');
  if (!m) return [];
  return lines.slice(1, 1 + Number(m[1])).map((l) => l.trim().split(/\s+/)[0] ?? '');
}

export function wfdbFolderListing(folder: string, source = 'wfdb'): SourceListing {
  const headers: string[] = [];
  walk(folder, headers);
  headers.sort();
  const segments = new Set<string>();
  for (const h of headers) {
    let names: string[] = [];
    try {
      names = segmentNames(h);
    } catch {
      // An unreadable header becomes a per-record error when processed.
    }
    for (const n of names) if (n !== '~') segments.add(join(h, '..', `${n}.hea`));
  }
  const records: SourceRecord[] = headers
    .filter((h) => !segments.has(h))
    .map((h) => {
      const id = relative(folder, h).replace(/\.hea$/, '').split('\\').join('/');
      return {
        ref: id, id, patientId: id, source, labels: {}, fields: {}, file: h,
        recipe: { reader: 'wfdb', headerPath: h }, fromHeaderComments: true,
      } as SourceRecord;
    });
  return { records, problems: [], labelNames: [] };
}

/** Labels and fields from Challenge-style header comments. */
export function commentFields(comments: string[]): { labels: Record<string, boolean>; fields: Record<string, string | number | null> } {
  const labels: Record<string, boolean> = {};
  const fields: Record<string, string | number | null> = {};
  for (const c of comments) {
    const m = /^<?([A-Za-z_ ]+)>?\s*:\s*(.*)$/.exec(c);
    if (!m) continue;
    const key = m[1]!.trim().toLowerCase();
    const value = m[2]!.trim();
    if (key === 'dx') {
      for (const code of value.split(',').map((s) => s.trim()).filter(Boolean)) labels[code] = true;
    } else if (key === 'age') {
      const n = Number(value);
      fields.age = Number.isFinite(n) && value !== '' ? n : null;
    } else if (key === 'sex') fields.sex = value;
    else if (key === 'patient' || key === 'patient_id' || key === 'subject_id') fields.patient_id = value;
  }
  return { labels, fields };
}
