/**
 * WFDB record reading: header + signal files → digital and physical signals, after wfdb-python's rdrecord.
 * Single-segment records are decoded per signal file; multi-segment records are stitched from their segments.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { confine } from '../confine.js';
import { readHeader, type SignalSpec, type WfdbHeader } from './header.js';
import { blockShape, bytesForSamples, decodeDifferences, INVALID_SAMPLE, sampleStream } from './decode.js';

export class WfdbRecordError extends Error {}

export interface ReadOptions {
  /** First frame to read (inclusive). */
  sampFrom?: number;
  /** Last frame (exclusive); defaults to the record length. */
  sampTo?: number;
  /** Signal indices to return, in this order. */
  channels?: number[];
  /** Average the samples of each frame (true, default) or return every sample ("expanded"). */
  smoothFrames?: boolean;
  /** Check the file size exactly, initial values and checksums when the whole record is read (default false, as wfdb-python). */
  verify?: boolean;
  /** Skip physical conversion (faster when only digital values are needed). */
  digitalOnly?: boolean;
  /** Physical values as float32: half the memory and enough for standardisation (import uses it). */
  float32?: boolean;
  /** The dataset's root (a real path, see confine.ts): the header, its signal files and segments must lie inside it. */
  root?: string;
}

/** Physical values: Float64Array by default, Float32Array with `float32`. */
export type PhysicalArray = Float64Array | Float32Array;

export interface WfdbRecord<P extends PhysicalArray = Float64Array> {
  header: WfdbHeader;
  recordName: string;
  fs: number;
  /** Frames returned. */
  sigLen: number;
  names: string[];
  units: string[];
  fmt: string[];
  adcGain: number[];
  baseline: number[];
  sampsPerFrame: number[];
  /** Per returned channel: sigLen values (smoothed), or sigLen × spf values (expanded). Invalid samples hold the format's marker. */
  digital: Int32Array[];
  /** (digital − baseline) / gain; NaN where the sample is invalid. Empty when digitalOnly. */
  physical: P[];
}

/** Read a record given the path of its .hea file (or the path without extension). */
export function readWfdbRecord(headerPath: string, opts: ReadOptions & { float32: true }): WfdbRecord<Float32Array>;
export function readWfdbRecord(headerPath: string, opts?: ReadOptions): WfdbRecord;
export function readWfdbRecord(headerPath: string, opts: ReadOptions = {}): WfdbRecord<PhysicalArray> {
  const named = headerPath.endsWith('.hea') ? headerPath : `${headerPath}.hea`;
  const hea = opts.root ? confine(opts.root, opts.root, named, 'header') : named;
  const header = readHeader(hea);
  if (header.segments) return readMultiSegment(hea, header, opts);
  return readSingle(hea, header, opts);
}

interface RawChannel {
  spec: SignalSpec;
  /** Expanded samples over the requested frames. */
  samples: Int32Array;
}

function invalidFor(fmt: string): number {
  return INVALID_SAMPLE[fmt] ?? -32768;
}

