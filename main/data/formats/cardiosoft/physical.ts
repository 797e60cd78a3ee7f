/** CardioSoft physical conversion: counts × Resolution (µV per LSB) → mV. */
import { millivoltsPer } from '../units.js';
import type { CardiosoftStrip } from './metadata.js';

export function cardiosoftToMillivolts(strip: CardiosoftStrip, counts: Float64Array): Float64Array {
  if (strip.resolution === null) throw new Error('missing sensitivity (no StripData Resolution)');
  if (!(strip.resolution > 0)) throw new Error(`Resolution ${strip.resolution} is not positive`);
  const per = millivoltsPer(strip.resolutionUnit ?? 'uV');
  if (per === null) throw new Error(`unknown Resolution unit "${strip.resolutionUnit}"`);
  const scale = strip.resolution * per;
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i]! * scale;
  return out;
}
