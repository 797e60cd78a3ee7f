/**
 * Quality of an imported ECG: the range check that turns an impossible value into an error (never a flat line),
 * ADC saturation, the flags' names as the record browser and import summary show them, and the selection that
 * keeps flagged records out of pre-training and evaluation unless asked.
 */
import { type CachedDataset, type QualityFlags } from './types.js';

/**
 * The largest |value| the cache takes, in mV. Surface ECGs are a few mV, electrode offsets reach some hundreds;
 * beyond 1 V a value comes from a wrong gain, baseline or unit, and storing it would flatten the rest of the lead.
 */
export const MAX_MV = 1000;

export class RangeCheckError extends Error {}

/** Throws when a standardised signal holds a value the cache cannot represent faithfully. */
export function checkRange(signal: Float32Array, leads: readonly string[], samples: number): void {
  for (let i = 0; i < signal.length; i++) {
    const v = signal[i]!;
    if (!(Math.abs(v) <= MAX_MV)) {
      const lead = leads[Math.floor(i / samples)] ?? '?';
      throw new RangeCheckError(`lead ${lead} reaches ${Number.isFinite(v) ? `${v.toPrecision(4)} mV` : String(v)}, beyond the ±${MAX_MV} mV that an ECG can hold: check the gain, baseline and units`);
    }
  }
}

/** Samples at or beyond the ADC's limits for an `adcRes`-bit converter centred on `adcZero`, skipping `invalid`. */
export function adcLimitSamples(digital: Int32Array, adcRes: number, adcZero: number, invalid: number): number {
  if (!(adcRes > 1 && adcRes <= 32)) return 0;
  const half = 2 ** (adcRes - 1);
  const lo = adcZero - half + 1;
  const hi = adcZero + half - 1;
  let n = 0;
  for (let i = 0; i < digital.length; i++) {
    const d = digital[i]!;
    if ((d <= lo || d >= hi) && d !== invalid) n++;
  }
  return n;
}

/** Every flag with its default, for records written before it existed. */
export function qualityOf(q: Partial<QualityFlags> | undefined): Required<QualityFlags> {
  return {
    missingLeads: q?.missingLeads ?? [], derivedLeads: q?.derivedLeads ?? [], hadNaN: q?.hadNaN ?? false,
    padded: q?.padded ?? false, clipped: q?.clipped ?? false, clippedSamples: q?.clippedSamples ?? 0,
    flatLeads: q?.flatLeads ?? [], constant: q?.constant ?? false, nanFraction: q?.nanFraction ?? (q?.hadNaN ? Number.NaN : 0),
    croppedFromS: q?.croppedFromS ?? null, paddedS: q?.paddedS ?? 0,
  };
}

/** The flags that can exclude a record, by the names the CLI and UI use. */
export const QUALITY_FLAGS = ['clipped', 'constant', 'flat_lead', 'nan', 'cropped', 'padded', 'derived_leads', 'missing_leads'] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];
/** Excluded unless asked otherwise: saturated and signal-free records teach a model nothing true. */
export const DEFAULT_EXCLUDE: readonly QualityFlag[] = ['clipped', 'constant'];

export function flagsSet(quality: Partial<QualityFlags> | undefined): QualityFlag[] {
  const q = qualityOf(quality);
  const out: QualityFlag[] = [];
  if (q.clipped) out.push('clipped');
  if (q.constant) out.push('constant');
  if (q.flatLeads.length) out.push('flat_lead');
  if (q.hadNaN) out.push('nan');
  if (q.croppedFromS !== null) out.push('cropped');
  if (q.padded) out.push('padded');
  if (q.derivedLeads.length) out.push('derived_leads');
  if (q.missingLeads.length) out.push('missing_leads');
  return out;
}