function readSingle(hea: string, header: WfdbHeader, opts: ReadOptions): WfdbRecord<PhysicalArray> {
  const dir = dirname(hea);
  const specs = header.signals;
  const files = new Map<string, number[]>();
  specs.forEach((s, i) => {
    const list = files.get(s.fileName) ?? [];
    list.push(i);
    files.set(s.fileName, list);
  });

  let sigLen = header.sigLen;
  const fileInfo = new Map<string, { fd: number | null; path: string; size: number; frameBytesExact: number }>();
  try {
    for (const [fileName, idx] of files) {
      if (fileName === '~') continue;
      const path = opts.root ? confine(opts.root, dir, fileName, `signal file named in ${hea}:`) : join(dir, fileName);
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new WfdbRecordError(`${path}: missing signal file (named in ${hea})`);
        throw err;
      }
      // Registered at once so that the finally below closes it when a check throws (an import goes on to the next record).
      const info = { fd, path, size: 0, frameBytesExact: idx.reduce((a, i) => a + specs[i]!.sampsPerFrame, 0) };
      fileInfo.set(fileName, info);
      const size = (info.size = fstatSync(fd).size);
      const frameSize = info.frameBytesExact;
      const fmt = specs[idx[0]!]!.fmt;
      if (idx.some((i) => specs[i]!.fmt !== fmt)) throw new WfdbRecordError(`${hea}: signals in ${fileName} mix storage formats`);
      blockShape(fmt);
      if (sigLen === null) {
        const bytesPerBlock = blockShape(fmt);
        const samples = Math.floor(((size - specs[idx[0]!]!.byteOffset) / bytesPerBlock.bytes) * bytesPerBlock.samples);
        sigLen = Math.floor(samples / frameSize);
      }
    }
    if (sigLen === null) sigLen = 0;

    const from = opts.sampFrom ?? 0;
    const to = opts.sampTo ?? sigLen;
    if (from < 0 || to > sigLen || from > to) throw new WfdbRecordError(`${hea}: sample range [${from}, ${to}) outside the record's ${sigLen} frames`);
    const n = to - from;
    const verify = (opts.verify ?? false) && from === 0 && to === sigLen;

    // readFile marks the frames it has no data for as invalid; a signal without a file ("~") is invalid throughout.
    const raw: RawChannel[] = specs.map((spec) => {
      const samples = new Int32Array(n * spec.sampsPerFrame);
      if (spec.fileName === '~') samples.fill(invalidFor(spec.fmt));
      return { spec, samples };
    });
    for (const [fileName, idx] of files) {
      if (fileName === '~') continue;
      const info = fileInfo.get(fileName)!;
      readFile(hea, info.path, info.fd!, info.size, idx.map((i) => specs[i]!), idx.map((i) => raw[i]!), sigLen, from, to, verify);
    }

    const chans = opts.channels ?? specs.map((_, i) => i);
    for (const c of chans) if (c < 0 || c >= specs.length) throw new WfdbRecordError(`${hea}: no channel ${c} (record has ${specs.length})`);
    return assemble(header, chans.map((c) => raw[c]!), header.fs, n, opts);
  } finally {
    for (const info of fileInfo.values()) if (info.fd !== null) closeSync(info.fd);
  }
}

// The raw bytes of a signal file only live while readFile decodes them: one grow-only buffer per thread spares the
// allocation (and its garbage) for every record of an import. Fresh bytes are never assumed to be zero.
let bytesBuffer = new Uint8Array(0);
function readBuffer(n: number): Uint8Array {
  if (bytesBuffer.length < n) bytesBuffer = new Uint8Array(Math.max(n, 2 * bytesBuffer.length));
  return bytesBuffer.subarray(0, n);
}

