/**
 * An EDF/EDF+/BDF file → ECG channels in mV. Labels are matched to the 12 leads ("ECG I", "EKG V1", "II"); the
 * record takes the rate of its lead channels (other channels at other rates are left out and named in the fields);
 * EDF+ annotations are kept.
 */
import { leadFromName } from '../leads.js';
import { millivoltsPer } from '../units.js';
import type { EcgAnnotation, EcgFileProbe, EcgFileRecord } from '../types.js';
import { parseEdfHeader, recordCount, type EdfHeader } from './header.js';
import { annotationBytes, decodeEdfSignals } from './decode.js';
import { edfToPhysical, parseTals } from './physical.js';

export function edfLead(label: string): string | null {
  const l = label.replace(/^(ECG|EKG)\s*/i, '').replace(/[-_ ]?(REF|AVG|CAR)$/i, '');
  return leadFromName(l);
}

/** "22.11.02" + "09.09.59" → "2002-11-22T09:09:59" (EDF's two-digit years: 85–99 are 19xx). */
function edfDateTime(date: string, time: string): string | null {
  const d = /^(\d{2})\.(\d{2})\.(\d{2})$/.exec(date);
  if (!d) return null;
  const yy = Number(d[3]);
  const t = /^(\d{2})\.(\d{2})\.(\d{2})$/.exec(time);
  return `${yy >= 85 ? 1900 + yy : 2000 + yy}-${d[2]}-${d[1]}${t ? `T${t[1]}:${t[2]}:${t[3]}` : ''}`;
}

export interface EdfChannel {
  label: string;
  fs: number;
  units: string;
  /** Physical values in the file's unit (mV for lead channels). */
  values: Float64Array;
}

/** Every data signal at its own rate, physical values in its own unit; for tests and tools. */
export function readEdfChannels(bytes: Uint8Array): { header: EdfHeader; channels: EdfChannel[]; annotations: EcgAnnotation[] } {
  const h = parseEdfHeader(bytes);
  const n = recordCount(h, bytes.length);
  const data = h.signals.map((s, k) => ({ s, k })).filter((x) => !x.s.annotations);
  const digital = decodeEdfSignals(h, bytes, n, data.map((x) => x.k));
  const channels = data.map(({ s }, i) => ({ label: s.label, fs: s.samplesPerRecord / h.recordSeconds, units: s.physDim, values: edfToPhysical(s, digital[i]!, 1) }));
  const annotations: EcgAnnotation[] = [];
  h.signals.forEach((s, k) => {
    if (s.annotations) for (const rec of annotationBytes(h, bytes, n, k)) annotations.push(...parseTals(rec));
  });
  return { header: h, channels, annotations };
}

function choose(h: EdfHeader): { picked: number[]; fs: number; left: string[] } {
  const data = h.signals.map((s, k) => ({ s, k, lead: edfLead(s.label) })).filter((x) => !x.s.annotations && x.s.samplesPerRecord > 0);
  if (data.length === 0) throw new Error('no signals: an annotation-only EDF+ file holds no ECG');
  if (!(h.recordSeconds > 0)) throw new Error(`data record duration ${h.recordSeconds} s is not positive`);
  const leads = data.filter((x) => x.lead);
  const pool = leads.length ? leads : data;
  // The most common rate among the lead channels.
  const counts = new Map<number, number>();
  for (const x of pool) counts.set(x.s.samplesPerRecord, (counts.get(x.s.samplesPerRecord) ?? 0) + 1);
  const spr = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0];
  const picked = pool.filter((x) => x.s.samplesPerRecord === spr).map((x) => x.k);
  const left = data.filter((x) => !picked.includes(x.k)).map((x) => x.s.label);
  return { picked, fs: spr / h.recordSeconds, left };
}

export function readEdf(bytes: Uint8Array): EcgFileRecord {
  const h = parseEdfHeader(bytes);
  const n = recordCount(h, bytes.length);
  const { picked, fs, left } = choose(h);
  const digital = decodeEdfSignals(h, bytes, n, picked);
  const leads: string[] = [];
  const signals = picked.map((k, i) => {
    const s = h.signals[k]!;
    const lead = edfLead(s.label);
    leads.push(lead ?? s.label);
    const per = millivoltsPer(s.physDim);
    if (lead && per === null) throw new Error(`signal ${s.label}: unknown unit "${s.physDim}"`);
    return edfToPhysical(s, digital[i]!, per ?? 1);
  });
  const annotations: EcgAnnotation[] = [];
  h.signals.forEach((s, k) => {
    if (s.annotations) for (const rec of annotationBytes(h, bytes, n, k)) annotations.push(...parseTals(rec));
  });
  const sex = / ([MF]) /.exec(` ${h.patient} `)?.[1] ?? null;
  return {
    format: 'edf', fs, leads, signals, derivedLeads: [], annotations,
    fields: {
      sex: h.plus ? sex : null,
      acquired: edfDateTime(h.startDate, h.startTime),
      device: h.plus ? h.recording.split(' ').slice(3).join(' ').trim() || null : null,
      edf_variant: h.variant === 'bdf' ? 'BDF' : h.plus || 'EDF',
      ...(left.length ? { other_signals: left.join(', ') } : {}),
    },
  };
}

/** Header only: rate, samples and labels without reading the data records. */
export function probeEdf(head: Uint8Array, fileBytes: number): EcgFileProbe {
  const h = parseEdfHeader(head);
  const n = recordCount(h, fileBytes);
  const { picked, fs } = choose(h);
  return { format: 'edf', fs, samples: h.signals[picked[0]!]!.samplesPerRecord * n, leads: picked.map((k) => edfLead(h.signals[k]!.label) ?? h.signals[k]!.label) };
}
