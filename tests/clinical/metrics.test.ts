/** Operating points, rates at a threshold, calibration and subgroup keys, against hand-worked answers. */
import { describe, expect, it } from 'vitest';
import { ageBand, calibration, chooseThreshold, operatingPoint, sexGroup, wilson } from '../../main/clinical/metrics.js';

// Ten records, scores descending: positives at ranks 1, 2, 4, 7; negatives elsewhere.
const scores = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
const labels = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0];

describe('chooseThreshold', () => {
  it('takes the highest threshold that reaches a target sensitivity', () => {
    expect(chooseThreshold(labels, scores, { kind: 'sensitivity', target: 0.75 })).toBe(0.7);
    expect(chooseThreshold(labels, scores, { kind: 'sensitivity', target: 0.76 })).toBe(0.4);
    expect(chooseThreshold(labels, scores, { kind: 'sensitivity', target: 0.5 })).toBe(0.9);
  });

  it('takes the lowest threshold that keeps a target specificity', () => {
    // Specificity 5/6 holds down to 0.7 (one negative, 0.8, above); at 0.6 a second negative is called positive.
    expect(chooseThreshold(labels, scores, { kind: 'specificity', target: 5 / 6 })).toBe(0.7);
    expect(chooseThreshold(labels, scores, { kind: 'specificity', target: 0.5 })).toBe(0.4);
    const top = chooseThreshold(labels, scores, { kind: 'specificity', target: 1 });
    expect(top).toBe(0.9);
  });

  it('maximises the Youden index', () => {
    // J at 0.9: 0.5; at 0.7: 0.75 − 1/6 ≈ 0.583; at 0.4: 1 − 3/6 = 0.5.
    expect(chooseThreshold(labels, scores, { kind: 'youden' })).toBe(0.7);
  });

  it('refuses one-class calibration labels and bad targets', () => {
    expect(() => chooseThreshold([0, 0, 0], [0.1, 0.2, 0.3], { kind: 'youden' })).toThrow(/only one class/);
    expect(() => chooseThreshold(labels, scores, { kind: 'sensitivity', target: 1.5 })).toThrow(/must lie in \(0, 1\]/);
  });
});

describe('operatingPoint', () => {
  it('gives the confusion matrix and the four rates with Wilson intervals', () => {
    const op = operatingPoint(labels, scores, 0.7, 'r', 'calibration split');
    expect(op.confusion).toEqual({ tp: 3, fp: 1, tn: 5, fn: 1 });
    expect(op.sensitivity).toBe(0.75);
    expect(op.specificity).toBeCloseTo(5 / 6, 12);
    expect(op.ppv).toBe(0.75);
    expect(op.npv).toBeCloseTo(5 / 6, 12);
    expect(op.sensitivityCi[0]).toBeLessThan(0.75);
    expect(op.sensitivityCi[1]).toBeGreaterThan(0.75);
  });

  it('wilson matches the textbook value', () => {
    const [lo, hi] = wilson(8, 10);
    expect(lo).toBeCloseTo(0.4902, 4);
    expect(hi).toBeCloseTo(0.9433, 4);
  });
});

describe('calibration', () => {
  it('computes Brier, ECE and the reliability bins', () => {
    const c = calibration([1, 0, 1, 1], [0.9, 0.1, 0.8, 0.35], 10);
    expect(c.brier).toBeCloseTo((0.01 + 0.01 + 0.04 + 0.4225) / 4, 12);
    // Bins: 0.1 (neg), 0.35 (pos), 0.8 (pos), 0.9 (pos) each alone.
    expect(c.ece).toBeCloseTo((0.1 + 0.65 + 0.2 + 0.1) / 4, 12);
    expect(c.bins.filter((b) => b.count > 0).map((b) => b.lower)).toEqual([0.1, 0.3, 0.8, 0.9]);
    expect(() => calibration([1], [1.5])).toThrow(/probabilities in \[0, 1\]/);
  });
});

describe('subgroup keys', () => {
  it('bands ages (PTB-XL codes > 89 as 300) and reads sex codes', () => {
    expect([ageBand(39), ageBand('40'), ageBand(79.9), ageBand(300), ageBand(null), ageBand('')]).toEqual(['<40', '40–59', '60–79', '≥80', null, null]);
    expect([sexGroup(0), sexGroup('1'), sexGroup('M'), sexGroup('female'), sexGroup(null), sexGroup('x')]).toEqual(['male', 'female', 'male', 'female', null, null]);
  });
});