/** Decode the frames [from, to) (+ skew) of one signal file into the channels' expanded arrays. */
function readFile(
  hea: string, path: string, fd: number, size: number, specs: SignalSpec[], out: RawChannel[],
  sigLen: number, from: number, to: number, verify: boolean,
): void {
  const fmt = specs[0]!.fmt;
  const offset = specs[0]!.byteOffset;
  const frameSize = specs.reduce((a, s) => a + s.sampsPerFrame, 0);
  const totalSamples = sigLen * frameSize;
  const needBytes = offset + bytesForSamples(fmt, totalSamples);
  if (size < needBytes) {
    throw new WfdbRecordError(`${path}: truncated signal file: the header (${hea}) implies ${needBytes} bytes, the file has ${size}`);
  }
  if (verify && size > needBytes + blockShape(fmt).bytes) {
    throw new WfdbRecordError(`${path}: header/data mismatch: the header (${hea}) implies ${needBytes} bytes, the file has ${size}`);
  }
  const maxSkew = Math.max(...specs.map((s) => s.skew));
  // Frames available in the file (skewed signals may run past sigLen).
  const fileFrames = Math.floor(sampleCapacity(fmt, size - offset) / frameSize);
  const frameFrom = fmt === '8' ? 0 : from;
  const frameTo = Math.min(to + maxSkew, fileFrames);
  const sampleFrom = frameFrom * frameSize;
  const nSamples = Math.max(0, (frameTo - frameFrom) * frameSize);
  const block = blockShape(fmt);
  const firstBlock = Math.floor(sampleFrom / block.samples);
  const skip = sampleFrom - firstBlock * block.samples;
  const byteStart = offset + firstBlock * block.bytes;
  const byteLen = Math.min(size - byteStart, Math.ceil((nSamples + skip) / block.samples) * block.bytes);
  const bytes = readBuffer(byteLen);
  let got = 0;
  while (got < byteLen) {
    const r = readSync(fd, bytes, got, byteLen - got, byteStart + got);
    if (r <= 0) break;
    got += r;
  }
  bytes.fill(0, got);
  // Frame layout: which signal each sample of a frame belongs to.
  const layout: number[] = [];
  specs.forEach((s, i) => { for (let k = 0; k < s.sampsPerFrame; k++) layout.push(i); });
  const stream = fmt === '8'
    ? decodeDifferences(bytes, nSamples, layout, specs.map((s) => s.initValue ?? 0))
    : sampleStream(fmt, bytes, nSamples, skip);

  // De-interleave: signal s's sample t of frame f sits at stream[(f + skew_s − frameFrom) × frameSize + pos_s + t].
  const n = to - from;
  let pos = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const dst = out[i]!.samples;
    const spf = spec.sampsPerFrame;
    const frames = Math.min(n, frameTo - from - spec.skew);
    deinterleave(stream, (from + spec.skew - frameFrom) * frameSize + pos, frameSize, spf, frames, dst);
    // Frames past the end of the file (skew, short files) are invalid.
    if (frames < n) dst.fill(invalidFor(fmt), Math.max(0, frames) * spf);
    pos += spf;
  }

  if (verify) {
    specs.forEach((spec, i) => {
      if (spec.skew !== 0) return;
      const s = out[i]!.samples;
      if (spec.initValue !== null && s.length > 0 && s[0] !== spec.initValue) {
        throw new WfdbRecordError(`${path}: header/data mismatch in signal "${spec.description}": initial value is ${s[0]}, the header says ${spec.initValue}`);
      }
      if (spec.checksum !== null) {
        const sum = checksum16(s);
        if (sum !== (spec.checksum & 0xffff)) {
          throw new WfdbRecordError(`${path}: checksum mismatch in signal "${spec.description}": data sums to ${sum}, the header says ${spec.checksum & 0xffff}`);
        }
      }
    });
  }
}

// The per-sample loops of a record read are small functions of their own: V8 optimises a small function after a
// few calls, but a loop inside readFile only once the whole of readFile has run hot, which made the first dozen
// records of an import several times slower.

/** Samples [src, src + spf) of `frames` frames, frameSize apart in the stream, into dst[0 … frames × spf). */
function deinterleave(stream: Int16Array | Int32Array, src: number, frameSize: number, spf: number, frames: number, dst: Int32Array): void {
  if (spf === 1) {
    for (let f = 0; f < frames; f++, src += frameSize) dst[f] = stream[src]!;
  } else {
    for (let f = 0; f < frames; f++, src += frameSize) for (let t = 0; t < spf; t++) dst[f * spf + t] = stream[src + t]!;
  }
}

/** WFDB checksum: the 16-bit sum of the samples. */
function checksum16(s: Int32Array): number {
  let sum = 0;
  for (let k = 0; k < s.length; k++) sum = (sum + s[k]!) & 0xffff;
  return sum;
}

function sampleCapacity(fmt: string, bytes: number): number {
  const b = blockShape(fmt);
  if (fmt === '212') return Math.floor((2 * bytes) / 3);
  if (fmt === '310' || fmt === '311') {
    const full = Math.floor(bytes / 4);
    const rest = bytes - full * 4;
    const extra = fmt === '310' ? (rest >= 2 ? 1 : 0) : rest >= 3 ? 2 : rest >= 2 ? 1 : 0;
    return full * 3 + extra;
  }
  return Math.floor(bytes / b.bytes);
}

