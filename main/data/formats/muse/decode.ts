/** MUSE sample decoding: base64 text → little-endian int16 samples, checked against the lead's byte count and CRC-32. */
import { crc32 } from 'node:zlib';
import type { MuseLead } from './metadata.js';

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64: whitespace is ignored, anything else that is not base64, or a length that is not whole, is an error. */
export function decodeBase64(textIn: string, what: string): Uint8Array {
  const t = textIn.replace(/\s+/g, '');
  if (!B64.test(t)) throw new Error(`${what}: waveform data is not base64`);
  if (t.length % 4 !== 0) throw new Error(`${what}: truncated base64 block (${t.length} characters, not a multiple of 4)`);
  const buf = Buffer.from(t, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Little-endian int16 samples of one lead, after checking the stored counts and checksum. */
export function decodeMuseLead(lead: MuseLead): Int16Array {
  const what = `lead ${lead.id}`;
  if (lead.sampleSize !== 2) throw new Error(`${what}: LeadSampleSize ${lead.sampleSize} is not supported (MUSE stores 2-byte samples)`);
  const bytes = decodeBase64(lead.data, what);
  if (bytes.length === 0) throw new Error(`${what}: no waveform data`);
  if (lead.byteCount !== null && bytes.length !== lead.byteCount) {
    throw new Error(`${what}: truncated waveform data: LeadByteCountTotal says ${lead.byteCount} bytes, the base64 block holds ${bytes.length}`);
  }
  if (bytes.length % 2 !== 0) throw new Error(`${what}: odd byte count ${bytes.length} for 16-bit samples`);
  const n = bytes.length / 2;
  if (lead.sampleCount !== null && n !== lead.sampleCount) {
    throw new Error(`${what}: LeadSampleCountTotal says ${lead.sampleCount} samples, the data holds ${n}`);
  }
  if (lead.crc32 !== null && lead.crc32 !== 0 && crc32(bytes) >>> 0 !== lead.crc32) {
    throw new Error(`${what}: CRC-32 mismatch (data ${crc32(bytes) >>> 0}, LeadDataCRC32 ${lead.crc32})`);
  }
  const out = new Int16Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
  return out;
}
