/**
 * A local cohort read straight from its source folder with the data layer's adapters (no import step), one record
 * at a time, so cohorts larger than memory stream through. Before a run the cohort is checked against the model's
 * preprocessing: a sampling rate or lead set the model cannot meet refuses the whole cohort with a clear message.
 */
import { resolve } from 'node:path';
import { listSource } from '../data/import.js';
import { ingestRecord } from '../data/ingest.js';
import type { SourceListing, SourceRecord } from '../data/adapters/source.js';
import type { SidecarOptions } from '../data/adapters/sidecar.js';
import { matchLead } from '../data/standardise.js';
import type { DatasetKind, Lead, RecordMeta } from '../data/types.js';
import { readHeader } from '../data/wfdb/header.js';
import { probeEcgFile } from '../data/formats/read.js';
import { detectDataset } from '../api/detect.js';
import type { Preprocessing } from './package.js';

export const COHORT_KINDS = [
  'ptbxl', 'wfdb', 'code15', 'samitrop', 'mimic-iv-ecg', 'ecg-files', 'muse', 'hl7-aecg', 'dicom-ecg', 'edf', 'cardiosoft',
] as const;
export type CohortKind = (typeof COHORT_KINDS)[number];

export interface CohortSpec {
  kind: CohortKind;
  path: string;
  /** PTB-XL only: the 100 Hz or 500 Hz records. */
  rate?: 100 | 500;
  /** Keep records whose field equals one of the values, e.g. { strat_fold: ['10'] }. */
  where?: Record<string, string[]>;
  /** Cut records longer than this many seconds into windows (hospital formats). */
  window?: number;
  /** Labels (the run's ground truth) from a CSV sidecar. */
  labels?: SidecarOptions;
  /** Score a subset of this many records, the same ones every time (see `limitRecords`). */
  limit?: number;
}

/** Kinds that read the same folder, so choosing one where the other was detected is no disagreement. */
function sameReader(given: CohortKind, detected: string): boolean {
  if (given === detected) return true;
  if (given === 'ecg-files' && ['muse', 'hl7-aecg', 'dicom-ecg', 'edf', 'cardiosoft'].includes(detected)) return true;
  // CODE-15% and SaMi-Trop share exams.csv + HDF5; detection can only guess between them.
  return (given === 'code15' && detected === 'samitrop') || (given === 'samitrop' && detected === 'code15');
}

export interface CohortKindChoice {
  kind: CohortKind;
  /** What the content detection found, and why. */
  detected: { kind: string | null; evidence: string };
  /** Set when the given kind disagrees with what the folder is (the run goes on with the given kind). */
  warning: string | null;
}

/**
 * The kind a cohort is read as: the given one, else what the content detection recognises (as `datasets import`
 * does). A given kind that disagrees with the detected one is used, with a warning naming the folder and both
 * kinds, above all when it would read a labelled folder (PTB-XL, CODE-15%) without its labels.
 */
export function resolveCohortKind(path: string, given?: string): CohortKindChoice {
  if (given !== undefined && !(COHORT_KINDS as readonly string[]).includes(given)) {
    throw new Error(`unknown cohort kind "${given}" (use ${COHORT_KINDS.join(', ')})`);
  }
  const abs = resolve(path);
  const d = detectDataset(abs);
  const detected = { kind: d.kind, evidence: d.evidence };
  if (given === undefined) {
    if (!d.kind || !(COHORT_KINDS as readonly string[]).includes(d.kind)) throw new Error(`${abs}: ${d.evidence} Give the kind with --kind.`);
    return { kind: d.kind as CohortKind, detected, warning: null };
  }
  const kind = given as CohortKind;
  if (!d.kind || sameReader(kind, d.kind)) return { kind, detected, warning: null };
  const labelled = ['ptbxl', 'code15', 'samitrop', 'mimic-iv-ecg'].includes(d.kind) && !['ptbxl', 'code15', 'samitrop', 'mimic-iv-ecg'].includes(kind);
  const warning =
    `--kind ${kind} disagrees with the folder: ${abs} is ${d.kind} (${d.evidence.replace(/\.$/, '')}). It is read as ${kind}, as asked` +
    (labelled ? `; its ${d.kind} labels are NOT read, so every record is scored as unlabelled` : '') +
    `. Leave out --kind (or give --kind ${d.kind}) to read it as ${d.kind}.`;
  return { kind, detected, warning };
}

/** FNV-1a of a record id: the deterministic order in which `--limit` picks records. */
function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The `limit` records with the lowest hash of their id: the same subset on every run and machine, whatever order
 * the files are listed in, and spread over the cohort rather than its first files. Kept in listing order.
 */
export function limitRecords<T extends { id: string }>(items: readonly T[], limit: number | undefined): T[] {
  if (limit === undefined || limit >= items.length) return [...items];
  const keep = new Set([...items].map((r) => r.id).sort((a, b) => idHash(a) - idHash(b) || (a < b ? -1 : a > b ? 1 : 0)).slice(0, limit));
  return items.filter((r) => keep.has(r.id));
}

export interface Cohort {
  spec: CohortSpec;
  records: SourceRecord[];
  /** Records the adapter could not describe: reported as unreadable, never dropped. */
  problems: SourceListing['problems'];
  labelNames: string[];
  description: string;
}

