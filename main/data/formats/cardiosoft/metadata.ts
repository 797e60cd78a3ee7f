/**
 * GE CardioSoft `<CardiologyXML>` (UK Biobank fields 20205/6025): `StripData` with its sample rate, resolution and one
 * `WaveformData lead="…"` text of comma-separated counts per lead; patient age and sex; interpretation text.
 */
import { attr, child, children, numberOr, text, type XmlNode } from '../xml.js';
import type { FieldValue } from '../types.js';

export interface CardiosoftLead {
  lead: string;
  text: string;
}

export interface CardiosoftStrip {
  fs: number | null;
  statedLeads: number | null;
  statedSamples: number | null;
  /** Resolution value (units per LSB) and its unit without "perLsb"; null when absent. */
  resolution: number | null;
  resolutionUnit: string | null;
  leads: CardiosoftLead[];
}

export interface CardiosoftDocument {
  strip: CardiosoftStrip;
  fields: Record<string, FieldValue>;
}

export function cardiosoftMetadata(doc: XmlNode): CardiosoftDocument {
  const root = child(doc, 'CardiologyXML');
  if (!root) throw new Error('not a CardioSoft file: no <CardiologyXML> element');
  const strip = child(root, 'StripData') ?? child(child(root, 'Strip'), 'StripData');
  if (!strip) throw new Error('no <StripData> (full-disclosure-only files are not read)');
  const res = child(strip, 'Resolution');
  const resUnit = attr(res, 'units');
  const patient = child(root, 'PatientInfo');
  const gender = (text(patient, 'Gender') ?? '').trim().toUpperCase();
  const when = child(root, 'ObservationDateTime');
  const part = (k: string): string => (text(when, k) ?? '').padStart(2, '0');
  const statements = children(child(root, 'Interpretation'), 'Diagnosis').flatMap((d) => children(d, 'DiagnosisText').map((t) => text(t) ?? '')).filter(Boolean);
  return {
    strip: {
      fs: numberOr(text(strip, 'SampleRate')),
      statedLeads: numberOr(text(strip, 'NumberOfLeads')),
      statedSamples: numberOr(text(strip, 'ChannelSampleCountTotal')),
      resolution: numberOr(text(res)),
      resolutionUnit: resUnit ? resUnit.replace(/\s*(per|\/)\s*lsb$/i, '') : null,
      leads: children(strip, 'WaveformData').map((w) => ({ lead: attr(w, 'lead') ?? '', text: text(w) ?? '' })),
    },
    fields: {
      age: numberOr(text(patient, 'Age')),
      sex: gender.startsWith('M') ? 'M' : gender.startsWith('F') ? 'F' : null,
      patient_id: text(patient, 'PID') ?? null,
      acquired: when && text(when, 'Year') ? `${text(when, 'Year')}-${part('Month')}-${part('Day')}T${part('Hour')}:${part('Minute')}:${part('Second')}` : null,
      device: text(child(root, 'ObservationType')) ?? null,
      statements: statements.length ? statements.join(' | ') : null,
    },
  };
}
