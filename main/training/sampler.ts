/**
 * The multi-source batch sampler (the paper pre-trains on the union of several datasets, its Table 1). Each epoch
 * draws as many ECGs as the sources hold together, each source's share set by its weight (by default its share of
 * the records: proportional sampling). A source streams through seeded passes over its records, so one drawn below
 * its size is covered across epochs and one drawn above it repeats records. Patient-aware sampling keeps the ECGs
 * of one patient together (pairs), and a stated patient-pair rate is then guaranteed: at least that fraction of
 * batches holds `pairsPerBatch` pairs, first by moving pairs between batches, then by drawing more ECGs of patients
 * who have several (replacing single ECGs of the same source where the batch has them, so the shares stay put).
 * Every plan is a pure function of (seed, epoch), so a resumed run continues with the same batches.
 */
import { mixSeed, packUnits, patientUnits, rng, shuffleInPlace, type BatchPlanner } from '../data/loader.js';

export interface SamplerSource {
  name: string;
  /** Positions of the source's training records (indices into the union the loader reads). */
  positions: readonly number[];
  /** Relative weight > 0; null when no source has one (proportional sampling). */
  weight: number | null;
}

export interface SamplerOptions {
  batchSize: number;
  seed: number;
  patientAware: boolean;
  /** Fraction of batches guaranteed to hold `pairsPerBatch` patient pairs (0: no guarantee). */
  patientPairRate: number;
  pairsPerBatch: number;
}

export interface SourceSampler extends BatchPlanner {
  /** ECGs of each source in one epoch (in source order). */
  quotas: number[];
  /** Each source's share of the ECGs drawn. */
  shares: number[];
  /** Things the run should say once: a source without patients of ≥ 2 ECGs, a rate that cannot be met. */
  notes: string[];
}

/** Largest-remainder apportionment of `total` by `shares` (which sum to 1). */
function apportion(total: number, shares: number[]): number[] {
  const exact = shares.map((s) => s * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]![1]]! += 1;
  return out;
}

function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** What a run says once about a source whose patients each have one ECG. */
export function noPairsNote(name: string, records: number): string {
  return `${name}: no patient has 2 or more ECGs among its ${records} training records; its ECGs add to the sample-level InfoNCE only (a batch without a patient pair has no patient-level term)`;
}