/** "strat_fold=10" or "strat_fold=9,10" → { strat_fold: ['9', '10'] }. */
export function parseWhere(items: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const item of items) {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(item);
    if (!m) throw new Error(`--where must be FIELD=VALUE[,VALUE…] such as strat_fold=10, got "${item}"`);
    out[m[1]!] = m[2]!.split(',').map((s) => s.trim());
  }
  return out;
}

function cleanNumber(v: unknown): string {
  return typeof v === 'number' ? String(v) : String(v ?? '').trim().replace(/^(-?\d+)\.0+$/, '$1');
}

export async function openCohort(spec: CohortSpec): Promise<Cohort> {
  if (!(COHORT_KINDS as readonly string[]).includes(spec.kind)) {
    throw new Error(`unknown cohort kind "${spec.kind}" (use ${COHORT_KINDS.join(', ')})`);
  }
  const path = resolve(spec.path);
  const listing = await listSource(spec.kind as DatasetKind, path, spec.rate ?? 100, { window: spec.window, labels: spec.labels });
  let records = listing.records;
  const where = spec.where ?? {};
  for (const [field, values] of Object.entries(where)) {
    const wanted = new Set(values.map(cleanNumber));
    records = records.filter((r) => wanted.has(cleanNumber(r.fields[field])));
  }
  const filter = Object.entries(where).map(([f, v]) => `${f}=${v.join(',')}`).join(' ');
  if (records.length === 0 && listing.problems.length === 0) {
    throw new Error(`cohort ${path} (${spec.kind}${filter ? `, ${filter}` : ''}) has no records`);
  }
  return {
    spec: { ...spec, path },
    records,
    problems: listing.problems,
    labelNames: listing.labelNames,
    description: `${spec.kind} cohort at ${path}${spec.kind === 'ptbxl' ? ` (${spec.rate ?? 100} Hz records)` : ''}${filter ? `, ${filter}` : ''}: ${records.length} records`,
  };
}

/** Leads a record provides, counting the limb leads the data layer derives from I and II. */
export function availableLeads(channelNames: string[]): Set<Lead> {
  const present = new Set<Lead>();
  for (const n of channelNames) {
    const l = matchLead(n);
    if (l) present.add(l);
  }
  if (present.has('I') && present.has('II')) for (const l of ['III', 'aVR', 'aVL', 'aVF'] as const) present.add(l);
  return present;
}

/** Source rate and channel names of a record without reading its samples; null when they are not cheap to get. */
function probe(rec: SourceRecord): { fs: number; channels: string[] | null } | null {
  const r = rec.recipe;
  if (r.reader === 'hdf5') return { fs: r.fs, channels: null };
  try {
    if (r.reader === 'ecg-file') {
      const p = probeEcgFile(r.file, r.format);
      return { fs: p.fs, channels: p.leads };
    }
    const h = readHeader(r.headerPath);
    return { fs: h.fs, channels: h.segments ? null : h.signals.map((s) => s.description) };
  } catch {
    return null; // Unreadable headers surface per record during the run.
  }
}

/**
 * Refuses a cohort whose first readable records cannot meet the model's sampling rate or leads.
 * Returns a one-line description of what was checked.
 */
export function checkCohortCompatibility(cohort: Cohort, pre: Preprocessing, sample = 5): string {
  const probed = cohort.records.slice(0, Math.max(sample, 1)).map((r) => ({ rec: r, p: probe(r) })).filter((x) => x.p);
  if (probed.length === 0) return 'compatibility: no record header could be read up front; records are checked one by one';
  for (const { rec, p } of probed) {
    const { fs, channels } = p as NonNullable<ReturnType<typeof probe>>;
    if (fs < pre.minSourceRate) {
      throw new Error(
        `cohort ${cohort.spec.path} is sampled at ${fs} Hz (record ${rec.id}); the model needs ECGs sampled at ≥ ${pre.minSourceRate} Hz ` +
          `(it runs on ${pre.sampleRate} Hz, ${pre.seconds} s). Use recordings at a higher rate.`,
      );
    }
    if (channels) {
      const have = availableLeads(channels);
      const missing = pre.requiredLeads.filter((l) => !have.has(l));
      if (missing.length) {
        throw new Error(
          `cohort ${cohort.spec.path} lacks lead(s) ${missing.join(', ')} (record ${rec.id} has ${channels.join(', ')}); ` +
            `the model needs ${pre.requiredLeads.join(', ')}. It cannot be run on this cohort.`,
        );
      }
    }
  }
  const rates = [...new Set(probed.map((x) => x.p!.fs))].join('/');
  return `compatibility: ${probed.length} record header(s) checked, ${rates} Hz → ${pre.sampleRate} Hz, required leads present`;
}

export interface CohortRecordResult {
  ok: true;
  meta: RecordMeta;
  signal: Float32Array;
}

/** Reads and standardises one record; a record missing a required lead is a failure, never zero-filled silently. */
export function readCohortRecord(rec: SourceRecord, pre: Preprocessing): CohortRecordResult | { ok: false; problem: string } {
  try {
    const { meta, signal } = ingestRecord(rec);
    const missing = meta.quality.missingLeads.filter((l) => pre.requiredLeads.includes(l));
    if (missing.length) return { ok: false, problem: `missing lead(s) ${missing.join(', ')}` };
    return { ok: true, meta, signal };
  } catch (err) {
    return { ok: false, problem: err instanceof Error ? err.message : String(err) };
  }
}
