/** EDF physical conversion (linear between the digital and physical ranges) and EDF+ annotation lists (TALs). */
import type { EcgAnnotation } from '../types.js';
import type { EdfSignal } from './header.js';

export function edfToPhysical(s: EdfSignal, d: Int32Array, unitToMv: number): Float64Array {
  if (s.digMax === s.digMin) throw new Error(`signal ${s.label}: digital minimum equals maximum (${s.digMin})`);
  const gain = ((s.physMax - s.physMin) / (s.digMax - s.digMin)) * unitToMv;
  const offset = s.physMin * unitToMv - s.digMin * gain;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i]! * gain + offset;
  return out;
}

/** TALs of one data record: "+onset[\x15duration]\x14text\x14…\x14\0". The first TAL of a record keeps time only. */
export function parseTals(bytes: Uint8Array): EcgAnnotation[] {
  const out: EcgAnnotation[] = [];
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  for (const tal of text.split('\0')) {
    if (!tal) continue;
    const parts = tal.split('\x14');
    const [time = '', ...texts] = parts;
    const [onsetText = '', durText] = time.split('\x15');
    const onset = Number(onsetText);
    if (!Number.isFinite(onset)) continue;
    const duration = durText ? Number(durText) : 0;
    for (const t of texts) if (t.trim()) out.push({ onset, duration: Number.isFinite(duration) ? duration : 0, text: t.trim() });
  }
  return out;
}
