/**
 * Verdicts from paired bootstrap differences on constructed results: a model that ranks clearly better is
 * "reproduced", clearly worse "not reproduced", a copy with noise "inconclusive"; missing arms are "not run".
 */
import { describe, expect, it } from 'vitest';
import { auroc } from '../../main/evaluation/metrics.js';
import { createRng } from '../../main/evaluation/random.js';
import type { Finding } from '../../main/experiments/reproduce-findings.js';
import { addResult, judgeFindings, summariseArm, verdictOf, type ReproduceResults } from '../../main/experiments/reproduce-verdicts.js';

const N = 200;
const rng = createRng(11);
const indices = Array.from({ length: N }, (_, i) => 1000 + i);
const labels = indices.map(() => (rng() < 0.3 ? 1 : 0));
/** Scores that separate the classes by `signal` standard deviations, with seed-specific noise. */
function scores(signal: number, seed: number): number[] {
  const r = createRng(seed);
  return labels.map((y) => y * signal + (r() + r() + r() - 1.5));
}

const arm = (method: string) => ({ method, protocol: method === 'SL' ? 'supervised' : 'finetune', condition: '' });
const finding = (a: string, b: string, metric: Finding['metric'] = 'auroc'): Finding => ({
  id: `${a}-vs-${b}`,
  table: 5,
  claim: `${a} beats ${b}`,
  metric,
  task: metric === 'criteria' ? undefined : 'MI',
  terms: [{ arm: arm(a), weight: 1 }, { arm: arm(b), weight: -1 }],
});

function results(): ReproduceResults {
  const r: ReproduceResults = new Map();
  for (const seed of [0, 1, 2]) {
    const add = (method: string, s: number[]) => addResult(r, arm(method), seed, { indices, tasks: ['MI'], labels: [labels], scores: [s] });
    add('HL', scores(1.6, 100 + seed)); // strong
    add('SL', scores(0.5, 200 + seed)); // weak
    // CL: SL's own scores plus a little noise, so the paired difference is about 0.
    const sl = r.get('SL/supervised')!.get(seed)!.scores[0]!;
    const n = createRng(300 + seed);
    add('CL', sl.map((v) => v + 0.02 * (n() - 0.5)));
  }
  return r;
}

describe('reproduce verdicts', () => {
  const res = results();
  const [better, worse, tie, missing] = judgeFindings(res, [finding('HL', 'SL'), finding('SL', 'HL'), finding('CL', 'SL', 'criteria'), finding('GL', 'SL')], { resamples: 400, seed: 3 });

  it('calls a clearly better model reproduced, with our difference equal to the mean over seeds', () => {
    expect(better!.verdict).toBe('reproduced');
    expect(better!.ci![0]).toBeGreaterThan(0);
    const direct = [0, 1, 2].reduce((s, seed) => s + auroc(labels, res.get('HL/finetune')!.get(seed)!.scores[0]!) - auroc(labels, res.get('SL/supervised')!.get(seed)!.scores[0]!), 0) / 3;
    expect(better!.ours).toBeCloseTo(direct, 12);
    expect(better!.seeds).toEqual([0, 1, 2]);
    expect(better!.ci![0]).toBeLessThan(better!.ours!);
    expect(better!.ci![1]).toBeGreaterThan(better!.ours!);
  });

  it('calls the reverse claim not reproduced, with the mirrored interval', () => {
    expect(worse!.verdict).toBe('not reproduced');
    expect(worse!.ci![1]).toBeLessThan(0);
    expect(worse!.ci![0]).toBeCloseTo(-better!.ci![1], 12);
  });

  it('calls a near copy inconclusive: the paired interval straddles 0 and is narrow', () => {
    expect(tie!.verdict).toBe('inconclusive');
    expect(tie!.ci![0]).toBeLessThanOrEqual(0);
    expect(tie!.ci![1]).toBeGreaterThanOrEqual(0);
    // Paired: a near copy differs by little on every resample; unpaired intervals would be ~10× wider.
    expect(tie!.ci![1] - tie!.ci![0]).toBeLessThan(0.02);
  });

  it('says a finding was not run when a model has no results', () => {
    expect(missing!.verdict).toBe('not run');
    expect(missing!.note).toMatch(/GL\/finetune/);
  });

  it('uses only seeds where both models have results, and refuses other test records', () => {
    const r = results();
    r.get('HL/finetune')!.delete(2);
    const [v] = judgeFindings(r, [finding('HL', 'SL')], { resamples: 100 });
    expect(v!.seeds).toEqual([0, 1]);
    addResult(r, arm('GL'), 0, { indices: indices.map((i) => i + 1), tasks: ['MI'], labels: [labels], scores: [scores(1, 9)] });
    expect(() => judgeFindings(r, [finding('HL', 'SL')], { resamples: 10 })).toThrow(/other test records/);
  });

  it('maps intervals to verdicts and summarises arms over seeds', () => {
    expect(verdictOf([0.01, 0.2])).toBe('reproduced');
    expect(verdictOf([-0.2, -0.01])).toBe('not reproduced');
    expect(verdictOf([-0.01, 0.2])).toBe('inconclusive');
    const s = summariseArm(res, arm('HL'))!;
    expect(s.seeds).toBe(3);
    expect(s.auroc.MI!.mean).toBeGreaterThan(0.8);
    expect(s.criteria.mean).toBeCloseTo(s.auroc.MI!.mean + s.auprc.MI!.mean, 12);
  });
});
