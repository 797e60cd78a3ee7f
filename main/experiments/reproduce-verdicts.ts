/**
 * Verdicts on the paper's findings from paired bootstrap differences across seeds. Every model of a reproduction
 * is scored on the same test records; one resample draws those records with replacement (the same multiplicities
 * for every model, so the comparison is paired) and the training seeds with replacement (so seed-to-seed spread
 * counts too), and the finding's contrast is averaged over the drawn seeds. The 95 % percentile interval of the
 * contrast decides: above 0 reproduced, below 0 not reproduced, straddling 0 inconclusive. Nothing is judged by hand.
 */
import { createRng } from '../evaluation/random.js';
import { percentile, rank, resampleWeights, weightedMetrics, type Ranking } from '../evaluation/metrics.js';
import { summarise, type Summary } from '../evaluation/simulate.js';
import { armKey, paperContrast, type Arm, type Finding } from './reproduce-findings.js';

/** One model's test predictions at one seed: per task, aligned with `indices`. */
export interface ArmPredictions {
  indices: number[];
  tasks: string[];
  labels: number[][];
  scores: number[][];
}

/** Predictions by arm key, then by seed. */
export type ReproduceResults = Map<string, Map<number, ArmPredictions>>;

export const VERDICTS = ['reproduced', 'not reproduced', 'inconclusive', 'not run'] as const;
export type VerdictName = (typeof VERDICTS)[number];

export interface Verdict {
  finding: Finding;
  /** The contrast on the paper's own figures. */
  paper: number | null;
  /** Ours: the contrast averaged over seeds on the full test part. */
  ours: number | null;
  ci: [number, number] | null;
  seeds: number[];
  /** Resamples that had both classes in every task (and so entered the interval). */
  used: number;
  verdict: VerdictName;
  /** Why a finding was not run or is inconclusive beyond the interval. */
  note?: string;
}

export interface VerdictOptions {
  resamples?: number;
  seed?: number;
  alpha?: number;
}

export function verdictOf(ci: [number, number]): VerdictName {
  if (ci[0] > 0) return 'reproduced';
  if (ci[1] < 0) return 'not reproduced';
  return 'inconclusive';
}

export function addResult(results: ReproduceResults, arm: Arm, seed: number, p: ArmPredictions): void {
  const key = armKey(arm);
  let bySeed = results.get(key);
  if (!bySeed) results.set(key, (bySeed = new Map()));
  bySeed.set(seed, p);
}

interface Series {
  /** Full-sample values. */
  auroc: number;
  auprc: number;
  /** Per resample. */
  aurocs: Float64Array;
  auprcs: Float64Array;
}

/** The shared resample plan and a cache of each (arm, seed, task)'s metric over it. */
class Resampler {
  readonly weights: Float64Array[] = [];
  /** Per resample, uniform draws that pick seeds (as many as the most seeds any finding has). */
  readonly seedDraws: Float64Array[] = [];
  private readonly series = new Map<string, Series>();
  private readonly position: Map<number, number>;

  constructor(
    private readonly results: ReproduceResults,
    readonly reference: number[],
    resamples: number,
    maxSeeds: number,
    seed: number,
  ) {
    const rng = createRng(seed);
    this.position = new Map(reference.map((i, k) => [i, k]));
    for (let b = 0; b < resamples; b++) {
      this.weights.push(resampleWeights(rng, new Float64Array(reference.length)));
      this.seedDraws.push(Float64Array.from({ length: maxSeeds }, () => rng()));
    }
  }

  get(arm: string, seed: number, task: string): Series {
    const key = `${arm}|${seed}|${task}`;
    const hit = this.series.get(key);
    if (hit) return hit;
    const p = this.results.get(arm)!.get(seed)!;
    const t = p.tasks.indexOf(task);
    // Re-order to the reference order, so one weight vector means the same records for every model.
    const labels = new Array<number>(this.reference.length);
    const scores = new Array<number>(this.reference.length);
    p.indices.forEach((idx, k) => {
      const at = this.position.get(idx)!;
      labels[at] = p.labels[t]![k]!;
      scores[at] = p.scores[t]![k]!;
    });
    const r: Ranking = rank(labels, scores);
    const full = weightedMetrics(r, new Float64Array(labels.length).fill(1));
    const aurocs = new Float64Array(this.weights.length);
    const auprcs = new Float64Array(this.weights.length);
    this.weights.forEach((w, b) => {
      const m = weightedMetrics(r, w);
      aurocs[b] = m.auroc;
      auprcs[b] = m.auprc;
    });
    const s = { auroc: full.auroc, auprc: full.auprc, aurocs, auprcs };
    this.series.set(key, s);
    return s;
  }
}

/** Every arm must be scored on the same test records: that is what makes the bootstrap paired. */
function referenceIndices(results: ReproduceResults): number[] {
  let ref: number[] | null = null;
  let refName = '';
  for (const [arm, bySeed] of results)
    for (const [seed, p] of bySeed) {
      if (p.indices.length !== p.labels[0]?.length && p.tasks.length) throw new Error(`${arm} seed ${seed}: ${p.indices.length} records but ${p.labels[0]?.length} labels`);
      const sorted = [...p.indices].sort((a, b) => a - b);
      if (!ref) {
        ref = sorted;
        refName = `${arm} seed ${seed}`;
      } else if (sorted.length !== ref.length || sorted.some((v, k) => v !== ref![k]))
        throw new Error(`${arm} seed ${seed} was scored on other test records than ${refName} (${sorted.length} vs ${ref.length}); a paired comparison needs the same test part`);
    }
  return ref ?? [];
}