/** True when some patient has 2 or more of the records. */
export function hasPatientPairs(positions: readonly number[], patientOf: (position: number) => string): boolean {
  const seen = new Set<string>();
  for (const p of positions) {
    const k = patientOf(p);
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

/**
 * Pairs of ECGs of one patient in a batch: Σ over its patients of ⌊k/2⌋, k counting distinct records when `records`
 * (the batch's record positions, parallel to `patients`) is given.
 */
export function pairsIn(patients: readonly string[], records?: readonly number[]): number {
  const n = new Map<string, number>();
  const seen = new Set<number>();
  patients.forEach((p, k) => {
    if (records) {
      if (seen.has(records[k]!)) return;
      seen.add(records[k]!);
    }
    n.set(p, (n.get(p) ?? 0) + 1);
  });
  let pairs = 0;
  for (const k of n.values()) pairs += k >> 1;
  return pairs;
}

export function sourceSampler(sources: readonly SamplerSource[], patientOf: (position: number) => string, o: SamplerOptions): SourceSampler {
  const B = Math.floor(o.batchSize);
  if (!(B >= 2)) throw new Error(`batchSize must be ≥ 2 (got ${o.batchSize})`);
  if (sources.length === 0) throw new Error('Pre-training needs at least one dataset');
  for (const s of sources) {
    if (s.positions.length === 0) throw new Error(`Dataset ${s.name} has no training records: nothing to draw from it. Import ECGs into it, or leave it out.`);
    if (s.weight !== null && !(Number.isFinite(s.weight) && s.weight > 0)) throw new Error(`Source weight of ${s.name} must be a number > 0, got ${s.weight}`);
  }
  const weighted = sources.some((s) => s.weight !== null);
  if (weighted && sources.some((s) => s.weight === null)) throw new Error(`Give a weight for every source or for none (missing: ${sources.filter((s) => s.weight === null).map((s) => s.name).join(', ')})`);
  const rate = o.patientAware ? o.patientPairRate : 0;
  if (!(rate >= 0 && rate <= 1)) throw new Error(`The patient-pair rate must be in [0, 1], got ${o.patientPairRate}`);
  const perBatch = Math.floor(o.pairsPerBatch);
  if (!(perBatch >= 1 && 2 * perBatch <= B)) throw new Error(`Pairs per batch must be a whole number from 1 to ${B >> 1} at batch size ${B}, got ${o.pairsPerBatch}`);

  const total = sources.reduce((a, s) => a + s.positions.length, 0);
  const batchesPerEpoch = Math.floor(total / B);
  if (batchesPerEpoch < 1) throw new Error(`The sources hold ${total} training records, fewer than one batch of ${B}: lower the batch size`);
  const w = sources.map((s) => (weighted ? s.weight! : s.positions.length));
  const sumW = w.reduce((a, b) => a + b, 0);
  const shares = w.map((x) => x / sumW);
  const quotas = apportion(batchesPerEpoch * B, shares);

  // Patients with ≥ 2 records, per source: where extra pairs come from.
  const pools = sources.map((s) => {
    const by = new Map<string, number[]>();
    for (const p of s.positions) {
      const k = patientOf(p);
      const list = by.get(k);
      if (list) list.push(p);
      else by.set(k, [p]);
    }
    return [...by.values()].filter((l) => l.length >= 2);
  });
  const notes: string[] = [];
  if (o.patientAware) {
    sources.forEach((s, i) => {
      if (pools[i]!.length === 0) notes.push(noPairsNote(s.name, s.positions.length));
    });
    if (rate > 0 && pools.every((p) => p.length === 0)) notes.push(`The patient-pair rate ${rate} cannot be met: no source has a patient with 2 or more ECGs`);
  } else if (o.patientPairRate > 0) {
    notes.push('The patient-pair rate is ignored: this method does not sample patient pairs (generative learning has no patient-level loss)');
  }

  /** Units (one ECG, or a pair of one patient) of pass `p` over source `s`, in stream order. */
  const passUnits = (s: number, p: number): number[][] => {
    const rand = rng(mixSeed(o.seed ^ hashName(sources[s]!.name), p));
    const pos = [...sources[s]!.positions];
    return o.patientAware ? patientUnits(pos, patientOf, rand) : shuffleInPlace(pos, rand).map((x) => [x]);
  };

  /** The units of ECGs [from, from + count) of source s's stream; a pair cut by either end becomes singles. */
  const drawn = (s: number, from: number, count: number): number[][] => {
    const n = sources[s]!.positions.length;
    const out: number[][] = [];
    const end = from + count;
    for (let p = Math.floor(from / n); p * n < end; p++) {
      let at = p * n;
      for (const unit of passUnits(s, p)) {
        const inside = unit.filter((_, k) => at + k >= from && at + k < end);
        if (inside.length === unit.length) out.push(unit);
        else for (const x of inside) out.push([x]);
        at += unit.length;
        if (at >= end) break;
      }
    }
    return out;
  };

  const sourceOfPosition = new Map<number, number>();
  sources.forEach((s, i) => {
    for (const p of s.positions) sourceOfPosition.set(p, i);
  });

  const plan = (epoch: number): number[][] => {
    const rand = rng(mixSeed(o.seed ^ 0x50f7ce, epoch));
    const units: number[][] = [];
    sources.forEach((_, s) => units.push(...drawn(s, epoch * quotas[s]!, quotas[s]!)));
    const batches = packUnits(shuffleInPlace(units, rand), B).filter((b) => b.length === B);
    // A source drawn above its size repeats records within an epoch: never twice in one batch (an ECG must not be
    // its own negative, nor count as a patient pair with itself).
    spreadRepeats(batches, rand);
    if (rate > 0) guaranteePairs(batches, rand);
    return batches;
  };

  /** Swap a record met twice in a batch with a single ECG of another batch that holds neither. */
  const spreadRepeats = (batches: number[][], rand: () => number): void => {
    const sets = batches.map((b) => new Set(b));
    for (let b = 0; b < batches.length; b++) {
      if (sets[b]!.size === B) continue;
      const seen = new Set<number>();
      const batch = batches[b]!;
      for (let k = 0; k < batch.length; k++) {
        const x = batch[k]!;
        if (!seen.has(x)) {
          seen.add(x);
          continue;
        }
        const start = Math.floor(rand() * batches.length);
        for (let t = 0; t < batches.length; t++) {
          const c = (start + t) % batches.length;
          if (c === b || sets[c]!.has(x)) continue;
          const other = batches[c]!;
          const m = singlesOf(other).find((slot) => !sets[b]!.has(other[slot]!));
          if (m === undefined) continue;
          const y = other[m]!;
          other[m] = x;
          batch[k] = y;
          sets[c]!.delete(y);
          sets[c]!.add(x);
          sets[b]!.add(y);
          seen.add(y);
          break;
        }
      }
    }
  };

  /** Patients of a batch that appear once (their positions in the batch). */
  const singlesOf = (batch: number[]): number[] => {
    const count = new Map<string, number>();
    for (const x of batch) count.set(patientOf(x), (count.get(patientOf(x)) ?? 0) + 1);
    const out: number[] = [];
    batch.forEach((x, k) => {
      if (count.get(patientOf(x)) === 1) out.push(k);
    });
    return out;
  };

  /** A pair of one patient in the batch that may leave it: positions of two ECGs of a patient with exactly 2. */
  const movablePair = (batch: number[]): [number, number] | null => {
    const at = new Map<string, number[]>();
    batch.forEach((x, k) => {
      const key = patientOf(x);
      const l = at.get(key);
      if (l) l.push(k);
      else at.set(key, [k]);
    });
    for (const l of at.values()) if (l.length === 2) return [l[0]!, l[1]!];
    return null;
  };

  const guaranteePairs = (batches: number[][], rand: () => number): void => {
    const need = Math.min(batches.length, Math.ceil(rate * batches.length - 1e-9));
    const pairs = batches.map((b) => pairsIn(b.map(patientOf), b));
    let ok = pairs.filter((p) => p >= perBatch).length;
    if (ok >= need) return;
    const order = shuffleInPlace(batches.map((_, i) => i), rand);
    const short = order.filter((i) => pairs[i]! < perBatch);
    // 1. Move pairs from batches with more than they need: the epoch's ECGs stay exactly the ones drawn.
    const donors = order.filter((i) => pairs[i]! > perBatch);
    for (const b of short) {
      while (pairs[b]! < perBatch && donors.length) {
        const d = donors[donors.length - 1]!;
        const pair = movablePair(batches[d]!);
        const singles = singlesOf(batches[b]!);
        if (!pair || singles.length < 2) {
          donors.pop();
          if (singles.length < 2) break;
          continue;
        }
        const [u, v] = [singles[0]!, singles[1]!];
        const [x, y] = pair;
        [batches[b]![u], batches[d]![x]] = [batches[d]![x]!, batches[b]![u]!];
        [batches[b]![v], batches[d]![y]] = [batches[d]![y]!, batches[b]![v]!];
        pairs[b] = pairsIn(batches[b]!.map(patientOf), batches[b]!);
        pairs[d] = pairsIn(batches[d]!.map(patientOf), batches[d]!);
        if (pairs[d]! <= perBatch) donors.pop();
      }
      if (pairs[b]! >= perBatch && ++ok >= need) return;
    }
    // 2. Draw more ECGs of patients with several: two singles of a source give way to a pair of that source.
    const withPool = pools.map((p, s) => (p.length ? s : -1)).filter((s) => s >= 0);
    if (withPool.length === 0) return;
    for (const b of short) {
      if (pairs[b]! >= perBatch) continue;
      const batch = batches[b]!;
      while (pairs[b]! < perBatch) {
        const singles = singlesOf(batch);
        if (singles.length < 2) break;
        const bySource = new Map<number, number[]>();
        for (const k of singles) {
          const s = sourceOfPosition.get(batch[k]!)!;
          const l = bySource.get(s);
          if (l) l.push(k);
          else bySource.set(s, [k]);
        }
        const same = withPool.filter((s) => (bySource.get(s)?.length ?? 0) >= 2);
        const s = same.length ? same[Math.floor(rand() * same.length)]! : withPool[Math.floor(rand() * withPool.length)]!;
        const slots = same.length ? bySource.get(s)! : singles;
        // A patient none of whose ECGs is in the batch yet, so the pair is two distinct records (a few tries).
        let patient = pools[s]![Math.floor(rand() * pools[s]!.length)]!;
        for (let tries = 0; tries < 8 && patient.some((x) => batch.includes(x)); tries++) patient = pools[s]![Math.floor(rand() * pools[s]!.length)]!;
        const i = Math.floor(rand() * patient.length);
        const j = (i + 1 + Math.floor(rand() * (patient.length - 1))) % patient.length;
        batch[slots[0]!] = patient[i]!;
        batch[slots[1]!] = patient[j]!;
        pairs[b] = pairsIn(batch.map(patientOf), batch);
      }
      if (pairs[b]! >= perBatch && ++ok >= need) return;
    }
  };

  return { batchesPerEpoch, quotas, shares, notes, plan };
}
