/**
 * HDF5 access through h5wasm's Node build, which reads the file in place (no whole-file load): one example
 * at a time is sliced out of (N, samples, leads) `tracings`; chunked and gzip-compressed datasets read the same way.
 */
import { existsSync } from 'node:fs';

type H5wasm = typeof import('h5wasm/node').default;
type H5File = InstanceType<H5wasm['File']>;
type H5Dataset = InstanceType<H5wasm['Dataset']>;

// Loaded on first use: the module is 4 MB of JS+wasm, and import workers for WFDB sources never need it.
let h5wasm: H5wasm | null = null;

/** Must resolve before any other call here. */
export async function initHdf5(): Promise<void> {
  if (h5wasm) return;
  const lib = (await import('h5wasm/node')).default;
  await lib.ready;
  h5wasm = lib;
}

function lib(): H5wasm {
  if (!h5wasm) throw new Error('initHdf5() must be awaited before reading HDF5 files');
  return h5wasm;
}

const open = new Map<string, H5File>();

export class Hdf5Error extends Error {}

export function openHdf5(path: string): H5File {
  const h5 = lib();
  let f = open.get(path);
  if (f) return f;
  if (!existsSync(path)) throw new Hdf5Error(`${path}: missing file`);
  try {
    f = new h5.File(path, 'r');
    // h5wasm reports a failed open through a zero file id rather than an exception.
    if (!f.file_id || f.file_id <= 0n) throw new Error('not an HDF5 file');
    f.keys();
  } catch (err) {
    throw new Hdf5Error(`${path}: corrupt or unreadable HDF5 file (${(err as Error).message ?? String(err)})`);
  }
  if (open.size >= 8) {
    const [k, old] = open.entries().next().value!;
    old.close();
    open.delete(k);
  }
  open.set(path, f);
  return f;
}

export function closeAllHdf5(): void {
  for (const f of open.values()) f.close();
  open.clear();
}

export function getDataset(path: string, name: string): H5Dataset {
  const f = openHdf5(path);
  const d = f.get(name);
  if (!(d instanceof lib().Dataset)) throw new Hdf5Error(`${path}: no dataset "${name}"`);
  return d;
}

/** A 1-D dataset's values as strings (exam ids). */
export function readIds(path: string, name: string): string[] {
  const d = getDataset(path, name);
  const v = d.value;
  if (v === null || typeof v !== 'object' || !('length' in v)) throw new Hdf5Error(`${path}: dataset "${name}" is not an array`);
  return Array.from(v as ArrayLike<unknown>, (x) => String(x));
}

export interface Hdf5Example {
  /** Per lead, the samples (padding stripped when asked). */
  signals: Float32Array[];
  leadNames: string[];
}

const CODE15_LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];

/** Row `row` of a (N, samples, leads) dataset; zero rows at both ends are stripped when `stripPadding`. */
export function readHdf5Row(path: string, dataset: string, row: number, stripPadding: boolean): Hdf5Example {
  const d = getDataset(path, dataset);
  const shape = d.shape;
  if (!shape || shape.length !== 3) throw new Hdf5Error(`${path}: "${dataset}" has shape [${shape?.join(', ')}], expected (N, samples, leads)`);
  const [n, samples, leads] = shape as [number, number, number];
  if (row < 0 || row >= n) throw new Hdf5Error(`${path}: row ${row} outside "${dataset}" (${n} rows)`);
  if (leads !== 12) throw new Hdf5Error(`${path}: wrong shape: "${dataset}" has ${leads} leads, expected 12`);
  const raw = d.slice([[row, row + 1]]);
  if (!raw || typeof raw !== 'object' || !('length' in raw) || (raw as ArrayLike<number>).length !== samples * leads) {
    throw new Hdf5Error(`${path}: could not read row ${row} of "${dataset}"`);
  }
  const x = raw as ArrayLike<number>;
  let start = 0;
  let end = samples;
  if (stripPadding) {
    const zeroRow = (t: number): boolean => {
      for (let l = 0; l < leads; l++) if (x[t * leads + l] !== 0) return false;
      return true;
    };
    while (start < end && zeroRow(start)) start++;
    while (end > start && zeroRow(end - 1)) end--;
  }
  const signals = CODE15_LEADS.map((_, l) => {
    const s = new Float32Array(end - start);
    for (let t = start; t < end; t++) s[t - start] = x[t * leads + l]!;
    return s;
  });
  return { signals, leadNames: CODE15_LEADS };
}
