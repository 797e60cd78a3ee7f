/** A record, or one window of it, ready for standardisation: signals cut to [start, start + seconds), annotations with it. */
import { readEcgFile } from './read.js';
import type { EcgFileFormat, EcgFileRecord, FieldValue } from './types.js';

/** Annotations as one field value: "0.000 s RECORD START; 12.500 s (1.0 s) Arrhythmia" (first 50). */
function annotationField(rec: EcgFileRecord): FieldValue {
  if (rec.annotations.length === 0) return null;
  const shown = rec.annotations.slice(0, 50).map((a) => `${a.onset.toFixed(3)} s${a.duration ? ` (${a.duration} s)` : ''} ${a.text}`);
  return shown.join('; ') + (rec.annotations.length > 50 ? `; … ${rec.annotations.length - 50} more` : '');
}

export function cutWindow(rec: EcgFileRecord, start: number, seconds: number): EcgFileRecord {
  const from = Math.round(start * rec.fs);
  const to = Math.round((start + seconds) * rec.fs);
  const n = Math.max(...rec.signals.map((s) => s.length));
  if (from >= n) throw new Error(`window at ${start} s starts after the record's end (${(n / rec.fs).toFixed(3)} s)`);
  return {
    ...rec,
    signals: rec.signals.map((s) => s.slice(from, Math.min(to, s.length))),
    annotations: rec.annotations
      .filter((a) => a.onset >= start && a.onset < start + seconds)
      .map((a) => ({ ...a, onset: a.onset - start })),
  };
}

export function readEcgWindow(file: string, format: EcgFileFormat, start?: number, seconds?: number): EcgFileRecord {
  let rec = readEcgFile(file, format);
  if (start !== undefined && seconds !== undefined) rec = cutWindow(rec, start, seconds);
  const annotations = annotationField(rec);
  return { ...rec, fields: { ...rec.fields, ...(annotations !== null ? { annotations } : {}) } };
}
