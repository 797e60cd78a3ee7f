/**
 * Polyphase FIR resampling, numerically the same design as scipy.signal.resample_poly with its defaults
 * (Kaiser window β = 5, half length 10·max(up, down), cutoff 1/max(up, down), zero padding).
 */

interface PolyFilter {
  up: number;
  down: number;
  /** The padded, up-scaled filter. */
  h: Float64Array;
  nPreRemove: number;
}

const filters = new Map<string, PolyFilter>();

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** scipy.signal.firwin(numtaps, cutoff, window=('kaiser', beta)) for a low-pass, scaled to unit DC gain. */
export function firwinKaiser(numtaps: number, cutoff: number, beta = 5): Float64Array {
  const h = new Float64Array(numtaps);
  const alpha = (numtaps - 1) / 2;
  const i0b = besselI0(beta);
  let sum = 0;
  for (let n = 0; n < numtaps; n++) {
    const m = n - alpha;
    const x = cutoff * m;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = (2 * n) / (numtaps - 1) - 1;
    const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
    h[n] = cutoff * sinc * w;
    sum += h[n]!;
  }
  for (let n = 0; n < numtaps; n++) h[n] = h[n]! / sum;
  return h;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Post-padding in scipy only appends zeros; the direct sum below skips them, so the design is length-free. */
function design(upIn: number, downIn: number): PolyFilter {
  const g = gcd(upIn, downIn);
  const up = upIn / g;
  const down = downIn / g;
  const maxRate = Math.max(up, down);
  const halfLen = 10 * maxRate;
  const base = firwinKaiser(2 * halfLen + 1, 1 / maxRate);
  const nPrePad = down - (halfLen % down);
  const nPreRemove = Math.floor((halfLen + nPrePad) / down);
  const h = new Float64Array(nPrePad + base.length);
  for (let k = 0; k < base.length; k++) h[nPrePad + k] = base[k]! * up;
  return { up, down, h, nPreRemove };
}

/** Resample by up/down like scipy.signal.resample_poly(x, up, down); output length ceil(n·up/down). */
export function resamplePoly(x: ArrayLike<number>, up: number, down: number, out?: Float32Array): Float32Array {
  const nIn = x.length;
  const g = gcd(up, down);
  const u = up / g;
  const d = down / g;
  const nOut = Math.ceil((nIn * u) / d);
  const y = out && out.length >= nOut ? out : new Float32Array(nOut);
  if (u === 1 && d === 1) {
    for (let i = 0; i < nIn; i++) y[i] = x[i]!;
    return y;
  }
  const key = `${u}/${d}`;
  let f = filters.get(key);
  if (!f) {
    f = design(u, d);
    filters.set(key, f);
  }
  const { h, nPreRemove } = f;
  const L = h.length;
  for (let j = 0; j < nOut; j++) {
    const n = (j + nPreRemove) * d;
    // Inputs i with 0 ≤ n − i·u < L.
    let iMax = Math.floor(n / u);
    if (iMax > nIn - 1) iMax = nIn - 1;
    let iMin = Math.ceil((n - L + 1) / u);
    if (iMin < 0) iMin = 0;
    let acc = 0;
    for (let i = iMin, k = n - iMin * u; i <= iMax; i++, k -= u) acc += h[k]! * x[i]!;
    y[j] = acc;
  }
  return y;
}

/** Rational up/down for fsIn → fsOut (non-integer rates are approximated to 1e-6 relative). */
export function rateRatio(fsIn: number, fsOut: number): { up: number; down: number } {
  for (let scale = 1; scale <= 1e6; scale *= 10) {
    const a = fsIn * scale;
    const b = fsOut * scale;
    if (Math.abs(a - Math.round(a)) < 1e-9 * scale && Math.abs(b - Math.round(b)) < 1e-9 * scale) {
      const g = gcd(Math.round(a), Math.round(b));
      return { up: Math.round(b) / g, down: Math.round(a) / g };
    }
  }
  throw new Error(`cannot resample from ${fsIn} Hz to ${fsOut} Hz`);
}

/** Resample a signal from fsIn to fsOut. */
export function resample(x: ArrayLike<number>, fsIn: number, fsOut: number, out?: Float32Array): Float32Array {
  const { up, down } = rateRatio(fsIn, fsOut);
  return resamplePoly(x, up, down, out);
}
