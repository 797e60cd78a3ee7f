/**
 * GE MUSE `<RestingECG>` XML: the document's waveforms (Median and Rhythm), their leads' storage description, and
 * the record's demographics, acquisition and diagnosis statements. No sample is decoded here.
 */
import { attr, child, children, numberOr, text, type XmlNode } from '../xml.js';
import type { FieldValue } from '../types.js';

export interface MuseLead {
  id: string;
  /** LeadAmplitudeUnitsPerBit; null when the file omits it (an error when the lead is read). */
  unitsPerBit: number | null;
  units: string | null;
  sampleCount: number | null;
  byteCount: number | null;
  sampleSize: number;
  crc32: number | null;
  /** Base64 text as stored (line breaks included). */
  data: string;
}

export interface MuseWaveform {
  /** "Rhythm" or "Median". */
  type: string;
  /** SampleBase × 10^SampleExponent. */
  fs: number;
  /** NumberofLeads as stated, or null. */
  statedLeads: number | null;
  leads: MuseLead[];
}

export interface MuseDocument {
  waveforms: MuseWaveform[];
  fields: Record<string, FieldValue>;
  statements: string[];
}

function ageInYears(value: string | undefined, units: string | undefined): number | null {
  const n = numberOr(value);
  if (n === null) return null;
  const u = (units ?? 'YEARS').toUpperCase();
  if (u.startsWith('MONTH')) return n / 12;
  if (u.startsWith('WEEK')) return n / 52;
  if (u.startsWith('DAY')) return n / 365;
  if (u.startsWith('HOUR')) return n / 8760;
  return n;
}

function sexOf(g: string | undefined): string | null {
  const s = (g ?? '').trim().toUpperCase();
  return s.startsWith('M') ? 'M' : s.startsWith('F') ? 'F' : null;
}

/** MUSE dates are MM-DD-YYYY; returns ISO YYYY-MM-DD[Thh:mm:ss] or the text as is. */
function isoDate(date: string | undefined, time: string | undefined): string | null {
  if (!date) return null;
  const m = /^(\d{2})-(\d{2})-(\d{4})$/.exec(date.trim());
  const d = m ? `${m[3]}-${m[1]}-${m[2]}` : date.trim();
  return time ? `${d}T${time.trim()}` : d;
}

export function museMetadata(doc: XmlNode): MuseDocument {
  const root = child(doc, 'RestingECG');
  if (!root) throw new Error('not a GE MUSE file: no <RestingECG> element');
  const patient = child(root, 'PatientDemographics');
  const test = child(root, 'TestDemographics');
  const statements = children(child(root, 'Diagnosis'), 'DiagnosisStatement')
    .map((s) => text(s, 'StmtText') ?? '')
    .filter((s) => s.trim() !== '');
  const fields: Record<string, FieldValue> = {
    age: ageInYears(text(patient, 'PatientAge'), text(patient, 'AgeUnits')),
    sex: sexOf(text(patient, 'Gender')),
    patient_id: text(patient, 'PatientID') ?? null,
    acquired: isoDate(text(test, 'AcquisitionDate'), text(test, 'AcquisitionTime')),
    device: text(test, 'AcquisitionDevice') ?? null,
    statements: statements.length ? statements.join(' | ') : null,
  };
  const waveforms = children(root, 'Waveform').map((w): MuseWaveform => {
    const base = numberOr(text(w, 'SampleBase'));
    const exp = numberOr(text(w, 'SampleExponent'), 0) ?? 0;
    return {
      type: text(w, 'WaveformType') ?? '',
      fs: base === null ? NaN : base * 10 ** exp,
      statedLeads: numberOr(text(w, 'NumberofLeads')),
      leads: children(w, 'LeadData').map((l) => ({
        id: text(l, 'LeadID') ?? '',
        unitsPerBit: numberOr(text(l, 'LeadAmplitudeUnitsPerBit')),
        units: text(l, 'LeadAmplitudeUnits') ?? null,
        sampleCount: numberOr(text(l, 'LeadSampleCountTotal')),
        byteCount: numberOr(text(l, 'LeadByteCountTotal')),
        sampleSize: numberOr(text(l, 'LeadSampleSize'), 2) ?? 2,
        crc32: numberOr(text(l, 'LeadDataCRC32')),
        data: text(l, 'WaveFormData') ?? attr(child(l, 'WaveFormData'), 'value') ?? '',
      })),
    };
  });
  return { waveforms, fields, statements };
}

/** The rhythm waveform (the full strip) is what the data layer uses; median beats are a summary. */
export function rhythmWaveform(doc: MuseDocument): MuseWaveform | null {
  return doc.waveforms.find((w) => /rhythm/i.test(w.type)) ?? null;
}
