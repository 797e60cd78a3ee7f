/**
 * `.npz` export: a ZIP (stored, zip64 when large) of .npy arrays that numpy.load reads:
 * signals float32 (N, 12, 2500) mV, ids and patient_ids (unicode), one bool array per label.
 * Signals stream from the cache twice (CRC pass, write pass), so memory stays at one ECG.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ECG_SIZE, N_LEADS, TARGET_SAMPLES, type CachedDataset } from './types.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function npyHeader(descr: string, shape: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pre = 10;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = dict.length & 0xff;
  out[9] = dict.length >> 8;
  out.set(Buffer.from(dict, 'latin1'), pre);
  return out;
}

function unicodeArray(values: string[]): Uint8Array {
  const width = Math.max(1, ...values.map((v) => [...v].length));
  const body = new Uint8Array(values.length * width * 4);
  const dv = new DataView(body.buffer);
  values.forEach((v, i) => {
    [...v].forEach((ch, k) => dv.setUint32((i * width + k) * 4, ch.codePointAt(0)!, true));
  });
  return concat(npyHeader(`<U${width}`, [values.length]), body);
}

function boolArray(values: boolean[]): Uint8Array {
  return concat(npyHeader('|b1', [values.length]), Uint8Array.from(values, (v) => (v ? 1 : 0)));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

interface Entry {
  name: string;
  size: number;
  crc: number;
  offset: number;
}

class ZipWriter {
  private offset = 0;
  private readonly entries: Entry[] = [];
  constructor(private readonly fd: number) {}

  private write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done);
    this.offset += b.length;
  }

  /** Write one stored entry whose bytes come from `produce` (called once), size and CRC known in advance. */
  add(name: string, size: number, crc: number, produce: (write: (b: Uint8Array) => void) => void): void {
    const nameBytes = Buffer.from(name, 'utf8');
    const zip64 = size >= 0xffffffff || this.offset >= 0xffffffff;
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(size), 12);
    }
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(zip64 ? 45 : 20, 4);
    h.writeUInt16LE(0, 6);
    h.writeUInt16LE(0, 8);
    h.writeUInt32LE(0, 10);
    h.writeUInt32LE(crc, 14);
    h.writeUInt32LE(zip64 ? 0xffffffff : size, 18);
    h.writeUInt32LE(zip64 ? 0xffffffff : size, 22);
    h.writeUInt16LE(nameBytes.length, 26);
    h.writeUInt16LE(extra.length, 28);
    const offset = this.offset;
    this.write(h);
    this.write(nameBytes);
    this.write(extra);
    const start = this.offset;
    produce((b) => this.write(b));
    if (this.offset - start !== size) throw new Error(`npz entry ${name}: wrote ${this.offset - start} bytes, expected ${size}`);
    this.entries.push({ name, size, crc, offset });
  }

  addBytes(name: string, data: Uint8Array): void {
    this.add(name, data.length, crc32(data), (w) => w(data));
  }

  finish(): void {
    const cdStart = this.offset;
    for (const e of this.entries) {
      const nameBytes = Buffer.from(e.name, 'utf8');
      const big = e.size >= 0xffffffff || e.offset >= 0xffffffff;
      const extra = big ? Buffer.alloc(28) : Buffer.alloc(0);
      if (big) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(24, 2);
        extra.writeBigUInt64LE(BigInt(e.size), 4);
        extra.writeBigUInt64LE(BigInt(e.size), 12);
        extra.writeBigUInt64LE(BigInt(e.offset), 20);
      }
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(big ? 45 : 20, 4);
      h.writeUInt16LE(big ? 45 : 20, 6);
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(big ? 0xffffffff : e.size, 20);
      h.writeUInt32LE(big ? 0xffffffff : e.size, 24);
      h.writeUInt16LE(nameBytes.length, 28);
      h.writeUInt16LE(extra.length, 30);
      h.writeUInt32LE(big ? 0xffffffff : e.offset, 42);
      this.write(h);
      this.write(nameBytes);
      this.write(extra);
    }
    const cdSize = this.offset - cdStart;
    const n = this.entries.length;
    // Always emit the zip64 end records: harmless for small archives, required past 4 GiB.
    const z64 = Buffer.alloc(56);
    const z64Offset = this.offset;
    z64.writeUInt32LE(0x06064b50, 0);
    z64.writeBigUInt64LE(44n, 4);
    z64.writeUInt16LE(45, 12);
    z64.writeUInt16LE(45, 14);
    z64.writeBigUInt64LE(BigInt(n), 24);
    z64.writeBigUInt64LE(BigInt(n), 32);
    z64.writeBigUInt64LE(BigInt(cdSize), 40);
    z64.writeBigUInt64LE(BigInt(cdStart), 48);
    this.write(z64);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(z64Offset), 8);
    loc.writeUInt32LE(1, 16);
    this.write(loc);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(n, 0xffff), 8);
    end.writeUInt16LE(Math.min(n, 0xffff), 10);
    end.writeUInt32LE(Math.min(cdSize, 0xffffffff), 12);
    end.writeUInt32LE(Math.min(cdStart, 0xffffffff), 16);
    this.write(end);
  }
}

export interface ExportSummary {
  path: string;
  count: number;
  labels: string[];
  bytes: number;
}

export function exportNpz(ds: CachedDataset, outPath: string, onProgress?: (done: number, total: number) => void): ExportSummary {
  const n = ds.count;
  const ids: string[] = [];
  const patientIds: string[] = [];
  const labels = new Map<string, boolean[]>(ds.labelNames.map((l) => [l, []]));
  for (let i = 0; i < n; i++) {
    const m = ds.meta(i);
    ids.push(m.id);
    patientIds.push(m.patientId);
    for (const [l, arr] of labels) arr.push(m.labels[l] === true);
  }
  const header = npyHeader('<f4', [n, N_LEADS, TARGET_SAMPLES]);
  const sig = new Float32Array(ECG_SIZE);
  const sigBytes = new Uint8Array(sig.buffer);
  let crc = crc32(header);
  for (let i = 0; i < n; i++) crc = crc32(sigBytes, crc32Pass(ds, i, sig, crc));
  const fd = openSync(outPath, 'w');
  let zipBytes = 0;
  try {
    const zip = new ZipWriter(fd);
    zip.add('signals.npy', header.length + n * ECG_SIZE * 4, crc, (write) => {
      write(header);
      for (let i = 0; i < n; i++) {
        ds.readSignal(i, sig);
        write(sigBytes);
        onProgress?.(i + 1, n);
      }
    });
    zip.addBytes('ids.npy', unicodeArray(ids));
    zip.addBytes('patient_ids.npy', unicodeArray(patientIds));
    for (const [l, arr] of labels) zip.addBytes(`${l}.npy`, boolArray(arr));
    zip.finish();
    zipBytes = (zip as unknown as { offset: number }).offset;
  } finally {
    closeSync(fd);
  }
  return { path: outPath, count: n, labels: [...labels.keys()], bytes: zipBytes };
}

/** Reads record i into `sig` and returns the running CRC unchanged (the caller folds the bytes in). */
function crc32Pass(ds: CachedDataset, i: number, sig: Float32Array, crc: number): number {
  ds.readSignal(i, sig);
  return crc;
}
