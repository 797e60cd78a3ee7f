/**
 * Content-based recognition of ECG files: a file is what its first bytes say (DICOM preamble, EDF/BDF header, the
 * XML root element), whatever its name. WFDB records are recognised by their header file.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { looksLikeEdf } from './edf/header.js';
import { rootElement } from './xml.js';
import type { EcgFileFormat } from './types.js';

export type SniffedKind = EcgFileFormat | 'wfdb';

const XML_ROOTS: Record<string, EcgFileFormat> = { RestingECG: 'muse', AnnotatedECG: 'hl7-aecg', CardiologyXML: 'cardiosoft' };

/** Bytes read to recognise a file: enough for a long XML prolog (comments, DOCTYPE) and the EDF fixed header. */
export const SNIFF_BYTES = 8192;

export function sniffBytes(head: Uint8Array, name: string): SniffedKind | null {
  const ext = extname(name).toLowerCase();
  if (ext === '.hea') return 'wfdb';
  if (head.length >= 132 && String.fromCharCode(...head.subarray(128, 132)) === 'DICM') return 'dicom-ecg';
  if (looksLikeEdf(head)) return 'edf';
  const text = new TextDecoder('latin1').decode(head).replace(/^\uFEFF|^ï»¿/, '');
  if (/^\s*</.test(text)) {
    const root = rootElement(text);
    if (root && XML_ROOTS[root]) return XML_ROOTS[root]!;
  }
  // A bare DICOM data set (no preamble) starts with a group 0002 or 0008 tag.
  if ((ext === '.dcm' || ext === '.dicom') && head.length > 8 && head[1] === 0 && (head[0] === 0x02 || head[0] === 0x08) && head[3] === 0) return 'dicom-ecg';
  return null;
}

export function readHead(path: string, n = SNIFF_BYTES): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = readSync(fd, buf, got, n - got, got);
      if (r <= 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export function sniffFile(path: string): SniffedKind | null {
  if (extname(path).toLowerCase() === '.hea') return 'wfdb';
  return sniffBytes(readHead(path), path);
}
