/**
 * What every hospital-format reader returns: physical signals in millivolts with their lead names, the leads the
 * reader computed rather than read, annotations, and record-level fields (demographics, acquisition, statements).
 */
import type { Lead } from '../types.js';

export const ECG_FILE_FORMATS = ['muse', 'hl7-aecg', 'dicom-ecg', 'edf', 'cardiosoft'] as const;
export type EcgFileFormat = (typeof ECG_FILE_FORMATS)[number];

/** Human names, for reports and errors. */
export const FORMAT_LABELS: Record<EcgFileFormat, string> = {
  muse: 'GE MUSE XML',
  'hl7-aecg': 'HL7 aECG',
  'dicom-ecg': 'DICOM ECG waveform',
  edf: 'EDF/EDF+/BDF',
  cardiosoft: 'GE CardioSoft / UK Biobank XML',
};

export interface EcgAnnotation {
  /** Seconds from the start of the record. */
  onset: number;
  /** Seconds; 0 when the source gives none. */
  duration: number;
  text: string;
}

export type FieldValue = string | number | null;

export interface EcgFileRecord {
  format: EcgFileFormat;
  /** Sampling rate of `signals` (Hz). */
  fs: number;
  /** Channel names as the file states them (canonical lead names where the file codes them). */
  leads: string[];
  /** Per channel, millivolts; NaN marks an invalid sample. */
  signals: Float64Array[];
  /** Leads computed by the reader from others (MUSE stores 8 leads and derives III, aVR, aVL, aVF). */
  derivedLeads: Lead[];
  annotations: EcgAnnotation[];
  /** Demographics and acquisition: age, sex, acquired, device, statements … */
  fields: Record<string, FieldValue>;
}

/** Cheap facts about a file, read without decoding every sample where the format allows it. */
export interface EcgFileProbe {
  format: EcgFileFormat;
  fs: number;
  /** Samples per channel at `fs`. */
  samples: number;
  leads: string[];
}
