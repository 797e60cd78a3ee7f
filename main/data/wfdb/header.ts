/**
 * WFDB header (.hea) parser, after wfdb-python's io/_header.py: record line, signal lines,
 * comments, and multi-segment master headers (fixed and variable layout).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface SignalSpec {
  fileName: string;
  /** Storage format as written, e.g. "16", "212", "508". */
  fmt: string;
  sampsPerFrame: number;
  skew: number;
  byteOffset: number;
  /** ADC units per physical unit; the WFDB default 200 when absent or 0. */
  adcGain: number;
  baseline: number;
  units: string;
  adcRes: number;
  adcZero: number;
  initValue: number | null;
  checksum: number | null;
  blockSize: number;
  description: string;
}

export interface SegmentSpec {
  /** "~" for a null (gap) segment. */
  name: string;
  length: number;
}

export interface WfdbHeader {
  recordName: string;
  nSig: number;
  /** Frame frequency (Hz). */
  fs: number;
  counterFreq: number | null;
  baseCounter: number | null;
  /** Frames; null when the header omits it (inferred from the file size). */
  sigLen: number | null;
  baseTime: string | null;
  baseDate: string | null;
  signals: SignalSpec[];
  comments: string[];
  /** Present for multi-segment master headers. */
  segments: SegmentSpec[] | null;
  layout: 'fixed' | 'variable' | null;
}

export class WfdbHeaderError extends Error {}

function num(text: string, what: string, where: string): number {
  const v = Number(text);
  if (!Number.isFinite(v)) throw new WfdbHeaderError(`${where}: ${what} "${text}" is not a number`);
  return v;
}

/** Default ADC resolution by format, as in the WFDB library. */
function defaultRes(fmt: string): number {
  switch (fmt) {
    case '8': case '80': case '508': return 8;
    case '212': return 12;
    case '310': case '311': return 10;
    case '24': case '524': return 24;
    case '32': return 32;
    default: return 16;
  }
}

const RECORD_RE = /^(\S+?)(?:\/(\d+))?\s+(\d+)(?:\s+([\d.eE+-]+)(?:\/([\d.eE+-]+)(?:\(([\d.eE+-]+)\))?)?(?:\s+(\d+)(?:\s+(\S+)(?:\s+(\S+))?)?)?)?\s*$/;
const FMT_RE = /^(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?$/;
const GAIN_RE = /^([\d.eE+-]+)(?:\(([\d.eE+-]+)\))?(?:\/(\S+))?$/;

/** Parse header text. `where` names the file in errors. */
export function parseHeader(text: string, where = 'header'): WfdbHeader {
  const comments: string[] = [];
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const trimmed = raw.trim();
    if (!trimmed) continue;
    if (trimmed.startsWith('#')) {
      comments.push(trimmed.slice(1).trim());
      continue;
    }
    // A trailing "# ..." on a record or signal line is a comment too.
    const hash = raw.indexOf('#');
    lines.push((hash >= 0 ? raw.slice(0, hash) : raw).trim());
  }
  const recordLine = lines[0];
  if (recordLine === undefined) throw new WfdbHeaderError(`${where}: no record line`);
  const m = RECORD_RE.exec(recordLine);
  if (!m) throw new WfdbHeaderError(`${where}: unparsable record line "${recordLine}"`);
  const nSeg = m[2] !== undefined ? num(m[2], 'segment count', where) : null;
  const nSig = num(m[3]!, 'signal count', where);
  const header: WfdbHeader = {
    recordName: m[1]!,
    nSig,
    fs: m[4] !== undefined ? num(m[4], 'sampling frequency', where) : 250,
    counterFreq: m[5] !== undefined ? num(m[5], 'counter frequency', where) : null,
    baseCounter: m[6] !== undefined ? num(m[6], 'base counter', where) : null,
    sigLen: m[7] !== undefined ? num(m[7], 'signal length', where) : null,
    baseTime: m[8] ?? null,
    baseDate: m[9] ?? null,
    signals: [],
    comments,
    segments: null,
    layout: null,
  };
  if (header.fs <= 0 && nSig > 0 && nSeg === null) throw new WfdbHeaderError(`${where}: sampling frequency must be positive`);

  if (nSeg !== null) {
    const segLines = lines.slice(1, 1 + nSeg);
    if (segLines.length !== nSeg) throw new WfdbHeaderError(`${where}: expected ${nSeg} segment lines, found ${segLines.length}`);
    header.segments = segLines.map((line) => {
      const [name, len] = line.split(/\s+/);
      if (!name || len === undefined) throw new WfdbHeaderError(`${where}: unparsable segment line "${line}"`);
      return { name, length: num(len, 'segment length', where) };
    });
    // Variable layout: the first segment is a layout header of length 0.
    header.layout = header.segments[0]?.length === 0 ? 'variable' : 'fixed';
    return header;
  }

  const sigLines = lines.slice(1, 1 + nSig);
  if (sigLines.length !== nSig) throw new WfdbHeaderError(`${where}: record line says ${nSig} signals, found ${sigLines.length} signal lines`);
  header.signals = sigLines.map((line, i) => parseSignalLine(line, `${where} signal ${i}`));
  return header;
}

function parseSignalLine(line: string, where: string): SignalSpec {
  const parts = line.split(/\s+/);
  const [fileName, fmtField, gainField, resField, zeroField, initField, sumField, blockField] = parts;
  if (!fileName || !fmtField) throw new WfdbHeaderError(`${where}: unparsable signal line "${line}"`);
  const f = FMT_RE.exec(fmtField);
  if (!f) throw new WfdbHeaderError(`${where}: unparsable format "${fmtField}"`);
  const fmt = f[1]!;
  const adcZero = zeroField !== undefined ? num(zeroField, 'ADC zero', where) : 0;
  let adcGain = 200;
  let baseline = adcZero;
  let units = 'mV';
  if (gainField !== undefined) {
    const g = GAIN_RE.exec(gainField);
    if (!g) throw new WfdbHeaderError(`${where}: unparsable ADC gain "${gainField}"`);
    adcGain = num(g[1]!, 'ADC gain', where);
    if (g[2] !== undefined) baseline = num(g[2], 'baseline', where);
    if (g[3] !== undefined) units = g[3];
    if (adcGain === 0) adcGain = 200;
  }
  return {
    fileName,
    fmt,
    sampsPerFrame: f[2] !== undefined ? num(f[2], 'samples per frame', where) : 1,
    skew: f[3] !== undefined ? num(f[3], 'skew', where) : 0,
    byteOffset: f[4] !== undefined ? num(f[4], 'byte offset', where) : 0,
    adcGain,
    baseline,
    units,
    adcRes: resField !== undefined && Number(resField) > 0 ? num(resField, 'ADC resolution', where) : defaultRes(fmt),
    adcZero,
    initValue: initField !== undefined ? num(initField, 'initial value', where) : null,
    checksum: sumField !== undefined ? num(sumField, 'checksum', where) : null,
    blockSize: blockField !== undefined ? num(blockField, 'block size', where) : 0,
    description: parts.slice(8).join(' '),
  };
}

/** Read and parse a .hea file; non-UTF-8 bytes are tolerated (latin1 fallback). */
export function readHeader(path: string): WfdbHeader {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new WfdbHeaderError(`${path}: cannot read header (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseHeader(buf.toString('latin1'), basename(path));
}
