/**
 * mulberry32: the small, fast, seeded 32-bit generator behind shuffles, splits, subsets, bootstrap resamples and the
 * synthetic cohort, so the same seed gives the same result on every machine. Pre-training uses main/ssl/rng.ts,
 * whose whole state a checkpoint can store.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
