/** The raw-view reader for hospital formats: a file's channels as stored (mV, derived leads included), optionally one window. */
import { sniffFile } from './detect.js';
import { readEcgWindow } from './window.js';

export interface RawEcg {
  fs: number;
  leads: string[];
  units: string[];
  signals: Float32Array[];
}

export function readRawEcgFile(path: string, window?: { start: number; seconds: number }): RawEcg {
  const kind = sniffFile(path);
  if (!kind || kind === 'wfdb') throw new Error(`${path}: not a recognised ECG file`);
  const r = readEcgWindow(path, kind, window?.start, window?.seconds);
  return {
    fs: r.fs,
    // Plain lead names so the viewer places them on the grid; derived leads are flagged on the record itself.
    leads: r.leads,
    units: r.leads.map(() => 'mV'),
    signals: r.signals.map((s) => Float32Array.from(s, (v) => (Number.isFinite(v) ? v : 0))),
  };
}