function assemble(header: WfdbHeader, chans: RawChannel[], fs: number, n: number, opts: ReadOptions): WfdbRecord<PhysicalArray> {
  const smooth = opts.smoothFrames ?? true;
  const digital = chans.map(({ spec, samples }) => (smooth && spec.sampsPerFrame > 1 ? smoothDigital(samples, spec, n) : samples));
  const physical = opts.digitalOnly
    ? []
    : chans.map(({ spec }, i) => toPhysical(digital[i]!, spec, opts.float32 ? new Float32Array(digital[i]!.length) : new Float64Array(digital[i]!.length)));
  return {
    header,
    recordName: header.recordName,
    fs,
    sigLen: n,
    names: chans.map((c) => c.spec.description),
    units: chans.map((c) => c.spec.units),
    fmt: chans.map((c) => c.spec.fmt),
    adcGain: chans.map((c) => c.spec.adcGain),
    baseline: chans.map((c) => c.spec.baseline),
    sampsPerFrame: chans.map((c) => (smooth ? 1 : c.spec.sampsPerFrame)),
    digital,
    physical,
  };
}

/** Mean of each frame's samples truncated toward zero, as the WFDB library does (invalid if any sample is); physical values follow from it. */
function smoothDigital(samples: Int32Array, spec: SignalSpec, n: number): Int32Array {
  const spf = spec.sampsPerFrame;
  const bad = invalidFor(spec.fmt);
  const out = new Int32Array(n);
  for (let f = 0; f < n; f++) {
    let sum = 0;
    let invalid = false;
    for (let t = 0; t < spf; t++) {
      const v = samples[f * spf + t]!;
      if (v === bad) invalid = true;
      sum += v;
    }
    out[f] = invalid ? bad : Math.trunc(sum / spf);
  }
  return out;
}

function toPhysical(d: Int32Array, spec: SignalSpec, out: PhysicalArray): PhysicalArray {
  const bad = invalidFor(spec.fmt);
  const { adcGain, baseline } = spec;
  // Convert every sample and only count the invalid ones; marking them NaN is a second pass that almost no record
  // needs. A select between NaN and the value inside this loop ran it 2.4× slower in V8 (import converts 60,000
  // samples a record).
  let invalid = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    out[i] = (v - baseline) / adcGain;
    invalid += v === bad ? 1 : 0;
  }
  // Format 8 stores differences and has no invalid marker.
  if (invalid > 0 && spec.fmt !== '8') for (let i = 0; i < d.length; i++) if (d[i] === bad) out[i] = NaN;
  return out;
}

