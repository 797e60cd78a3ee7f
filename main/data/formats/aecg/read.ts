/**
 * An HL7 aECG file → the rhythm series in mV. The series coded RHYTHM is preferred over representative beats; its
 * sequence sets are merged (a lead appears once; sets at another rate are left out and named in the fields).
 */
import { leadFromName } from '../leads.js';
import { parseXml } from '../xml.js';
import type { EcgFileProbe, EcgFileRecord } from '../types.js';
import { aecgMetadata, type AecgDocument, type AecgSequence, type AecgSeries } from './metadata.js';
import { decodeDigits } from './decode.js';
import { aecgToMillivolts } from './physical.js';

function chooseSeries(doc: AecgDocument): AecgSeries {
  const withData = doc.series.filter((s) => s.sets.some((set) => set.sequences.length > 0));
  const s = withData.find((x) => x.code === 'RHYTHM') ?? withData.find((x) => x.code !== 'REPRESENTATIVE_BEAT') ?? withData[0];
  if (!s) throw new Error('no series with SLIST_PQ lead sequences');
  return s;
}

interface Chosen {
  fs: number;
  sequences: AecgSequence[];
  skipped: string[];
}

function chooseSequences(series: AecgSeries): Chosen {
  const first = series.sets.find((s) => s.sequences.length > 0)!;
  if (first.increment === null) throw new Error(`series ${series.code}: sequence set has no time sequence (GLIST_TS/GLIST_PQ increment)`);
  const fs = 1 / first.increment;
  const seen = new Set<string>();
  const sequences: AecgSequence[] = [];
  const skipped: string[] = [];
  for (const set of series.sets) {
    if (set.sequences.length === 0) continue;
    const setFs = set.increment === null ? null : 1 / set.increment;
    for (const seq of set.sequences) {
      const name = leadFromName(seq.code) ?? seq.code;
      if (seen.has(name)) continue;
      if (setFs === null || Math.abs(setFs - fs) > 1e-6 * fs) {
        skipped.push(`${seq.code}@${setFs === null ? '?' : setFs.toFixed(3)}Hz`);
        continue;
      }
      seen.add(name);
      sequences.push(seq);
    }
  }
  return { fs, sequences, skipped };
}

export function readAecg(text: string): EcgFileRecord {
  const doc = aecgMetadata(parseXml(text));
  const series = chooseSeries(doc);
  const { fs, sequences, skipped } = chooseSequences(series);
  const signals = sequences.map((s) => aecgToMillivolts(s, decodeDigits(s.digits, s.code)));
  const n = signals[0]!.length;
  const bad = sequences.filter((_, i) => signals[i]!.length !== n);
  if (bad.length) {
    throw new Error(`lead count mismatch: sequence ${bad[0]!.code} has ${signals[sequences.indexOf(bad[0]!)]!.length} digits, ${sequences[0]!.code} has ${n}`);
  }
  return {
    format: 'hl7-aecg', fs,
    leads: sequences.map((s) => leadFromName(s.code) ?? s.code),
    signals, derivedLeads: [], annotations: [],
    fields: { ...doc.fields, series: series.code || null, ...(skipped.length ? { skipped_sequences: skipped.join(' ') } : {}) },
  };
}

export function probeAecg(text: string): EcgFileProbe {
  const doc = aecgMetadata(parseXml(text));
  const { fs, sequences } = chooseSequences(chooseSeries(doc));
  const samples = sequences[0]!.digits.trim().split(/\s+/).length;
  return { format: 'hl7-aecg', fs, samples, leads: sequences.map((s) => leadFromName(s.code) ?? s.code) };
}
