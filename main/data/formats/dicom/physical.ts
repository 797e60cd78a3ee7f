/**
 * DICOM channel physical conversion (PS3.3 C.10.9.1.4): (value + Channel Baseline) × Channel Sensitivity ×
 * Sensitivity Correction Factor, in Channel Sensitivity Units → mV. Channel source codes → lead names.
 */
import { leadFromName } from '../leads.js';
import { millivoltsPer } from '../units.js';
import type { DicomChannel } from './metadata.js';

/** SCP-ECG (5.6.3-9-N) and MDC (2:N) lead numbers of the 12 standard leads. */
const LEAD_NUMBERS: Record<number, string> = {
  1: 'I', 2: 'II', 3: 'V1', 4: 'V2', 5: 'V3', 6: 'V4', 7: 'V5', 8: 'V6', 61: 'III', 62: 'aVR', 63: 'aVL', 64: 'aVF',
};

export function channelLead(ch: DicomChannel): string {
  const cv = ch.codeValue ?? '';
  const m = /^(?:5\.6\.3-9-|2:)(\d+)$/.exec(cv);
  if (m && LEAD_NUMBERS[Number(m[1])]) return LEAD_NUMBERS[Number(m[1])]!;
  return leadFromName(ch.source) ?? ch.source;
}

export function dicomToMillivolts(ch: DicomChannel, values: Float64Array, index: number): Float64Array {
  if (ch.sensitivity === null) throw new Error(`channel ${index + 1} (${ch.source}): missing sensitivity (no Channel Sensitivity 003A,0210)`);
  const perUnit = millivoltsPer(ch.units ?? '');
  if (perUnit === null) throw new Error(`channel ${index + 1} (${ch.source}): unknown sensitivity unit "${ch.units ?? '(none)'}"`);
  const scale = ch.sensitivity * ch.correction * perUnit;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! + ch.baseline) * scale;
  return out;
}
