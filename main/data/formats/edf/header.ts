/**
 * EDF, EDF+ and BDF headers: the 256-byte fixed part and one 256-byte block per signal (labels, physical and digital
 * ranges, samples per data record). The digital→physical map is linear between the two ranges.
 */

export interface EdfSignal {
  label: string;
  transducer: string;
  physDim: string;
  physMin: number;
  physMax: number;
  digMin: number;
  digMax: number;
  prefilter: string;
  samplesPerRecord: number;
  /** "EDF Annotations" / "BDF Annotations" signals carry TALs, not samples. */
  annotations: boolean;
}

export interface EdfHeader {
  /** 'edf' (16-bit) or 'bdf' (24-bit BioSemi). */
  variant: 'edf' | 'bdf';
  /** EDF+C, EDF+D, or '' for plain EDF. */
  plus: string;
  patient: string;
  recording: string;
  startDate: string;
  startTime: string;
  headerBytes: number;
  /** Data records; -1 in the header means unknown (taken from the file size). */
  records: number;
  recordSeconds: number;
  signals: EdfSignal[];
}

const ascii = (b: Uint8Array, from: number, len: number): string => Buffer.from(b.buffer, b.byteOffset + from, len).toString('latin1').trim();

function num(b: Uint8Array, from: number, len: number, what: string): number {
  const s = ascii(b, from, len);
  const v = Number(s);
  if (s === '' || !Number.isFinite(v)) throw new Error(`EDF header: ${what} "${s}" is not a number`);
  return v;
}

/** True when the bytes start like an EDF ("0       ") or BDF (0xFF "BIOSEMI") header. */
export function looksLikeEdf(b: Uint8Array): boolean {
  if (b.length < 256) return false;
  if (b[0] === 0xff && ascii(b, 1, 7) === 'BIOSEMI') return true;
  return ascii(b, 0, 8) === '0' && /^\d+\s*$/.test(ascii(b, 184, 8)) && /^\s*-?\d+\s*$/.test(Buffer.from(b.subarray(236, 244)).toString('latin1'));
}

export function parseEdfHeader(b: Uint8Array): EdfHeader {
  if (b.length < 256) throw new Error(`EDF header: file has ${b.length} bytes, the fixed header needs 256`);
  const variant = b[0] === 0xff && ascii(b, 1, 7) === 'BIOSEMI' ? 'bdf' : 'edf';
  if (variant === 'edf' && ascii(b, 0, 8) !== '0') throw new Error(`EDF header: version "${ascii(b, 0, 8)}" is not 0`);
  const ns = num(b, 252, 4, 'number of signals');
  const headerBytes = num(b, 184, 8, 'header size');
  if (!(ns > 0) || !Number.isInteger(ns)) throw new Error(`EDF header: number of signals ${ns} is not a positive whole number`);
  if (headerBytes !== 256 * (ns + 1)) throw new Error(`lead count mismatch: the header says ${ns} signals, which needs ${256 * (ns + 1)} header bytes, but states ${headerBytes}`);
  if (b.length < headerBytes) throw new Error(`EDF header: truncated (${b.length} bytes, the header needs ${headerBytes})`);
  const reserved = ascii(b, 192, 44);
  const field = (k: number, offset: number, len: number): number => 256 + offset * ns + k * len;
  const signals: EdfSignal[] = [];
  for (let k = 0; k < ns; k++) {
    const label = ascii(b, field(k, 0, 16), 16);
    const where = `signal ${k + 1} (${label})`;
    signals.push({
      label,
      transducer: ascii(b, field(k, 16, 80), 80),
      physDim: ascii(b, field(k, 96, 8), 8),
      physMin: num(b, field(k, 104, 8), 8, `${where} physical minimum`),
      physMax: num(b, field(k, 112, 8), 8, `${where} physical maximum`),
      digMin: num(b, field(k, 120, 8), 8, `${where} digital minimum`),
      digMax: num(b, field(k, 128, 8), 8, `${where} digital maximum`),
      prefilter: ascii(b, field(k, 136, 80), 80),
      samplesPerRecord: num(b, field(k, 216, 8), 8, `${where} samples per record`),
      annotations: /^(EDF|BDF) Annotations$/.test(label),
    });
  }
  return {
    variant,
    plus: /^EDF\+[CD]/.test(reserved) ? reserved.slice(0, 5) : '',
    patient: ascii(b, 8, 80),
    recording: ascii(b, 88, 80),
    startDate: ascii(b, 168, 8),
    startTime: ascii(b, 176, 8),
    headerBytes,
    records: num(b, 236, 8, 'number of data records'),
    recordSeconds: num(b, 244, 8, 'data record duration'),
    signals,
  };
}

/** Bytes of one data record. */
export function recordBytes(h: EdfHeader): number {
  const w = h.variant === 'bdf' ? 3 : 2;
  return h.signals.reduce((a, s) => a + s.samplesPerRecord * w, 0);
}

/** Data records the file holds, checked against the header. */
export function recordCount(h: EdfHeader, fileBytes: number): number {
  const per = recordBytes(h);
  const held = Math.floor((fileBytes - h.headerBytes) / per);
  if (h.records === -1) return held;
  if (held < h.records) throw new Error(`truncated: the header says ${h.records} data records, the file holds ${held}`);
  return h.records;
}
