/**
 * WFDB signal decoding: bytes of one signal file → digital samples (stream order), after wfdb-python's io/_signal.py.
 * Physical conversion lives in record.ts; this unit only knows storage formats.
 */

export class UnsupportedFormatError extends Error {}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The digital value that marks an invalid sample, per format (WFDB convention). */
export const INVALID_SAMPLE: Record<string, number> = {
  '80': -128, '310': -512, '311': -512, '212': -2048, '16': -32768, '61': -32768, '160': -32768,
  '24': -8388608, '32': -2147483648, '508': -128, '516': -32768, '524': -8388608,
};

/** Samples per block and bytes per block: packed formats are decoded in whole blocks. */
export function blockShape(fmt: string): { samples: number; bytes: number } {
  switch (fmt) {
    case '8': case '80': return { samples: 1, bytes: 1 };
    case '16': case '61': case '160': return { samples: 1, bytes: 2 };
    case '24': return { samples: 1, bytes: 3 };
    case '32': return { samples: 1, bytes: 4 };
    case '212': return { samples: 2, bytes: 3 };
    case '310': case '311': return { samples: 3, bytes: 4 };
    case '508': case '516': case '524':
      throw new UnsupportedFormatError(`unsupported format ${fmt} (FLAC-compressed WFDB signals cannot be decoded by this build)`);
    default:
      throw new UnsupportedFormatError(`unsupported format ${fmt}`);
  }
}

/** Bytes needed to hold `n` samples (a partial last block is stored with only the bytes it needs). */
export function bytesForSamples(fmt: string, n: number): number {
  const { samples, bytes } = blockShape(fmt);
  const full = Math.floor(n / samples);
  const rest = n - full * samples;
  let tail = 0;
  if (rest > 0) {
    if (fmt === '212') tail = 2;
    else if (fmt === '310') tail = rest === 1 ? 2 : 4;
    else if (fmt === '311') tail = rest === 1 ? 2 : 3;
  }
  return full * bytes + tail;
}

/**
 * Most ECG archives (PTB-XL, MIMIC-IV-ECG, the Challenge sets) store format 16: on a little-endian host its samples
 * are the bytes themselves, read through an Int16Array view. Null when the bytes do not allow it.
 */
function int16View(b: Uint8Array, n: number, skip: number): Int16Array | null {
  const start = b.byteOffset + 2 * skip;
  return LITTLE_ENDIAN && start % 2 === 0 && 2 * (n + skip) <= b.byteLength ? new Int16Array(b.buffer, start, n) : null;
}

/** Digital samples in stream order without a copy where the format allows it (format 16, see int16View). */
export function sampleStream(fmt: string, bytes: Uint8Array, n: number, skip = 0): Int16Array | Int32Array {
  return (fmt === '16' && int16View(bytes, n, skip)) || decodeSamples(fmt, bytes, n, skip);
}

/**
 * Decode `n` samples from `bytes`, which starts at a block boundary; the first `skip` samples of the
 * first block are dropped. Format 8 holds first differences and is not handled here (see decodeDifferences).
 * Missing trailing bytes of a partial block read as 0.
 */
export function decodeSamples(fmt: string, bytes: Uint8Array, n: number, skip = 0, out = new Int32Array(n)): Int32Array {
  const b = bytes;
  const at = (i: number): number => (i < b.length ? b[i]! : 0);
  const total = n + skip;
  switch (fmt) {
    case '16': {
      const view = int16View(b, n, skip);
      if (view) {
        out.set(view);
        return out;
      }
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * (i + skip), true);
      return out;
    }
    case '61': {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * (i + skip), false);
      return out;
    }
    case '160': {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * (i + skip), true) - 32768;
      return out;
    }
    case '80':
      for (let i = 0; i < n; i++) out[i] = b[i + skip]! - 128;
      return out;
    case '24':
      for (let i = 0; i < n; i++) {
        const o = 3 * (i + skip);
        out[i] = ((b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) << 8) >> 8;
      }
      return out;
    case '32': {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * (i + skip), true);
      return out;
    }
    case '212':
      for (let k = skip, i = 0; k < total; k++, i++) {
        const o = 3 * (k >> 1);
        const v = k & 1 ? at(o + 2) | ((at(o + 1) & 0xf0) << 4) : at(o) | ((at(o + 1) & 0x0f) << 8);
        out[i] = (v << 20) >> 20;
      }
      return out;
    case '310':
      for (let k = skip, i = 0; k < total; k++, i++) {
        const o = 4 * Math.floor(k / 3);
        const r = k % 3;
        let v: number;
        if (r === 0) v = (at(o) >> 1) | ((at(o + 1) & 7) << 7);
        else if (r === 1) v = (at(o + 2) >> 1) | ((at(o + 3) & 7) << 7);
        else v = (at(o + 1) >> 3) | ((at(o + 3) >> 3) << 5);
        out[i] = (v << 22) >> 22;
      }
      return out;
    case '311':
      for (let k = skip, i = 0; k < total; k++, i++) {
        const o = 4 * Math.floor(k / 3);
        const r = k % 3;
        let v: number;
        if (r === 0) v = at(o) | ((at(o + 1) & 3) << 8);
        else if (r === 1) v = (at(o + 1) >> 2) | ((at(o + 2) & 15) << 6);
        else v = (at(o + 2) >> 4) | ((at(o + 3) & 63) << 4);
        out[i] = (v << 22) >> 22;
      }
      return out;
    default:
      blockShape(fmt);
      throw new UnsupportedFormatError(`unsupported format ${fmt}`);
  }
}

/**
 * Format 8: 8-bit first differences. `frameLayout[k]` is the signal of the k-th sample within a frame and
 * `initValues[s]` its starting value; decodes the whole stream from the start of the file.
 */
export function decodeDifferences(bytes: Uint8Array, n: number, frameLayout: number[], initValues: number[]): Int32Array {
  const out = new Int32Array(n);
  const acc = initValues.slice();
  const frame = frameLayout.length;
  for (let i = 0; i < n; i++) {
    const s = frameLayout[i % frame]!;
    const d = (b8(bytes, i) << 24) >> 24;
    acc[s] = acc[s]! + d;
    out[i] = acc[s]!;
  }
  return out;
}

function b8(bytes: Uint8Array, i: number): number {
  return i < bytes.length ? bytes[i]! : 0;
}
