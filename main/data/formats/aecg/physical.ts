/** aECG physical conversion: value = origin + scale × digit, each in its own unit, → mV. */
import { millivoltsPer } from '../units.js';
import type { AecgSequence } from './metadata.js';

export function aecgToMillivolts(seq: AecgSequence, digits: Float64Array): Float64Array {
  const so = millivoltsPer(seq.origin.unit);
  const ss = millivoltsPer(seq.scale.unit);
  if (ss === null) throw new Error(`sequence ${seq.code}: unknown scale unit "${seq.scale.unit}"`);
  if (so === null) throw new Error(`sequence ${seq.code}: unknown origin unit "${seq.origin.unit}"`);
  if (!(seq.scale.value !== 0)) throw new Error(`sequence ${seq.code}: scale is 0`);
  const origin = seq.origin.value * so;
  const scale = seq.scale.value * ss;
  const out = new Float64Array(digits.length);
  for (let i = 0; i < digits.length; i++) out[i] = origin + scale * digits[i]!;
  return out;
}
