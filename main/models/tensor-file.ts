/**
 * One file of named float32 arrays: "ECGFMT1\n", a uint32 header length, a JSON header
 * ({ name, shape, offset } per entry, offsets in floats), then the little-endian float32 data.
 * Written to a temporary name and renamed, so a kill mid-write never leaves a half file under the real name.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export type NamedArrays = Map<string, { shape: number[]; data: Float32Array }>;

const MAGIC = 'ECGFMT1\n';

interface HeaderEntry {
  name: string;
  shape: number[];
  offset: number;
}

export function saveTensorFile(path: string, arrays: NamedArrays): void {
  const entries: HeaderEntry[] = [];
  let offset = 0;
  for (const [name, { shape, data }] of arrays) {
    entries.push({ name, shape, offset });
    offset += data.length;
  }
  const header = Buffer.from(JSON.stringify(entries), 'utf8');
  const head = Buffer.alloc(MAGIC.length + 4);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(header.length, MAGIC.length);
  // Pad so the float data starts 4-byte aligned.
  const pad = Buffer.alloc((4 - ((head.length + header.length) % 4)) % 4, 0x20);
  const body = Buffer.alloc(offset * 4);
  for (const [i, { data }] of [...arrays.values()].entries()) {
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(body, entries[i]!.offset * 4);
  }
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([head, header, pad, body]));
  renameSync(tmp, path);
}

export function loadTensorFile(path: string): NamedArrays {
  const buf = readFileSync(path);
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new Error(`${path}: not an ECG-FM weights file`);
  }
  const len = buf.readUInt32LE(MAGIC.length);
  let entries: HeaderEntry[];
  try {
    entries = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + len)) as HeaderEntry[];
  } catch {
    throw new Error(`${path}: corrupt weights header`);
  }
  let start = MAGIC.length + 4 + len;
  start += (4 - (start % 4)) % 4;
  const floats = (buf.length - start) / 4;
  const all = new Float32Array(floats);
  Buffer.from(all.buffer).set(buf.subarray(start, start + floats * 4));
  const out: NamedArrays = new Map();
  for (const e of entries) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + size > floats) throw new Error(`${path}: weight ${e.name} runs past the end of the file (truncated?)`);
    out.set(e.name, { shape: e.shape, data: all.subarray(e.offset, e.offset + size) });
  }
  return out;
}
