/** Seeded randomness for splits, subsets and bootstrap resamples: the same seed gives the same result everywhere. */
import { mulberry32 } from '../random.js';

/** A generator for this engine's streams, kept apart from other users of the same seed. */
export function createRng(seed: number): () => number {
  return mulberry32(Math.floor(seed) ^ 0x9e3779b9);
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/** A seed derived from a base seed and a label, so sub-steps do not share streams. */
export function deriveSeed(seed: number, label: string): number {
  let h = (Math.floor(seed) ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
