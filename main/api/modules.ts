/** Default ports over the real main/ modules. Static imports, so that bundlers (the Electron build) include them. */
import type { DataPort } from './ports.js';
import { importDataset } from '../data/import.js';
import { listDatasets, openDataset } from '../data/registry.js';
import { deleteDataset } from '../data/delete.js';
import { readWfdbRecord } from '../data/wfdb/record.js';
import { readRawEcgFile } from '../data/formats/raw.js';

export function defaultDataPort(): DataPort {
  return {
    importDataset,
    listDatasets,
    openDataset,
    deleteDataset: (name) => deleteDataset(name, { noWait: true }),
    readRaw: async (path, window) => {
      if (!path.endsWith('.hea')) return readRawEcgFile(path, window);
      const r = readWfdbRecord(path);
      return { fs: r.fs, leads: r.names, units: r.units, signals: r.physical.map((a) => Float32Array.from(a, (v) => (Number.isNaN(v) ? 0 : v))) };
    },
  };
}
