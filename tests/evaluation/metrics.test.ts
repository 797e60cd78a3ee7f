import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  auroc,
  averagePrecision,
  bestF1Threshold,
  bootstrapCi,
  criteriaScore,
  f1At,
  percentile,
  prCurve,
  rocCurve,
  taskMetrics,
} from '../../main/evaluation/metrics.js';
import { createRng } from '../../main/evaluation/random.js';
import { REPO_ROOT } from '../helpers/paths.js';

interface Case {
  labels: number[];
  scores: number[];
  auroc: number;
  ap: number;
  f1_at_0: number;
  fpr: number[];
  tpr: number[];
}

const FIXTURE_DIR = join(REPO_ROOT, 'tests', 'evaluation', 'fixtures');
const SCRIPT = join(FIXTURE_DIR, 'sklearn-metrics.py');

/** Random cases with heavy ties, made here so the live check does not just replay the fixture. */
function liveCases(): Array<{ labels: number[]; scores: number[] }> {
  const rng = createRng(99);
  const cases = [];
  for (let k = 0; k < 30; k++) {
    const n = 5 + Math.floor(rng() * 300);
    const prevalence = 0.05 + rng() * 0.5;
    const labels = Array.from({ length: n }, () => (rng() < prevalence ? 1 : 0));
    labels[0] = 1;
    labels[n - 1] = 0;
    const scale = [1, 10, 100][k % 3] as number;
    const scores = labels.map((y) => Math.round((rng() * 2 - 1 + y * rng()) * scale) / scale);
    cases.push({ labels, scores });
  }
  return cases;
}

/** scikit-learn's answers: live through Debian's python3-sklearn when importable, else the committed fixture. */
function referenceCases(): { source: string; cases: Case[] } {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import sklearn'], { encoding: 'utf8' });
  if (probe.status === 0) {
    const run = spawnSync(python, [SCRIPT, '--stdin'], { input: JSON.stringify(liveCases()), encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`sklearn reference script failed: ${run.stderr}`);
    const out = JSON.parse(run.stdout) as { sklearn: string; cases: Case[] };
    return { source: `live sklearn ${out.sklearn}`, cases: out.cases };
  }
  const fixture = JSON.parse(readFileSync(join(FIXTURE_DIR, 'sklearn-metrics.json'), 'utf8')) as {
    sklearn: string;
    cases: Case[];
  };
  return { source: `fixture from sklearn ${fixture.sklearn}`, cases: fixture.cases };
}

function fixtureCases(): Case[] {
  return (JSON.parse(readFileSync(join(FIXTURE_DIR, 'sklearn-metrics.json'), 'utf8')) as { cases: Case[] }).cases;
}

describe('metrics match scikit-learn', () => {
  for (const [name, get] of [
    ['reference (live or fixture)', () => referenceCases().cases],
    ['committed fixture', fixtureCases],
  ] as const) {
    it(`AUROC, AP, F1 and ROC points agree to 1e-9 — ${name}`, () => {
      const cases = get();
      expect(cases.length).toBeGreaterThanOrEqual(30);
      let tied = 0;
      for (const c of cases) {
        if (new Set(c.scores).size < c.scores.length) tied++;
        expect(Math.abs(auroc(c.labels, c.scores) - c.auroc)).toBeLessThan(1e-9);
        expect(Math.abs(averagePrecision(c.labels, c.scores) - c.ap)).toBeLessThan(1e-9);
        expect(Math.abs(f1At(c.labels, c.scores, 0) - c.f1_at_0)).toBeLessThan(1e-12);
        const roc = rocCurve(c.labels, c.scores);
        expect(roc.fpr.length).toBe(c.fpr.length);
        roc.fpr.forEach((v, i) => expect(Math.abs(v - (c.fpr[i] as number))).toBeLessThan(1e-12));
        roc.tpr.forEach((v, i) => expect(Math.abs(v - (c.tpr[i] as number))).toBeLessThan(1e-12));
      }
      expect(tied).toBeGreaterThan(cases.length / 2);
    });
  }
});

describe('metric details', () => {
  it('treats a positive–negative tie as one half', () => {
    expect(auroc([0, 1], [0.3, 0.3])).toBe(0.5);
    expect(auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(auroc([1, 1, 1], [0.1, 0.2, 0.3])).toBeNaN();
    expect(averagePrecision([0, 0], [0.1, 0.2])).toBeNaN();
  });

  it('rejects bad input with a clear message', () => {
    expect(() => auroc([0, 1], [0.1])).toThrow(/differ in length/);
    expect(() => auroc([0, 2], [0.1, 0.2])).toThrow(/labels\[1\] is 2/);
    expect(() => auroc([0, 1], [0.1, NaN])).toThrow(/scores\[1\] is NaN/);
  });

  it('chooses the F1-maximising threshold among the scores', () => {
    const labels = [0, 0, 1, 0, 1, 1];
    const scores = [0.1, 0.2, 0.3, 0.4, 0.8, 0.9];
    const best = bestF1Threshold(labels, scores);
    expect(best.threshold).toBe(0.3);
    expect(best.f1).toBeCloseTo(6 / 7, 12);
    expect(f1At(labels, scores, best.threshold)).toBeCloseTo(best.f1, 12);
    for (const t of scores) expect(f1At(labels, scores, t)).toBeLessThanOrEqual(best.f1 + 1e-12);
  });

  it('PR curve ends at recall 1 and its step sum is AP', () => {
    const rng = createRng(5);
    const labels = Array.from({ length: 200 }, () => (rng() < 0.3 ? 1 : 0));
    const scores = labels.map((y) => Math.round((rng() + y * 0.5) * 20) / 20);
    const pr = prCurve(labels, scores);
    expect(pr.recall[pr.recall.length - 1]).toBe(1);
    let ap = 0;
    let prev = 0;
    pr.recall.forEach((r, i) => {
      ap += (r - prev) * (pr.precision[i] as number);
      prev = r;
    });
    expect(ap).toBeCloseTo(averagePrecision(labels, scores), 12);
  });

  it('numpy-style linear percentile', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 0.025)).toBeCloseTo(1.1, 12);
  });
});

