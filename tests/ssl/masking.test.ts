import { describe, expect, it } from 'vitest';
import { ECG_SIZE } from '../../main/data/types.js';
import { DEFAULT_AUGMENT, augmentBatch } from '../../main/ssl/augment.js';
import { maskedCount, positionSelector, sampleMask, selectVisible, unshuffleMatrix } from '../../main/ssl/masking.js';
import { Rng } from '../../main/ssl/rng.js';

describe('patch masking', () => {
  it.each([
    [20, 0.75, 15],
    [41, 0.75, 31],
    [10, 0.5, 5],
    [10, 0, 0],
    [3, 0.9, 2],
  ])('masks exactly round(ratio·n) of %i patches at ratio %f', (n, ratio, expected) => {
    expect(maskedCount(n, ratio)).toBe(expected);
    const plan = sampleMask(new Rng(1), 6, n, ratio);
    for (let b = 0; b < 6; b++) {
      const row = plan.masked.slice(b * n, (b + 1) * n);
      expect(row.reduce((s, v) => s + v, 0)).toBe(expected);
      const keep = Array.from(plan.keep.slice(b * plan.visible, (b + 1) * plan.visible));
      expect(keep).toEqual([...keep].sort((x, y) => x - y));
      for (const t of keep) expect(row[t]).toBe(0);
    }
    expect(plan.visible).toBe(n - expected);
  });

  it('rejects ratios outside [0, 1)', () => {
    expect(() => maskedCount(10, 1)).toThrow(/ratio/);
  });

  it('draws different masks per ECG, and selection/unshuffle matrices agree with the plan', () => {
    const plan = sampleMask(new Rng(2), 2, 8, 0.5);
    expect(Array.from(plan.keep.slice(0, 4))).not.toEqual(Array.from(plan.keep.slice(4, 8)));
    const width = 3;
    const patches = Float32Array.from({ length: 2 * 8 * width }, (_, i) => i);
    const vis = selectVisible(patches, plan, width);
    const sel = positionSelector(plan);
    const un = unshuffleMatrix(plan);
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < 4; k++) {
        const t = plan.keep[b * 4 + k]!;
        expect(vis[(b * 4 + k) * width]).toBe(patches[(b * 8 + t) * width]);
        expect(sel[(b * 4 + k) * 8 + t]).toBe(1);
        expect(un[(b * 8 + t) * 4 + k]).toBe(1);
      }
    }
    expect(sel.reduce((s, v) => s + v, 0)).toBe(8);
    expect(un.reduce((s, v) => s + v, 0)).toBe(8);
  });
});

describe('augmentation and PRNG', () => {
  const signals = Float32Array.from({ length: 2 * ECG_SIZE }, (_, i) => Math.sin(i / 10));

  it('is reproducible from the PRNG state and differs between views', () => {
    const rng = new Rng(5);
    rng.next();
    const state = rng.state();
    const a = augmentBatch(signals, 2, DEFAULT_AUGMENT, rng);
    const b = augmentBatch(signals, 2, DEFAULT_AUGMENT, rng);
    const again = augmentBatch(signals, 2, DEFAULT_AUGMENT, new Rng(state));
    expect(Array.from(again)).toEqual(Array.from(a));
    expect(Array.from(b)).not.toEqual(Array.from(a));
  });

  it('with every strength at 0 leaves the ECG unchanged', () => {
    const off = { shift: 0, cropMin: 0, scale: 0, noise: 0, wander: 0, wanderHz: 0, leadDropout: 0 };
    expect(Array.from(augmentBatch(signals, 2, off, new Rng(1)))).toEqual(Array.from(signals));
  });

  it('lead dropout zeroes whole leads but never all of them', () => {
    const cfg = { ...DEFAULT_AUGMENT, leadDropout: 0.99, noise: 0, wander: 0, shift: 0, scale: 0 };
    const out = augmentBatch(signals, 1, cfg, new Rng(3));
    const live = Array.from({ length: 12 }, (_, l) => out.slice(l * 2500, (l + 1) * 2500).some((v) => v !== 0));
    expect(live.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(live.filter(Boolean).length).toBeLessThan(12);
  });

  it('permutations cover every index once', () => {
    const p = new Rng(9).permutation(50);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
