/** MUSE physical conversion: digital × LeadAmplitudeUnitsPerBit in LeadAmplitudeUnits (microvolts by default) → mV. */
import { millivoltsPer } from '../units.js';
import type { MuseLead } from './metadata.js';

export function museToMillivolts(lead: MuseLead, digital: Int16Array): Float64Array {
  if (lead.unitsPerBit === null) throw new Error(`lead ${lead.id}: missing sensitivity (no LeadAmplitudeUnitsPerBit)`);
  if (!(lead.unitsPerBit > 0)) throw new Error(`lead ${lead.id}: LeadAmplitudeUnitsPerBit ${lead.unitsPerBit} is not positive`);
  // MUSE writes MICROVOLTS; files without the element mean the same.
  const perUnit = millivoltsPer(lead.units ?? 'MICROVOLTS');
  if (perUnit === null) throw new Error(`lead ${lead.id}: unknown amplitude unit "${lead.units}"`);
  const scale = lead.unitsPerBit * perUnit;
  const out = new Float64Array(digital.length);
  for (let i = 0; i < digital.length; i++) out[i] = digital[i]! * scale;
  return out;
}
