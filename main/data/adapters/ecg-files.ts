/**
 * A folder (or a single file) of hospital-format ECGs: every file is recognised by its content (GE MUSE, HL7 aECG,
 * DICOM waveform, EDF/BDF, CardioSoft XML; WFDB records too), or read as one forced format. With `window`, records
 * longer than the window are cut into consecutive windows of that many seconds (one record each).
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { sniffFile } from '../formats/detect.js';
import { datasetRoot } from '../confine.js';
import { probeEcgFile } from '../formats/read.js';
import { FORMAT_LABELS, type EcgFileFormat } from '../formats/types.js';
import { wfdbFolderListing } from './wfdb-folder.js';
import type { SourceListing, SourceProblem, SourceRecord } from './source.js';

export interface EcgFilesOptions {
  /** Read every file as this format instead of recognising it. */
  format?: EcgFileFormat;
  /** Seconds per window; records are cut into whole windows. */
  window?: number;
}

/** Files that are never ECG recordings of these formats (sidecars, WFDB signal files, documents). */
const NEVER = new Set(['.csv', '.tsv', '.md', '.json', '.pdf', '.png', '.jpg', '.jpeg', '.svg', '.html', '.dat', '.mat', '.atr', '.qrs', '.hdf5', '.h5', '.npz', '.gz', '.zip']);
/** Files that claim to be ECGs: when unrecognised they are reported, not passed over. */
const CLAIMS = new Set(['.xml', '.dcm', '.dicom', '.edf', '.bdf', '.rec', '.scp', '']);

function walk(dir: string, out: string[], limit = Infinity): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (out.length >= limit) return;
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out, limit);
    else if (e.isFile() && !NEVER.has(extname(e.name).toLowerCase())) out.push(p);
  }
}

const KNOWN = Object.values(FORMAT_LABELS).join(', ');

export function ecgFilesListing(path: string, opts: EcgFilesOptions = {}): SourceListing {
  const root = statSync(path).isDirectory() ? path : join(path, '..');
  // Each file is opened by ingest only after confine.ts checks it lies inside this folder.
  const realRoot = datasetRoot(root);
  const files: string[] = [];
  if (root === path) walk(path, files);
  else files.push(path);
  files.sort();
  const records: SourceRecord[] = [];
  const problems: SourceProblem[] = [];
  let hasWfdb = false;
  for (const file of files) {
    const ext = extname(file).toLowerCase();
    const id = relative(root, file).split('\\').join('/').replace(/\.[^./]+$/, '');
    if (NEVER.has(ext)) continue;
    let sniffed;
    try {
      sniffed = sniffFile(file);
    } catch (err) {
      problems.push({ ref: id, file, problem: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})` });
      continue;
    }
    if (sniffed === 'wfdb') {
      hasWfdb = true;
      continue;
    }
    let format: EcgFileFormat;
    if (opts.format) {
      if (sniffed && sniffed !== opts.format) continue; // another known format: not what was asked for
      format = opts.format;
    } else if (sniffed) {
      format = sniffed;
    } else {
      if (CLAIMS.has(ext)) problems.push({ ref: id, file, problem: `not a recognised ECG file (expected ${KNOWN}, or a WFDB header)` });
      continue;
    }
    const base: SourceRecord = {
      ref: id, id, patientId: id, source: format, labels: {}, fields: { file: relative(root, file), format }, file,
      recipe: { reader: 'ecg-file', format, file, root: realRoot },
    };
    if (!opts.window) {
      records.push(base);
      continue;
    }
    try {
      const p = probeEcgFile(file, format);
      const seconds = p.samples / p.fs;
      const n = Math.max(1, Math.floor(seconds / opts.window + 1e-9));
      for (let k = 0; k < n; k++) {
        const wid = n === 1 ? id : `${id}#w${k}`;
        records.push({
          ...base, ref: wid, id: wid,
          fields: { ...base.fields, window: k, window_start: k * opts.window },
          recipe: { reader: 'ecg-file', format, file, start: k * opts.window, seconds: opts.window, root: realRoot },
        });
      }
    } catch (err) {
      problems.push({ ref: id, file, problem: (err as Error).message });
    }
  }
  if (hasWfdb && !opts.format && root === path) records.push(...wfdbFolderListing(path).records);
  return { records, problems, labelNames: [] };
}

/** What a folder holds, by format: for detection and the import summary. */
export function countFormats(path: string, limit = 2000): { counts: Record<string, number>; files: number } {
  const files: string[] = [];
  if (statSync(path).isDirectory()) walk(path, files, limit);
  else files.push(path);
  const counts: Record<string, number> = {};
  const seen = files.length;
  for (const f of files) {
    let k: string | null = null;
    try {
      k = sniffFile(f);
    } catch {
      k = null;
    }
    if (k) counts[k] = (counts[k] ?? 0) + 1;
  }
  return { counts, files: seen };
}

export function fileStem(file: string): string {
  return basename(file).replace(/\.[^.]+$/, '');
}