describe('bootstrap CIs', () => {
  const rng = createRng(11);
  const labels = Array.from({ length: 150 }, () => (rng() < 0.25 ? 1 : 0));
  const scores = labels.map((y) => Math.round((rng() + 0.4 * y) * 10) / 10);

  it('equals a naive resample-and-recompute loop with the same seed', () => {
    const fast = bootstrapCi(labels, scores, { resamples: 200, seed: 3 });
    const r = createRng(3);
    const a: number[] = [];
    const p: number[] = [];
    for (let b = 0; b < 200; b++) {
      const idx = Array.from({ length: labels.length }, () => Math.floor(r() * labels.length));
      const yl = idx.map((i) => labels[i] as number);
      const sc = idx.map((i) => scores[i] as number);
      const v = auroc(yl, sc);
      if (Number.isNaN(v)) continue;
      a.push(v);
      p.push(averagePrecision(yl, sc));
    }
    a.sort((x, y) => x - y);
    p.sort((x, y) => x - y);
    expect(fast.used).toBe(a.length);
    expect(fast.auroc[0]).toBeCloseTo(percentile(a, 0.025), 12);
    expect(fast.auroc[1]).toBeCloseTo(percentile(a, 0.975), 12);
    expect(fast.auprc[0]).toBeCloseTo(percentile(p, 0.025), 12);
    expect(fast.auprc[1]).toBeCloseTo(percentile(p, 0.975), 12);
  });

  it('is seeded, brackets the estimate, and skips one-class resamples', () => {
    const a = bootstrapCi(labels, scores, { seed: 1 });
    const b = bootstrapCi(labels, scores, { seed: 1 });
    const c = bootstrapCi(labels, scores, { seed: 2 });
    expect(a).toEqual(b);
    expect(a.auroc).not.toEqual(c.auroc);
    expect(a.resamples).toBe(1000);
    const point = auroc(labels, scores);
    expect(a.auroc[0]).toBeLessThan(point);
    expect(a.auroc[1]).toBeGreaterThan(point);
    // One positive in 20: about (19/20)^20 ≈ 36 % of resamples have no positive and are skipped.
    const rare = bootstrapCi([1, ...Array<number>(19).fill(0)], Array.from({ length: 20 }, (_, i) => i / 20), { seed: 4 });
    expect(rare.used).toBeLessThan(800);
    expect(rare.used).toBeGreaterThan(500);
  });
});

describe('task metrics and criteria', () => {
  it('uses the validation threshold for test F1 and sums the criteria', () => {
    const val = { labels: [0, 0, 1, 1], scores: [0.1, 0.2, 0.6, 0.7] };
    const m = taskMetrics('MI', [0, 1, 0, 1, 1], [0.2, 0.55, 0.65, 0.9, 0.3], { validation: val, seed: 0 });
    expect(m.threshold).toBe(0.6);
    expect(m.thresholdSource).toBe('validation');
    expect(m.f1).toBeCloseTo(f1At([0, 1, 0, 1, 1], [0.2, 0.55, 0.65, 0.9, 0.3], 0.6), 12);
    expect(criteriaScore([m, m])).toBeCloseTo(2 * (m.auroc + m.auprc), 12);
    expect(m.roc.fpr[0]).toBe(0);
  });
});
