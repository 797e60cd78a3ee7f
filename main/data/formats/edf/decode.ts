/** EDF/BDF sample decoding: data records → each signal's digital samples (16-bit or 24-bit little-endian). */
import { recordBytes, type EdfHeader } from './header.js';

export function decodeEdfSignals(h: EdfHeader, bytes: Uint8Array, records: number, wanted: number[]): Int32Array[] {
  const w = h.variant === 'bdf' ? 3 : 2;
  const per = recordBytes(h);
  const offsets: number[] = [];
  let o = 0;
  for (const s of h.signals) {
    offsets.push(o);
    o += s.samplesPerRecord * w;
  }
  return wanted.map((k) => {
    const spr = h.signals[k]!.samplesPerRecord;
    const out = new Int32Array(spr * records);
    for (let r = 0; r < records; r++) {
      let at = h.headerBytes + r * per + offsets[k]!;
      for (let i = 0; i < spr; i++, at += w) {
        out[r * spr + i] = w === 2 ? ((bytes[at]! | (bytes[at + 1]! << 8)) << 16) >> 16 : ((bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) << 8) >> 8;
      }
    }
    return out;
  });
}

/** The raw bytes of an annotation signal, record after record. */
export function annotationBytes(h: EdfHeader, bytes: Uint8Array, records: number, k: number): Uint8Array[] {
  const w = h.variant === 'bdf' ? 3 : 2;
  const per = recordBytes(h);
  let off = 0;
  for (let j = 0; j < k; j++) off += h.signals[j]!.samplesPerRecord * w;
  const len = h.signals[k]!.samplesPerRecord * w;
  return Array.from({ length: records }, (_, r) => bytes.subarray(h.headerBytes + r * per + off, h.headerBytes + r * per + off + len));
}
