/**
 * What the service needs from the rest of main/, as small interfaces. The default implementations load the real
 * modules (data layer, training launcher); tests and the Electron shell may pass their own.
 */
import type { CachedDataset, DatasetKind, DatasetSummary, ImportReport } from '../data/types.js';
import type { PretrainRequest, RunProgress } from '../../contract/api.js';
import type { z } from 'zod';
import type { pretrainRequestSchema } from '../../contract/api.js';

export type PretrainSettings = z.output<typeof pretrainRequestSchema>;
export type { PretrainRequest };

export interface ImportOptions {
  kind: DatasetKind;
  path: string;
  name: string;
  rate?: 100 | 500;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Fail at once when another writer holds the dataset. */
  noWait?: boolean;
}

export interface DataPort {
  importDataset(opts: ImportOptions): Promise<ImportReport>;
  listDatasets(): DatasetSummary[] | Promise<DatasetSummary[]>;
  openDataset(name: string): CachedDataset | Promise<CachedDataset>;
  /** Remove a dataset's cache (under its writer lock); absent when the data layer lacks it. */
  deleteDataset?(name: string): Promise<unknown>;
  /** Raw source reader (a WFDB header or a hospital-format file, optionally one window); absent when the data layer lacks it. */
  readRaw?(path: string, window?: { start: number; seconds: number }): Promise<RawRecord>;
}

export interface RawRecord {
  fs: number;
  leads: string[];
  /** Physical units per lead (mV after conversion). */
  signals: Float32Array[] | number[][];
  units: string[];
}

/** One event from a training worker, already mapped to the contract's words. */
export type TrainingProgress = RunProgress;

export interface TrainingCallbacks {
  onProgress(p: TrainingProgress): void;
  onState(status: 'running' | 'paused', message?: string): void;
}

export interface TrainingHandle {
  /** The run folder's id, known once the worker says so (or chosen up front). */
  runId: string;
  pause(): void;
  resume(): void;
  cancel(): void;
  /** Settles when the worker ends: 'completed' or 'cancelled'; rejects with the worker's error. */
  done: Promise<'completed' | 'cancelled'>;
}

export interface TrainingPort {
  start(settings: PretrainSettings, runId: string, cb: TrainingCallbacks): Promise<TrainingHandle> | TrainingHandle;
}

export interface ServiceDeps {
  data?: DataPort | null;
  training?: TrainingPort | null;
  /** Runs folder; default `<workspace>/runs`. */
  runsDir?: string;
  host?: 'electron' | 'http';
  workspace?: string;
  /** Folders whose contents detectDataset/importDataset may read (`ecgfm serve --data-root`); default home + workspace. */
  dataRoots?: string[];
}