/** The flags in words, as the record browser shows them. */
export function describeFlags(quality: Partial<QualityFlags> | undefined): string[] {
  const q = qualityOf(quality);
  const f: string[] = [];
  if (q.clipped) f.push(`clipped (${q.clippedSamples} samples at the ADC limits)`);
  if (q.constant) f.push('constant (no signal)');
  else if (q.flatLeads.length) f.push(`flat ${q.flatLeads.join(', ')}`);
  if (q.missingLeads.length) f.push(`missing ${q.missingLeads.join(', ')}`);
  if (q.derivedLeads.length) f.push(`derived ${q.derivedLeads.join(', ')}`);
  if (q.hadNaN) f.push(Number.isFinite(q.nanFraction) ? `NaN ${(100 * q.nanFraction).toFixed(1)}%` : 'had NaN');
  if (q.croppedFromS !== null) f.push(`cropped from ${q.croppedFromS} s`);
  if (q.padded) f.push(q.paddedS ? `padded ${q.paddedS.toFixed(2)} s` : 'padded');
  return f;
}

/** Records of a flag, for the import summary. */
export function countFlags(qualities: Iterable<Partial<QualityFlags> | undefined>): Record<QualityFlag, number> {
  const counts = Object.fromEntries(QUALITY_FLAGS.map((f) => [f, 0])) as Record<QualityFlag, number>;
  for (const q of qualities) for (const f of flagsSet(q)) counts[f]++;
  return counts;
}

export interface QualitySelection {
  indices: number[];
  /** Records left out, by the first excluding flag they carry; `total` counts each record once. */
  excluded: Partial<Record<QualityFlag, number>> & { total: number };
  policy: QualityFlag[];
}

export function parseExcludeFlags(text: string): QualityFlag[] {
  if (text.trim() === '' || text.trim() === 'none') return [];
  return text.split(',').map((s) => s.trim()).map((s) => {
    if (!(QUALITY_FLAGS as readonly string[]).includes(s)) throw new Error(`unknown quality flag "${s}": use ${QUALITY_FLAGS.join(', ')} or none`);
    return s as QualityFlag;
  });
}

const excludedCache = new WeakMap<object, Map<string, { set: Set<number>; excluded: QualitySelection['excluded'] }>>();

/** The records of `ds` carrying a flag of `exclude` (computed once per dataset object and policy). */
export function excludedRecords(ds: Pick<CachedDataset, 'count' | 'meta'>, exclude: readonly QualityFlag[]): { set: Set<number>; excluded: QualitySelection['excluded'] } {
  const key = [...exclude].sort().join(',');
  let byPolicy = excludedCache.get(ds);
  if (!byPolicy) excludedCache.set(ds, (byPolicy = new Map()));
  let hit = byPolicy.get(key);
  if (!hit) {
    const sel = selectByQuality(ds, exclude);
    const kept = new Set(sel.indices);
    const set = new Set<number>();
    for (let i = 0; i < ds.count; i++) if (!kept.has(i)) set.add(i);
    hit = { set, excluded: sel.excluded };
    byPolicy.set(key, hit);
  }
  return hit;
}

/** `indices` (default: all) without the records carrying any flag of `exclude`. */
export function selectByQuality(ds: Pick<CachedDataset, 'count' | 'meta'>, exclude: readonly QualityFlag[] = DEFAULT_EXCLUDE, indices?: readonly number[]): QualitySelection {
  const all = indices ?? Array.from({ length: ds.count }, (_, i) => i);
  const excluded: QualitySelection['excluded'] = { total: 0 };
  if (exclude.length === 0) return { indices: [...all], excluded, policy: [] };
  const kept: number[] = [];
  for (const i of all) {
    const hit = flagsSet(ds.meta(i).quality).find((f) => exclude.includes(f));
    if (hit === undefined) kept.push(i);
    else {
      excluded[hit] = (excluded[hit] ?? 0) + 1;
      excluded.total++;
    }
  }
  return { indices: kept, excluded, policy: [...exclude] };
}
