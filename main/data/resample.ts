/**
 * Polyphase FIR resampling, numerically the same design as scipy.signal.resample_poly with its defaults
 * (Kaiser window β = 5, half length 10·max(up, down), cutoff 1/max(up, down), zero padding).
 */

/**
 * The filter for one (up, down), split into its `up` polyphase banks. Output j reads the inputs
 * i = first(j) … first(j) + taps − 1 with bank[phase(j)] in input order, so the inner loop is a plain dot product.
 */
interface PolyFilter {
  up: number;
  down: number;
  /** Per output phase: taps in input order (reversed polyphase components of the up-scaled filter). */
  banks: Float64Array[];
  /** Per output phase: inputs before iMax that the bank reaches back (bank length − 1). */
  reach: number[];
  /** Set for 2:1 (up = 1, down = 2) banks that are symmetric with every other tap at a zero of the sinc (half-band). */
  halfband: { centre: number; centreTap: number; taps: Float64Array } | null;
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
  // Output j at up-sampled position n = (j + nPreRemove)·down sums h[n − i·up]·x[i]; its phase n mod up picks
  // the taps h[phase + m·up], which meet the inputs iMax − m (iMax = floor(n / up)).
  const banks: Float64Array[] = [];
  const reach: number[] = [];
  for (let p = 0; p < up; p++) {
    const m = Math.ceil((h.length - p) / up);
    const bank = new Float64Array(m);
    for (let k = 0; k < m; k++) bank[m - 1 - k] = h[p + k * up]!;
    banks.push(bank);
    reach.push(m - 1);
  }
  return { up, down, banks, reach, halfband: up === 1 && down === 2 ? halfbandOf(banks[0]!) : null, nPreRemove };
}

/**
 * A 2:1 low-pass (cutoff ½) is zero at every even offset from its centre but the centre itself; the window keeps
 * those taps at ~1e-17 (sin(kπ) in floating point) rather than 0. Skipping them and folding the symmetric pairs
 * does a quarter of the multiplies; the result differs from the dense sum by rounding only (≪ 1e-9 relative).
 */
function halfbandOf(bank: Float64Array): PolyFilter['halfband'] {
  // Leading exact zeros come from scipy's pre-padding.
  let lo = 0;
  while (lo < bank.length && bank[lo] === 0) lo++;
  let hi = bank.length - 1;
  while (hi > lo && bank[hi] === 0) hi--;
  const width = hi - lo + 1;
  if (width % 2 === 0 || width < 3) return null;
  const centre = lo + (width - 1) / 2;
  let peak = 0;
  for (let k = lo; k <= hi; k++) peak = Math.max(peak, Math.abs(bank[k]!));
  const negligible = peak * 1e-12;
  const taps: number[] = [];
  for (let k = lo; k < centre; k++) {
    const a = bank[k]!;
    const b = bank[hi - (k - lo)]!;
    if (Math.abs(a - b) > negligible) return null;
    if ((centre - k) % 2 === 0) {
      if (Math.abs(a) > negligible) return null;
    } else taps.push((a + b) / 2);
  }
  // taps[q] pairs the inputs centre ∓ (2q + 1) counted from the outside in; store them centre-out.
  return { centre, centreTap: bank[centre]!, taps: Float64Array.from(taps.reverse()) };
}

/** Resample by up/down like scipy.signal.resample_poly(x, up, down); output length ceil(n·up/down), written into `out` (a view of it is returned) when it is long enough. */
export function resamplePoly(x: ArrayLike<number>, up: number, down: number, out?: Float32Array): Float32Array {
  const nIn = x.length;
  const g = gcd(up, down);
  const u = up / g;
  const d = down / g;
  const nOut = Math.ceil((nIn * u) / d);
  const y = out && out.length >= nOut ? out.subarray(0, nOut) : new Float32Array(nOut);
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
  const { banks, reach, nPreRemove, halfband } = f;
  let j = 0;
  if (halfband) {
    // Interior outputs (whole window inside x) take the folded half-band sum; the edges the bounded sum below.
    const { centre, centreTap, taps } = halfband;
    const r = reach[0]!;
    const nt = taps.length;
    // Inputs read: first + centre ± (2·nt − 1), first = (j + nPreRemove)·d − r.
    const jLo = Math.min(nOut, Math.max(0, Math.ceil((r - centre + 2 * nt - 1) / d) - nPreRemove));
    const jHi = Math.min(nOut, Math.floor((nIn - 1 + r - centre - 2 * nt + 1) / d) - nPreRemove + 1);
    for (; j < jLo; j++) y[j] = edgeSum(x, nIn, banks, reach, u, d, nPreRemove, j);
    // Four outputs per pass, centred on c, c + 2, c + 4, c + 6 (a half-band filter has d = 2). At tap q output m
    // reads x[c + 2m − 2q − 1] and x[c + 2m + 2q + 1], so from one tap to the next the four low and the four high
    // inputs each slide by one place: kept in locals, each tap loads two new inputs instead of eight, which runs
    // this loop (most of an import's resampling) about 30% faster in V8 than loading all eight. Each sum keeps its
    // own order, so the results are the same bits as one output at a time. Eight outputs per pass ran slower.
    for (; j + 3 < jHi; j += 4) {
      const c = (j + nPreRemove) * d - r + centre;
      let a0 = centreTap * x[c]!;
      let a1 = centreTap * x[c + 2]!;
      let a2 = centreTap * x[c + 4]!;
      let a3 = centreTap * x[c + 6]!;
      let l0 = x[c - 1]!;
      let l1 = x[c + 1]!;
      let l2 = x[c + 3]!;
      let l3 = x[c + 5]!;
      let h0 = l1;
      let h1 = l2;
      let h2 = l3;
      let h3 = x[c + 7]!;
      for (let q = 0; ;) {
        const t = taps[q]!;
        a0 += t * (l0 + h0);
        a1 += t * (l1 + h1);
        a2 += t * (l2 + h2);
        a3 += t * (l3 + h3);
        if (++q === nt) break;
        l3 = l2;
        l2 = l1;
        l1 = l0;
        l0 = x[c - 2 * q - 1]!;
        h0 = h1;
        h1 = h2;
        h2 = h3;
        h3 = x[c + 2 * q + 7]!;
      }
      y[j] = a0;
      y[j + 1] = a1;
      y[j + 2] = a2;
      y[j + 3] = a3;
    }
    for (; j < jHi; j++) {
      const c = (j + nPreRemove) * d - r + centre;
      let acc = centreTap * x[c]!;
      for (let q = 0; q < nt; q++) acc += taps[q]! * (x[c - 2 * q - 1]! + x[c + 2 * q + 1]!);
      y[j] = acc;
    }
  }
  for (; j < nOut; j++) y[j] = edgeSum(x, nIn, banks, reach, u, d, nPreRemove, j);
  return y;
}

/** One output by the dense polyphase sum, with inputs outside x read as zero (scipy's zero padding). */
function edgeSum(
  x: ArrayLike<number>, nIn: number, banks: Float64Array[], reach: number[], u: number, d: number, nPreRemove: number, j: number,
): number {
  const n = (j + nPreRemove) * d;
  const phase = n % u;
  const bank = banks[phase]!;
  const first = (n - phase) / u - reach[phase]!;
  const tLo = first < 0 ? -first : 0;
  const tHi = Math.min(bank.length, nIn - first);
  let acc = 0;
  for (let t = tLo; t < tHi; t++) acc += bank[t]! * x[first + t]!;
  return acc;
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
