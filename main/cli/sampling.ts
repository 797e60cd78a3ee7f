/** A pre-training run's batches in words: ECGs seen per source against the intended shares, and patient pairs. */
import type { SamplingSummary } from '../../contract/training.js';

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function samplingLines(s: SamplingSummary): string[] {
  const total = Object.values(s.seenBySource).reduce((a, b) => a + b, 0);
  const sources = Object.entries(s.seenBySource).map(([name, n]) => `${name} ${n} (${pct(total ? n / total : 0)}, share ${pct(s.shares[name] ?? 0)})`);
  const rate = s.patientPairRate > 0
    ? `; stated rate ${pct(s.patientPairRate)} of batches with ${s.pairsNeeded} pair${s.pairsNeeded > 1 ? 's' : ''}: ${s.batchesWithPairsNeeded} (${pct(s.batches ? s.batchesWithPairsNeeded / s.batches : 0)})`
    : '';
  return [
    `ECGs seen   ${total} in ${s.batches} batches: ${sources.join(', ')}`,
    `pairs       ${s.batchesWithPair} of ${s.batches} batches held a patient pair (${pct(s.pairBatchFraction)}), ${s.pairsPerBatch.toFixed(2)} pairs per batch${rate}`,
    ...s.notes.map((n) => `note        ${n}`),
  ];
}

/** A run record's sampling summary (config.sampling), checked before it is printed. */
export function samplingOf(config: Record<string, unknown>): SamplingSummary | null {
  const s = config.sampling as Partial<SamplingSummary> | undefined;
  if (!s || typeof s !== 'object' || typeof s.seenBySource !== 'object' || typeof s.batches !== 'number') return null;
  return { shares: {}, batchesWithPair: 0, pairBatchFraction: 0, pairsPerBatch: 0, patientPairRate: 0, pairsNeeded: 1, batchesWithPairsNeeded: 0, notes: [], ...s } as SamplingSummary;
}
