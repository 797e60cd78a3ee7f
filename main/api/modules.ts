/**
 * Default ports over the real main/ modules. They are loaded lazily so the host starts (and explains what is
 * missing) even in a build where the data layer or the training engine is absent.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataPort, TrainingPort } from './ports.js';
import type { WfdbRecord } from '../data/wfdb/record.js';
import type { CachedDataset } from '../data/types.js';
import { trainingPortFromLauncher, type Launch } from './training.js';

type Loaded = Record<string, unknown>;

/** Import a sibling module of main/ by path relative to this file; null when the file is absent. */
async function loadModule(rel: string): Promise<Loaded | null> {
  const url = new URL(rel, import.meta.url);
  const path = fileURLToPath(url);
  if (!existsSync(path) && !existsSync(path.replace(/\.js$/, '.ts'))) return null;
  return (await import(url.href)) as Loaded;
}

function fn<T>(mod: Loaded | null, name: string): T | null {
  const f = mod?.[name];
  return typeof f === 'function' ? (f as T) : null;
}

export async function loadDataPort(): Promise<DataPort | null> {
  const [imp, reg, rec] = await Promise.all([loadModule('../data/import.js'), loadModule('../data/registry.js'), loadModule('../data/wfdb/record.js')]);
  const importDataset = fn<DataPort['importDataset']>(imp, 'importDataset');
  const listDatasets = fn<DataPort['listDatasets']>(reg, 'listDatasets');
  const openDataset = fn<(name: string) => CachedDataset>(reg, 'openDataset');
  if (!importDataset || !listDatasets || !openDataset) return null;
  const readWfdbRecord = fn<(headerPath: string) => WfdbRecord>(rec, 'readWfdbRecord');
  return {
    importDataset,
    listDatasets,
    openDataset,
    readRaw: readWfdbRecord
      ? async (headerPath) => {
          const r = readWfdbRecord(headerPath);
          return { fs: r.fs, leads: r.names, units: r.units, signals: r.physical.map((a) => Float32Array.from(a, (v) => (Number.isNaN(v) ? 0 : v))) };
        }
      : undefined,
  };
}

export async function loadTrainingPort(): Promise<TrainingPort | null> {
  const mod = await loadModule('../training/launcher.js');
  const start = fn<Launch>(mod, 'startTrainingWorker');
  return start ? trainingPortFromLauncher(start) : null;
}
