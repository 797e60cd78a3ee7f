/**
 * Standardisation of one ECG: millivolts, 250 Hz (polyphase FIR), 10 s, leads in the order
 * I, II, III, aVR, aVL, aVF, V1–V6. Invalid samples become 0 and are flagged.
 */
import { LEADS, N_LEADS, TARGET_FS, TARGET_SAMPLES, type Lead, type QualityFlags } from './types.js';
import { resample } from './resample.js';

export class StandardiseError extends Error {}

const LEAD_KEYS = new Map<string, Lead>(LEADS.map((l) => [l.toLowerCase(), l]));

/** Canonical lead for a channel name ("AVR", "avr", "ECG V1", "MLII" → II), or null. */
export function matchLead(name: string): Lead | null {
  let k = name.trim().toLowerCase().replace(/[\s_-]+/g, '');
  if (k.startsWith('ecg')) k = k.slice(3);
  if (k.startsWith('lead')) k = k.slice(4);
  if (k === 'mlii') k = 'ii';
  if (k === 'mli') k = 'i';
  if (k === 'mliii') k = 'iii';
  return LEAD_KEYS.get(k) ?? null;
}

/** Factor from the given unit to millivolts; unknown units are taken as mV. */
export function toMillivolts(units: string): number {
  const u = units.trim().toLowerCase().replace('μ', 'u').replace('µ', 'u');
  if (u === 'uv') return 1e-3;
  if (u === 'nv') return 1e-6;
  if (u === 'v') return 1e3;
  return 1;
}

// Per-thread scratch for one lead in and out of the resampler: reused so that importing allocates only the result.
let scratchIn: Float32Array = new Float32Array(0);
let resampled: Float32Array = new Float32Array(0);
function scratch(n: number): Float32Array {
  if (scratchIn.length < n) scratchIn = new Float32Array(n);
  return scratchIn;
}

/**
 * x[k] = src[k] · scale, with invalid (non-finite) samples as 0; returns how many were invalid. Every sample is
 * scaled and the invalid ones only counted: zeroing them is a second pass that almost no record needs (a branch
 * per sample ran about twice as slowly in V8). A small function of its own, so that V8 optimises it after a few
 * calls rather than after standardise itself has run hot: that took the first records of an import several times
 * longer.
 */
function scaleInto(src: ArrayLike<number>, scale: number, x: Float32Array): number {
  const n = src.length;
  let invalid = 0;
  for (let k = 0; k < n; k++) {
    const v = src[k]!;
    x[k] = v * scale;
    invalid += Number.isFinite(v) ? 0 : 1;
  }
  if (invalid > 0) for (let k = 0; k < n; k++) if (!Number.isFinite(src[k]!)) x[k] = 0;
  return invalid;
}

export interface Standardised {
  /** 12 × 2500 floats, lead-major, mV. */
  signal: Float32Array;
  quality: QualityFlags;
}

/**
 * `signalsByLead[i]` is the channel named `leadNames[i]` at `fs` Hz in `units[i]` (mV when absent).
 * Channels that are not ECG leads are ignored.
 */
