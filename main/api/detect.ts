/** Guess a dataset's kind from what a folder or file contains, and say why. */
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { DetectedDataset } from '../../contract/api.js';
import { ServiceError } from './errors.js';
import { sniffFile } from '../data/formats/detect.js';
import { FORMAT_LABELS, type EcgFileFormat } from '../data/formats/types.js';
import { countFormats } from '../data/adapters/ecg-files.js';

function safeName(s: string): string {
  const n = s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return n || 'dataset';
}

function csvRows(file: string): number {
  const text = readFileSync(file, 'utf8');
  return Math.max(0, text.split('\n').filter((l) => l.trim()).length - 1);
}

function csvHeader(file: string): string[] {
  const text = readFileSync(file, 'utf8').slice(0, 4096);
  return (text.split('\n')[0] ?? '').split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
}

/** `.hea` files within two levels (bounded, so a huge folder answers quickly). */
function countHeaders(dir: string, depth = 0, budget = { left: 20_000 }): number {
  let n = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (--budget.left < 0) break;
    if (e.isFile() && e.name.endsWith('.hea')) n++;
    else if (e.isDirectory() && depth < 3) n += countHeaders(join(dir, e.name), depth + 1, budget);
  }
  return n;
}

export function detectDataset(input: string): DetectedDataset {
  const path = resolve(input);
  if (!existsSync(path)) throw new ServiceError('not-found', `Nothing exists at ${path}. Check the path (it is read on the machine running the host).`);
  const base = safeName(basename(path).replace(/\.[^.]+$/, ''));
  const st = statSync(path);
  if (st.isFile()) {
    const ext = extname(path).toLowerCase();
    if (ext === '.hdf5' || ext === '.h5')
      return { path, kind: 'code15', evidence: 'An HDF5 file: read as CODE-15% tracings (choose SaMi-Trop if it came from there).', rates: [400], suggestedName: base, records: null };
    if (ext === '.hea') return { path, kind: 'wfdb', evidence: 'A WFDB header file.', rates: [], suggestedName: base, records: 1 };
    const sniffed = sniffFile(path);
    if (sniffed && sniffed !== 'wfdb') return { path, kind: sniffed, evidence: `A ${FORMAT_LABELS[sniffed]} file (recognised by its content).`, rates: [], suggestedName: base, records: 1 };
    return { path, kind: null, evidence: `${basename(path)} is not a dataset file the workstation reads (.hea, .hdf5, a GE MUSE, HL7 aECG, DICOM waveform, EDF/BDF or CardioSoft file, or a dataset folder).`, rates: [], suggestedName: base, records: null };
  }
  const has = (f: string) => existsSync(join(path, f));
  if (has('ptbxl_database.csv')) {
    const rates = [has('records100') ? 100 : 0, has('records500') ? 500 : 0].filter((r) => r > 0);
    return {
      path,
      kind: 'ptbxl',
      evidence: `ptbxl_database.csv found${rates.length ? `, with records at ${rates.join(' and ')} Hz` : ', but no records100/ or records500/ folder'}.`,
      rates,
      suggestedName: base,
      records: csvRows(join(path, 'ptbxl_database.csv')),
    };
  }
  if (has('exams.csv')) {
    const cols = csvHeader(join(path, 'exams.csv'));
    const files = readdirSync(path).filter((f) => /\.(hdf5|h5)$/i.test(f));
    const code15 = cols.includes('trace_file') || cols.includes('exam_id');
    return {
      path,
      kind: code15 ? 'code15' : 'samitrop',
      evidence: `exams.csv with ${files.length} HDF5 file${files.length === 1 ? '' : 's'}${code15 ? ' and a trace_file/exam_id column (CODE-15% layout)' : ' (SaMi-Trop layout)'}.`,
      rates: [400],
      suggestedName: base,
      records: csvRows(join(path, 'exams.csv')),
    };
  }
  if (has('record_list.csv') || has('machine_measurements.csv'))
    return { path, kind: 'mimic-iv-ecg', evidence: 'record_list.csv found (MIMIC-IV-ECG layout).', rates: [500], suggestedName: base, records: has('record_list.csv') ? csvRows(join(path, 'record_list.csv')) : null };
  const found = countFormats(path);
  const formats = Object.entries(found.counts).filter(([k]) => k !== 'wfdb') as [EcgFileFormat, number][];
  if (formats.length > 0) {
    const total = Object.values(found.counts).reduce((a, b) => a + b, 0);
    const parts = Object.entries(found.counts).map(([k, n]) => `${n} ${k === 'wfdb' ? 'WFDB' : FORMAT_LABELS[k as EcgFileFormat]}`);
    const single = formats.length === 1 && !found.counts.wfdb;
    return {
      path, kind: single ? formats[0]![0] : 'ecg-files',
      evidence: `Recognised by content: ${parts.join(', ')} file${total === 1 ? '' : 's'}${found.files >= 2000 ? ' (first 2000 files looked at)' : ''}.`,
      rates: [], suggestedName: base, records: total,
    };
  }
  const headers = countHeaders(path);
  if (headers > 0) return { path, kind: 'wfdb', evidence: `${headers} WFDB header${headers === 1 ? '' : 's'} (.hea) found.`, rates: [], suggestedName: base, records: headers };
  return {
    path,
    kind: null,
    evidence: 'No known layout here: expected ptbxl_database.csv (PTB-XL), exams.csv + HDF5 (CODE-15%, SaMi-Trop), record_list.csv (MIMIC-IV-ECG), WFDB .hea files, or GE MUSE, HL7 aECG, DICOM waveform, EDF/BDF or CardioSoft files.',
    rates: [],
    suggestedName: base,
    records: null,
  };
}
