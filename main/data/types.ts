/**
 * The data layer's public shapes. Every ECG leaves the data layer standardised:
 * 12 leads (I, II, III, aVR, aVL, aVF, V1–V6) × 2500 samples (250 Hz, 10 s), millivolts, lead-major.
 */
import type { SidecarReport } from './adapters/sidecar.js';
import type { SourceFolder } from './source-folders.js';

export const LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] as const;
export type Lead = (typeof LEADS)[number];
export const N_LEADS = 12;
export const TARGET_FS = 250;
export const TARGET_SECONDS = 10;
export const TARGET_SAMPLES = TARGET_FS * TARGET_SECONDS;
/** Floats in one standardised ECG. */
export const ECG_SIZE = N_LEADS * TARGET_SAMPLES;

export const DATASET_KINDS = [
  'ptbxl', 'wfdb', 'code15', 'samitrop', 'mimic-iv-ecg', 'synthetic',
  // Hospital formats (main/data/formats); 'ecg-files' is a folder of any of them, recognised file by file.
  'ecg-files', 'muse', 'hl7-aecg', 'dicom-ecg', 'edf', 'cardiosoft',
] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

/**
 * Record-level quality flags computed at import (main/data/quality.ts reads them, filling defaults for caches
 * written before a flag existed, hence the optional fields).
 */
export interface QualityFlags {
  /** Leads that were absent and zero-filled (derived limb leads are not listed here). */
  missingLeads: Lead[];
  /** Limb leads computed from I and II. */
  derivedLeads: Lead[];
  /** Some samples were NaN (invalid) and became 0. */
  hadNaN: boolean;
  /** The source was shorter than 10 s and was zero-padded. */
  padded: boolean;
  /** Samples at the ADC's limits (the amplifier saturated), when the format states them. */
  clipped?: boolean;
  clippedSamples?: number;
  /** Leads (present or derived) with no variation at the cache's 1 µV resolution. */
  flatLeads?: Lead[];
  /** Every lead is flat: the record holds no signal. */
  constant?: boolean;
  /** Share of the source's samples that were invalid (NaN), 0–1. */
  nanFraction?: number;
  /** The source's length in seconds when it was longer than 10 s and was cut to its first 10 s. */
  croppedFromS?: number | null;
  /** Seconds of zero padding added at the end. */
  paddedS?: number;
}

/** One ECG's metadata as kept in a cache manifest. */
export interface RecordMeta {
  id: string;
  patientId: string;
  source: string;
  /** Binary labels by name, e.g. { MI: true, STTC: false, CD: false, HYP: false, NORM: true }. */
  labels: Record<string, boolean>;
  quality: QualityFlags;
  /** Adapter-specific fields that downstream code may use: strat_fold, age, sex, … */
  fields: Record<string, string | number | null>;
  /** The folder it was imported from, as a position in the manifest's `sources` (absent: the first). */
  folder?: number;
}

/** A standardised dataset in the workspace cache, read without holding the corpus in memory. */
export interface CachedDataset {
  readonly name: string;
  readonly dir: string;
  readonly kind: DatasetKind;
  readonly count: number;
  /** Label names present in the manifest. */
  readonly labelNames: string[];
  meta(index: number): RecordMeta;
  /** The standardised signal, lead-major, mV; writes into `out` when given. */
  readSignal(index: number, out?: Float32Array): Float32Array;
}

/** A batch from the streaming loader. */
export interface Batch {
  /** batchSize × 12 × 2500 floats, lead-major per ECG, mV. */
  signals: Float32Array;
  size: number;
  indices: number[];
  ids: string[];
  patientIds: string[];
}

export interface LoaderOptions {
  batchSize: number;
  seed: number;
  shuffle?: boolean;
  /** Restrict to these dataset indices (a split). */
  indices?: number[];
  /** Place ECGs of the same patient together in a batch (patient-level contrastive learning). */
  patientAware?: boolean;
  dropLast?: boolean;
  /** Batches prepared ahead in the background. */
  prefetch?: number;
}

/** A per-record problem found while importing (the import goes on). */
export interface ImportError {
  ref: string;
  file: string;
  problem: string;
  /** The folder being imported, as a position in the manifest's `sources` (absent: the first). */
  folder?: number;
}

/** What `importDataset` / `CacheWriter.finish` report. */
export interface ImportReport {
  /** False when nothing was imported into a new dataset: no cache was left behind. */
  created: boolean;
  name: string;
  kind: DatasetKind;
  dir: string;
  /** Records now in the cache. */
  count: number;
  /** Records written by this run, and records skipped because an earlier run had written them. */
  added: number;
  skipped: number;
  countsBySource: Record<string, number>;
  labelPrevalence: Record<string, { count: number; fraction: number }>;
  /** Records without any positive label. */
  unlabelled: number;
  patients: number;
  errors: ImportError[];
  /** Records in the cache carrying each quality flag (clipped, constant, flat_lead, nan, cropped, padded, …). */
  quality: Record<string, number>;
  durations: { listMs: number; importMs: number; totalMs: number };
  recordsPerSecond: number;
  /** The labels sidecar's join, when one was given. */
  sidecar?: SidecarReport;
  /** Every folder the dataset holds, with its records. */
  sources?: SourceFolder[];
  /** The folder this import read, and whether it was added to the dataset by `append` just now. */
  folder?: string;
  appended?: boolean;
}

/** One cached dataset as `listDatasets` describes it. */
export interface DatasetSummary {
  name: string;
  kind: DatasetKind;
  count: number;
  patients: number;
  labelPrevalence: Record<string, { count: number; fraction: number }>;
  createdAt: string;
  path: string;
  /** False while an import runs or after one was stopped: resume it with the same import command. */
  complete: boolean;
  /** Records the source listed (null for caches written before this was kept). */
  expected: number | null;
  /** Records carrying each quality flag. */
  quality: Record<string, number>;
  /** The folders it was imported from, with their records. */
  sources: SourceFolder[];
}
