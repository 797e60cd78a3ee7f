/**
 * A generic WFDB folder, read recursively (PhysioNet Challenge 2020/2021 `.hea`/`.mat` included): one record per
 * header, except segment and layout headers of multi-segment records. Labels and demographics come from the header
 * comments ("#Dx: 164889003,59118001", "#Age: 74", "#Sex: Male") when the record is processed.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { confine, datasetRoot } from '../confine.js';
import type { SourceListing, SourceProblem, SourceRecord } from './source.js';

/**
 * Headers under `dir`. Symlinks are followed when they resolve inside the root (each real folder walked once, so a
 * link loop ends); a link that leads outside is reported, never read.
 */
function walk(root: string, dir: string, out: string[], problems: SourceProblem[], seen: Set<string>): void {
  const real = realpathSync(dir);
  if (seen.has(real)) return;
  seen.add(real);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const id = relative(root, p).split('\\').join('/');
      try {
        confine(root, dir, e.name, 'symlink');
        const st = statSync(p);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch (err) {
        if (e.name.endsWith('.hea') || !e.name.includes('.')) {
          problems.push({ ref: id.replace(/\.hea$/, ''), file: p, problem: (err as Error).message.replace(/^symlink "[^"]*"/, `symlink ${id}`) });
        }
        continue;
      }
    }
    if (isDir) walk(root, p, out, problems, seen);
    else if (isFile && e.name.endsWith('.hea')) out.push(p);
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
  const problems: SourceProblem[] = [];
  const root = datasetRoot(folder);
  // Walked from the real root, so that record ids and the confinement check agree on what "inside" is.
  walk(root, root, headers, problems, new Set());
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
      const id = relative(root, h).replace(/\.hea$/, '').split('\\').join('/');
      return {
        ref: id, id, patientId: id, source, labels: {}, fields: {}, file: h,
        recipe: { reader: 'wfdb', headerPath: h, root }, fromHeaderComments: true,
      } as SourceRecord;
    });
  return { records, problems, labelNames: [] };
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
