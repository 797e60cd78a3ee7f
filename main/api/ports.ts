/**
 * What the service needs from the rest of main/, as small interfaces. The default implementations load the real
 * modules (data layer); tests and the Electron shell may pass their own.
 */
import type { CachedDataset, DatasetKind, DatasetSummary, ImportReport } from '../data/types.js';
import type { SpawnWorker } from '../jobs/spawn.js';
import type { JobResource } from '../runner/types.js';

export interface ImportOptions {
  kind: DatasetKind;
  path: string;
  name: string;
  rate?: 100 | 500;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Fail at once when another writer holds the dataset. */
  noWait?: boolean;
  /** Extend an existing dataset with another folder's records. */
  append?: boolean;
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

export interface ServiceDeps {
  data?: DataPort | null;
  /** How job workers start: a Node child process by default; the desktop app passes Electron's utilityProcess. */
  spawn?: SpawnWorker;
  /** Jobs at once per resource: compute ('gpu', default 1 per device) and light work ('cpu'). */
  concurrency?: Partial<Record<JobResource, number>>;
  /** Runs folder; default `<workspace>/runs`. */
  runsDir?: string;
  host?: 'electron' | 'http';
  workspace?: string;
  /** Folders whose contents detectDataset/importDataset may read (`ecgfm serve --data-root`); default home + workspace. */
  dataRoots?: string[];
}