export function standardise(
  signalsByLead: ArrayLike<number>[],
  fs: number,
  leadNames: string[],
  units?: string[],
  out: Float32Array = new Float32Array(N_LEADS * TARGET_SAMPLES),
): Standardised {
  if (!(fs > 0)) throw new StandardiseError(`sampling frequency ${fs} is not positive`);
  if (signalsByLead.length !== leadNames.length) {
    throw new StandardiseError(`wrong shape: ${signalsByLead.length} signals but ${leadNames.length} lead names`);
  }
  const byLead = new Map<Lead, number>();
  leadNames.forEach((name, i) => {
    const lead = matchLead(name);
    if (lead && !byLead.has(lead)) byLead.set(lead, i);
  });
  if (byLead.size === 0) throw new StandardiseError(`no ECG leads among the channels [${leadNames.join(', ')}]`);

  if (signalsByLead.every((x) => x.length === 0)) throw new StandardiseError('empty signal (0 samples)');
  out.fill(0);
  let hadNaN = false;
  let padded = false;
  let anyValid = false;
  let invalidTotal = 0;
  let sampleTotal = 0;
  let longest = 0;
  let shortest = TARGET_SAMPLES;
  const present = new Set<Lead>();
  const flatSource = new Set<Lead>();
  const tmpIn = scratch(signalsByLead.reduce((a, s) => Math.max(a, s.length), 0));
  for (const [lead, i] of byLead) {
    const src = signalsByLead[i]!;
    const scale = toMillivolts(units?.[i] ?? 'mV');
    const n = src.length;
    const x = tmpIn.subarray(0, n);
    const invalid = scaleInto(src, scale, x);
    // Flatness is judged on the source samples: resampling's filter edges would make a constant lead vary.
    if (n > 0 && isFlat(x, 0, n)) flatSource.add(lead);
    invalidTotal += invalid;
    sampleTotal += n;
    if (n > longest) longest = n;
    if (invalid > 0) hadNaN = true;
    if (invalid < n) anyValid = true;
    const y = fs === TARGET_FS ? x : resample(x, fs, TARGET_FS, resampled);
    if (fs !== TARGET_FS && y.buffer !== resampled.buffer) resampled = y;
    const len = Math.min(y.length, TARGET_SAMPLES);
    if (len < TARGET_SAMPLES) padded = true;
    if (len < shortest) shortest = len;
    const row = LEADS.indexOf(lead) * TARGET_SAMPLES;
    out.set(y.subarray(0, len), row);
    present.add(lead);
  }
  if (!anyValid) throw new StandardiseError('all-NaN signal: every sample is invalid');

  // Limb leads follow from I and II (Einthoven / Goldberger).
  const derivedLeads: Lead[] = [];
  if (present.has('I') && present.has('II')) {
    const I = out.subarray(0, TARGET_SAMPLES);
    const II = out.subarray(TARGET_SAMPLES, 2 * TARGET_SAMPLES);
    const derive: [Lead, (a: number, b: number) => number][] = [
      ['III', (a, b) => b - a],
      ['aVR', (a, b) => -(a + b) / 2],
      ['aVL', (a, b) => a - b / 2],
      ['aVF', (a, b) => b - a / 2],
    ];
    for (const [lead, f] of derive) {
      if (present.has(lead)) continue;
      const row = LEADS.indexOf(lead) * TARGET_SAMPLES;
      for (let k = 0; k < TARGET_SAMPLES; k++) out[row + k] = f(I[k]!, II[k]!);
      derivedLeads.push(lead);
    }
  }
  const missingLeads = LEADS.filter((l) => !present.has(l) && !derivedLeads.includes(l));
  // A derived limb lead is flat when both of its sources are.
  const flatLeads = LEADS.filter((l) => flatSource.has(l) || (derivedLeads.includes(l) && flatSource.has('I') && flatSource.has('II')));
  const seconds = longest / fs;
  return {
    signal: out,
    quality: {
      missingLeads, derivedLeads, hadNaN, padded,
      flatLeads,
      constant: flatLeads.length === LEADS.length - missingLeads.length,
      nanFraction: sampleTotal ? invalidTotal / sampleTotal : 0,
      // Half a sample of slack: a 10 s record at 257 Hz resamples to exactly 2500 samples.
      croppedFromS: seconds > TARGET_SAMPLES / TARGET_FS + 0.5 / fs ? Math.round(seconds * 1000) / 1000 : null,
      paddedS: padded ? (TARGET_SAMPLES - shortest) / TARGET_FS : 0,
    },
  };
}

/** No variation at 1 µV (the cache's resolution) over x[from, from + n). */
function isFlat(x: Float32Array, from: number, n: number): boolean {
  let lo = x[from]!;
  let hi = lo;
  for (let i = from + 1; i < from + n; i++) {
    const v = x[i]!;
    if (v < lo) lo = v;
    else if (v > hi) hi = v;
  }
  return hi - lo < 0.001;
}