/** Multi-segment records: fixed layout maps channels by index, variable layout by name via the layout header. */
function readMultiSegment(hea: string, header: WfdbHeader, opts: ReadOptions): WfdbRecord<PhysicalArray> {
  const dir = dirname(hea);
  const segments = header.segments!;
  const segmentHeader = (name: string): string => (opts.root ? confine(opts.root, dir, `${name}.hea`, `segment named in ${hea}:`) : join(dir, `${name}.hea`));
  let layoutSpecs: SignalSpec[];
  let startSeg = 0;
  if (header.layout === 'variable') {
    layoutSpecs = readHeader(segmentHeader(segments[0]!.name)).signals;
    startSeg = 1;
  } else {
    const first = segments.find((s) => s.name !== '~');
    if (!first) throw new WfdbRecordError(`${hea}: multi-segment record has no segments`);
    layoutSpecs = readHeader(segmentHeader(first.name)).signals;
  }
  const total = header.sigLen ?? segments.slice(startSeg).reduce((a, s) => a + s.length, 0);
  const from = opts.sampFrom ?? 0;
  const to = opts.sampTo ?? total;
  if (from < 0 || to > total || from > to) throw new WfdbRecordError(`${hea}: sample range [${from}, ${to}) outside the record's ${total} frames`);
  const n = to - from;
  const chans = opts.channels ?? layoutSpecs.map((_, i) => i);
  for (const c of chans) if (c < 0 || c >= layoutSpecs.length) throw new WfdbRecordError(`${hea}: no channel ${c} (record has ${layoutSpecs.length})`);
  const smooth = opts.smoothFrames ?? true;

  // Per channel: digital (expanded at the first segment's spf), physical, and the spf/fmt seen.
  const spf = chans.map(() => 0);
  const fmt = chans.map((c) => layoutSpecs[c]!.fmt);
  const gain = chans.map((c) => layoutSpecs[c]!.adcGain);
  const base = chans.map((c) => layoutSpecs[c]!.baseline);
  const pieces: { start: number; len: number; rec: WfdbRecord<PhysicalArray> | null; map: (number | null)[] }[] = [];

  let segStart = 0;
  for (let k = startSeg; k < segments.length; k++) {
    const seg = segments[k]!;
    const segEnd = segStart + seg.length;
    const a = Math.max(from, segStart);
    const b = Math.min(to, segEnd);
    if (a < b) {
      if (seg.name === '~') pieces.push({ start: a - from, len: b - a, rec: null, map: [] });
      else {
        const rec = readWfdbRecord(segmentHeader(seg.name), { sampFrom: a - segStart, sampTo: b - segStart, smoothFrames: smooth, verify: false, float32: opts.float32, root: opts.root });
        const map = chans.map((c) => {
          if (header.layout === 'fixed') return c < rec.names.length ? c : null;
          const want = layoutSpecs[c]!.description;
          const j = rec.names.indexOf(want);
          return j >= 0 ? j : null;
        });
        map.forEach((j, i) => {
          if (j === null) return;
          if (spf[i] === 0) {
            spf[i] = rec.sampsPerFrame[j]!;
            fmt[i] = rec.fmt[j]!;
            gain[i] = rec.adcGain[j]!;
            base[i] = rec.baseline[j]!;
          }
        });
        pieces.push({ start: a - from, len: b - a, rec, map });
      }
    }
    segStart = segEnd;
  }
  for (let i = 0; i < spf.length; i++) if (spf[i] === 0) spf[i] = 1;
  if (fmt.some((f) => f === '0')) fmt.forEach((f, i) => { if (f === '0') fmt[i] = '80'; });

  const digital = chans.map((_, i) => new Int32Array(n * spf[i]!).fill(invalidFor(fmt[i]!)));
  const physical = opts.digitalOnly ? [] : chans.map((_, i) => (opts.float32 ? new Float32Array(n * spf[i]!) : new Float64Array(n * spf[i]!)).fill(NaN));
  for (const p of pieces) {
    if (!p.rec) continue;
    p.map.forEach((j, i) => {
      if (j === null) return;
      const s = spf[i]!;
      const segSpf = p.rec!.sampsPerFrame[j]!;
      if (segSpf !== s) throw new WfdbRecordError(`${hea}: channel ${chans[i]} changes samples per frame between segments`);
      const segBad = invalidFor(p.rec!.fmt[j]!);
      const d = p.rec!.digital[j]!;
      const dst = digital[i]!;
      const bad = invalidFor(fmt[i]!);
      for (let t = 0; t < d.length; t++) dst[p.start * s + t] = d[t] === segBad ? bad : d[t]!;
      if (!opts.digitalOnly) physical[i]!.set(p.rec!.physical[j]!, p.start * s);
    });
  }
  return {
    header,
    recordName: header.recordName,
    fs: header.fs,
    sigLen: n,
    names: chans.map((c) => layoutSpecs[c]!.description),
    units: chans.map((c) => layoutSpecs[c]!.units),
    fmt,
    adcGain: gain,
    baseline: base,
    sampsPerFrame: spf,
    digital,
    physical,
  };
}
