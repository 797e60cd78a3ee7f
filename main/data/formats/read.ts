/** One entry point for the hospital formats: read or probe a file as a given format. */
import { readFileSync, statSync } from 'node:fs';
import { decodeXml } from './xml.js';
import { readHead } from './detect.js';
import { readMuse, probeMuse } from './muse/read.js';
import { readAecg, probeAecg } from './aecg/read.js';
import { readDicom, probeDicom } from './dicom/read.js';
import { readEdf, probeEdf } from './edf/read.js';
import { readCardiosoft, probeCardiosoft } from './cardiosoft/read.js';
import { parseEdfHeader } from './edf/header.js';
import type { EcgFileFormat, EcgFileProbe, EcgFileRecord } from './types.js';

function bytesOf(path: string): Uint8Array {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function readEcgBytes(bytes: Uint8Array, format: EcgFileFormat): EcgFileRecord {
  switch (format) {
    case 'muse': return readMuse(decodeXml(bytes));
    case 'hl7-aecg': return readAecg(decodeXml(bytes));
    case 'cardiosoft': return readCardiosoft(decodeXml(bytes));
    case 'dicom-ecg': return readDicom(bytes);
    case 'edf': return readEdf(bytes);
  }
}

/** Physical signals (mV) of one file; throws with the problem (the caller names the file). */
export function readEcgFile(path: string, format: EcgFileFormat): EcgFileRecord {
  const rec = readEcgBytes(bytesOf(path), format);
  if (rec.signals.length === 0 || rec.signals.every((s) => s.length === 0)) throw new Error('empty record (0 samples)');
  return rec;
}

/** Rate, length and leads; EDF reads its header only, the other formats parse the file. */
export function probeEcgFile(path: string, format: EcgFileFormat): EcgFileProbe {
  if (format === 'edf') {
    const size = statSync(path).size;
    const fixed = parseEdfHeaderSize(readHead(path, 256));
    return probeEdf(readHead(path, fixed), size);
  }
  const bytes = bytesOf(path);
  switch (format) {
    case 'muse': return probeMuse(decodeXml(bytes));
    case 'hl7-aecg': return probeAecg(decodeXml(bytes));
    case 'cardiosoft': return probeCardiosoft(decodeXml(bytes));
    case 'dicom-ecg': return probeDicom(bytes);
  }
}

/** Header bytes an EDF file declares, from its fixed part (at least 256). */
function parseEdfHeaderSize(fixed: Uint8Array): number {
  const ns = Number(Buffer.from(fixed.subarray(252, 256)).toString('latin1').trim());
  if (!(ns > 0)) parseEdfHeader(fixed); // throws the header's own message
  return 256 * (ns + 1);
}
