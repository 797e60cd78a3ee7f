/** DICOM waveform sample decoding: interleaved (sample-major) Waveform Data → one integer array per channel. */
import type { DicomGroup } from './metadata.js';

const READERS: Record<string, { bytes: number; read: (dv: DataView, at: number, le: boolean) => number }> = {
  '8:SB': { bytes: 1, read: (dv, at) => dv.getInt8(at) },
  '8:UB': { bytes: 1, read: (dv, at) => dv.getUint8(at) },
  '16:SS': { bytes: 2, read: (dv, at, le) => dv.getInt16(at, le) },
  '16:US': { bytes: 2, read: (dv, at, le) => dv.getUint16(at, le) },
  '32:SL': { bytes: 4, read: (dv, at, le) => dv.getInt32(at, le) },
  '32:UL': { bytes: 4, read: (dv, at, le) => dv.getUint32(at, le) },
};

export function decodeWaveform(g: DicomGroup, bigEndian: boolean): Float64Array[] {
  const key = `${g.bitsAllocated}:${g.interpretation}`;
  const r = READERS[key];
  if (!r) throw new Error(`waveform group "${g.label}": ${g.bitsAllocated}-bit ${g.interpretation || '(no interpretation)'} samples are not supported (SB, UB, SS, US, SL, UL)`);
  if (!(g.channels > 0) || !(g.samples > 0)) throw new Error(`waveform group "${g.label}": ${g.channels} channels × ${g.samples} samples`);
  const need = g.channels * g.samples * r.bytes;
  if (g.data.length < need) {
    throw new Error(`waveform group "${g.label}": truncated Waveform Data: ${g.channels} channels × ${g.samples} samples need ${need} bytes, found ${g.data.length}`);
  }
  const dv = new DataView(g.data.buffer, g.data.byteOffset, g.data.byteLength);
  const le = !bigEndian;
  const out = Array.from({ length: g.channels }, () => new Float64Array(g.samples));
  for (let s = 0, at = 0; s < g.samples; s++) {
    for (let c = 0; c < g.channels; c++, at += r.bytes) out[c]![s] = r.read(dv, at, le);
  }
  return out;
}
