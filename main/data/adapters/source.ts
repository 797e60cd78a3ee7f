/**
 * What every dataset adapter yields: records with identity and labels, and a serialisable recipe for the
 * signal so that import workers can load it on demand.
 */
import type { EcgFileFormat } from '../formats/types.js';
import type { SidecarReport } from './sidecar.js';

/** `root` is the dataset's real root folder: every file the recipe opens must lie inside it (confine.ts). */
export type SignalRecipe =
  | { reader: 'wfdb'; headerPath: string; root?: string }
  | { reader: 'hdf5'; file: string; row: number; dataset: string; fs: number; stripPadding: boolean; root?: string }
  /** A hospital-format file (main/data/formats); `start`/`seconds` cut one window out of a longer record. */
  | { reader: 'ecg-file'; format: EcgFileFormat; file: string; start?: number; seconds?: number; root?: string };

export interface SourceRecord {
  /** How the report names the record (e.g. "ptbxl:17" or a relative path). */
  ref: string;
  id: string;
  patientId: string;
  source: string;
  labels: Record<string, boolean>;
  fields: Record<string, string | number | null>;
  /** The file the problem is reported against. */
  file: string;
  recipe: SignalRecipe;
  /** Fill labels/fields (and the patient when stated) from WFDB header comments while processing. */
  fromHeaderComments?: boolean;
}

/** A record the adapter could not even describe (bad CSV row, missing header …). */
export interface SourceProblem {
  ref: string;
  file: string;
  problem: string;
}

export interface SourceListing {
  records: SourceRecord[];
  problems: SourceProblem[];
  /** Label names this source defines (in order). */
  labelNames: string[];
  /** The labels sidecar's join, when one was applied. */
  sidecar?: SidecarReport;
}

export function numberOrNull(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** "15709.0" → "15709"; keeps other ids as they are. */
export function cleanId(v: string): string {
  const t = v.trim();
  return /^-?\d+\.0+$/.test(t) ? t.replace(/\.0+$/, '') : t;
}