export function judgeFindings(results: ReproduceResults, findings: readonly Finding[], opts: VerdictOptions = {}): Verdict[] {
  const resamples = opts.resamples ?? 1000;
  const alpha = opts.alpha ?? 0.05;
  const reference = referenceIndices(results);
  const maxSeeds = Math.max(1, ...[...results.values()].map((m) => m.size));
  const sampler = new Resampler(results, reference, resamples, maxSeeds, opts.seed ?? 0);

  return findings.map((finding): Verdict => {
    const paper = paperContrast(finding);
    const keys = finding.terms.map((t) => armKey(t.arm));
    const missing = keys.filter((k) => !results.get(k)?.size);
    if (missing.length) return { finding, paper, ours: null, ci: null, seeds: [], used: 0, verdict: 'not run', note: `no results for ${[...new Set(missing)].join(', ')}` };
    // Seeds where every model of the contrast has results.
    const seeds = [...results.get(keys[0]!)!.keys()].filter((s) => keys.every((k) => results.get(k)!.has(s))).sort((a, b) => a - b);
    const tasks = finding.metric === 'criteria' ? commonTasks(results, keys, seeds) : [finding.task!];
    if (!seeds.length) return { finding, paper, ours: null, ci: null, seeds, used: 0, verdict: 'not run', note: 'no seed has every model of the comparison' };
    if (!tasks.length || tasks.some((t) => keys.some((k) => seeds.some((s) => !results.get(k)!.get(s)!.tasks.includes(t)))))
      return { finding, paper, ours: null, ci: null, seeds, used: 0, verdict: 'not run', note: `task ${finding.task ?? '(any)'} was not evaluated` };

    const value = (key: string, seed: number, b: number | null): number => {
      let v = 0;
      for (const task of tasks) {
        const s = sampler.get(key, seed, task);
        const au = b === null ? s.auroc : (s.aurocs[b] as number);
        const ap = b === null ? s.auprc : (s.auprcs[b] as number);
        v += finding.metric === 'criteria' ? au + ap : finding.metric === 'auroc' ? au : ap;
      }
      return v;
    };
    const contrast = (seed: number, b: number | null) => finding.terms.reduce((sum, t, k) => sum + t.weight * value(keys[k]!, seed, b), 0);

    const ours = seeds.reduce((s, seed) => s + contrast(seed, null), 0) / seeds.length;
    const draws: number[] = [];
    for (let b = 0; b < resamples; b++) {
      const u = sampler.seedDraws[b]!;
      let sum = 0;
      for (let k = 0; k < seeds.length; k++) sum += contrast(seeds[Math.floor((u[k] as number) * seeds.length)]!, b);
      const v = sum / seeds.length;
      if (Number.isFinite(v)) draws.push(v);
    }
    draws.sort((a, b) => a - b);
    if (draws.length < resamples / 2 || !Number.isFinite(ours))
      return { finding, paper, ours: Number.isFinite(ours) ? ours : null, ci: null, seeds, used: draws.length, verdict: 'inconclusive', note: `only ${draws.length} of ${resamples} resamples had both classes in every task` };
    const ci: [number, number] = [percentile(draws, alpha / 2), percentile(draws, 1 - alpha / 2)];
    return { finding, paper, ours, ci, seeds, used: draws.length, verdict: verdictOf(ci) };
  });
}

function commonTasks(results: ReproduceResults, keys: string[], seeds: number[]): string[] {
  const first = results.get(keys[0]!)!.get(seeds[0]!);
  if (!first) return [];
  return first.tasks.filter((t) => keys.every((k) => seeds.every((s) => results.get(k)!.get(s)!.tasks.includes(t))));
}

/** One arm's full-sample metrics over seeds, mean ± sd: the "ours" column beside the paper's. */
export interface ArmSummary {
  arm: Arm;
  seeds: number;
  auroc: Record<string, Summary>;
  auprc: Record<string, Summary>;
  criteria: Summary;
}

export function summariseArm(results: ReproduceResults, arm: Arm): ArmSummary | null {
  const bySeed = results.get(armKey(arm));
  if (!bySeed?.size) return null;
  const runs = [...bySeed.values()];
  const tasks = runs[0]!.tasks;
  const perSeed = runs.map((p) =>
    tasks.map((task) => {
      const t = p.tasks.indexOf(task);
      return weightedMetrics(rank(p.labels[t]!, p.scores[t]!), new Float64Array(p.indices.length).fill(1));
    }),
  );
  const auroc: Record<string, Summary> = {};
  const auprc: Record<string, Summary> = {};
  tasks.forEach((task, t) => {
    auroc[task] = summarise(perSeed.map((s) => s[t]!.auroc));
    auprc[task] = summarise(perSeed.map((s) => s[t]!.auprc));
  });
  const criteria = summarise(perSeed.map((s) => s.reduce((sum, m) => sum + m.auroc + m.auprc, 0)));
  return { arm, seeds: runs.length, auroc, auprc, criteria };
}
