/**
 * Fitting the paper's downstream protocol into a time budget. Pure arithmetic over measured step rates (samples/s
 * of each step kind on this machine's fastest CPU engine): it picks the model size, pre-training steps and
 * fine-tune epochs, and which simulation levels fit, and says what it left out. Every number is an estimate from
 * the rates; `ecgfm reproduce` prints it before starting and the time actually taken at the end.
 */
import { z } from 'zod';
import { formatDuration } from '../../contract/progress.js';

/** Samples per second of each step kind, and of forward passes (embeddings, validation and test scoring). */
export interface StepRates {
  cl: number;
  gl: number;
  hl: number;
  finetune: number;
  infer: number;
}

export interface ModelChoice {
  patch: number;
  depth: number;
  dim: number;
  heads: number;
}

/** From small to large; the last is the paper's best HL architecture (Table 5). */
export const MODEL_CANDIDATES: readonly ModelChoice[] = [
  { patch: 250, depth: 1, dim: 32, heads: 2 },
  { patch: 125, depth: 2, dim: 64, heads: 4 },
  { patch: 125, depth: 2, dim: 128, heads: 4 },
  { patch: 125, depth: 4, dim: 256, heads: 4 },
  { patch: 125, depth: 4, dim: 512, heads: 8 },
];

export interface DataCounts {
  train: number;
  val: number;
  test: number;
  /** Positive share of each task in the training part (case-ratio subsets keep every negative). */
  prevalence: Record<string, number>;
}

export interface PlanInput {
  budgetSeconds: number;
  /** Already spent before the plan starts (import, rate measurements). */
  spentSeconds?: number;
  seeds: number;
  tasks: string[];
  counts: DataCounts;
  /** Baselines beyond RAND and SL (each costs about one fine-tune). */
  extraBaselines: number;
  /** Rates per candidate model (index into MODEL_CANDIDATES); missing ones are not considered. */
  rates: (StepRates | null)[];
  /** The simulation levels the protocol asks for. */
  usage?: number[];
  caseRatios?: number[];
}

export interface PlanEstimate {
  pretrain: number;
  probes: number;
  finetunes: number;
  usage: number;
  caseRatio: number;
  perSeed: number;
  total: number;
}

export interface ReproducePlan {
  budgetSeconds: number;
  /** The share of the budget the estimate may fill (the rest absorbs a busy machine). */
  margin: number;
  model: ModelChoice;
  pretrainSteps: number;
  pretrainBatch: number;
  finetuneEpochs: number;
  finetuneBatch: number;
  patience: number;
  probeEpochs: number;
  seeds: number;
  tasks: string[];
  usage: number[];
  caseRatios: number[];
  rates: StepRates;
  estimate: PlanEstimate;
  /** What the budget could not hold, in words. */
  dropped: string[];
}

const positive = z.number().positive();
const count = z.number().int().positive();
/** A plan as the reproduction's run record keeps it: read back through this, never cast. */
export const reproducePlanSchema = z
  .object({
    budgetSeconds: positive,
    margin: positive,
    model: z.object({ patch: count, depth: count, dim: count, heads: count }).strict(),
    pretrainSteps: count,
    pretrainBatch: count,
    finetuneEpochs: count,
    finetuneBatch: count,
    patience: count,
    probeEpochs: count,
    seeds: count,
    tasks: z.array(z.string()).min(1),
    usage: z.array(positive),
    caseRatios: z.array(positive),
    rates: z.object({ cl: positive, gl: positive, hl: positive, finetune: positive, infer: positive }).strict(),
    estimate: z.object({ pretrain: z.number(), probes: z.number(), finetunes: z.number(), usage: z.number(), caseRatio: z.number(), perSeed: z.number(), total: z.number() }).strict(),
    dropped: z.array(z.string()),
  })
  .strict() satisfies z.ZodType<ReproducePlan>;

export const PLAN_DEFAULTS = {
  margin: 0.85,
  pretrainBatch: 32,
  finetuneBatch: 16,
  probeEpochs: 100,
  minFinetuneEpochs: 4,
  maxFinetuneEpochs: 30,
  /** At least this many pre-training steps per method (fewer for budgets under half an hour), else a smaller model. */
  minPretrainSteps: 60,
  /** A budget of this many seconds per floor step: 3 min → 10 steps, 20 min → 40, 30 min and more → 60. */
  secondsPerFloorStep: 30,
  /** Share of the usable time that downstream work may take at most; pre-training gets the rest. */
  downstreamShare: 0.5,
  /** Fixed costs per run (seen on 2 busy cores): engine sessions, loader workers, checkpoints, results. */
  runOverheadSeconds: 5,
  pretrainOverheadSeconds: 20,
  usage: [10, 25, 50],
  caseRatios: [1, 2, 5],
};

/** Seconds of one end-to-end fine-tune (or SL) of `epochs` on `train` records, validating every epoch. */
export function finetuneSeconds(epochs: number, train: number, c: Pick<DataCounts, 'val' | 'test'>, r: StepRates): number {
  return epochs * (train / r.finetune + c.val / r.infer) + c.test / r.infer + PLAN_DEFAULTS.runOverheadSeconds;
}

/** Seconds of one linear probe: embedding every record once (the probe itself costs little). */
export function probeSeconds(c: DataCounts, r: StepRates): number {
  return (c.train + c.val + c.test) / r.infer + PLAN_DEFAULTS.runOverheadSeconds;
}

export function pretrainSeconds(steps: number, batch: number, r: StepRates): number {
  return (['cl', 'gl', 'hl'] as const).reduce((s, m) => s + (steps * batch) / r[m] + PLAN_DEFAULTS.pretrainOverheadSeconds, 0);
}

interface Shape {
  steps: number;
  epochs: number;
  usage: number[];
  caseRatios: number[];
}

/** The estimate of one plan shape; downstream work counts SL plus the three SSL methods in every simulation. */
export function estimatePlan(input: Omit<PlanInput, 'rates' | 'budgetSeconds'>, r: StepRates, s: Shape, batch = PLAN_DEFAULTS.pretrainBatch): PlanEstimate {
  const c = input.counts;
  const ft = (train: number) => finetuneSeconds(s.epochs, train, c, r);
  const pretrain = pretrainSeconds(s.steps, batch, r);
  const probes = 4 * probeSeconds(c, r); // CL, GL, HL and RAND
  const finetunes = (4 + input.extraBaselines) * ft(c.train);
  const usage = 4 * s.usage.reduce((sum, u) => sum + ft((c.train * u) / 100), 0);
  const caseRatio =
    4 *
    s.caseRatios.reduce(
      (sum, ratio) => sum + input.tasks.reduce((t, task) => t + ft((c.train * (1 - (c.prevalence[task] ?? 0))) / (1 - ratio / 100)), 0),
      0,
    );
  const perSeed = pretrain + probes + finetunes + usage + caseRatio;
  return { pretrain, probes, finetunes, usage, caseRatio, perSeed, total: perSeed * input.seeds };
}

/** Simulation levels in the order they are given up when time is short: most informative levels last. */
function reductions(usage: number[], caseRatios: number[]): { usage: number[]; caseRatios: number[]; dropped: string[] }[] {
  const out = [{ usage, caseRatios, dropped: [] as string[] }];
  const keepCase = caseRatios.includes(1) ? [1] : caseRatios.slice(0, 1);
  const keepUsage = usage.includes(10) ? [10] : usage.slice(0, 1);
  const lost = (xs: number[], kept: number[], what: string) => xs.filter((x) => !kept.includes(x)).map((x) => `${what} ${x} %`);
  if (caseRatios.length > keepCase.length) out.push({ usage, caseRatios: keepCase, dropped: lost(caseRatios, keepCase, 'case ratio') });
  if (usage.length > keepUsage.length) out.push({ usage: keepUsage, caseRatios: keepCase, dropped: [...lost(caseRatios, keepCase, 'case ratio'), ...lost(usage, keepUsage, 'data usage')] });
  out.push({ usage: keepUsage, caseRatios: [], dropped: [...caseRatios.map((x) => `case ratio ${x} %`), ...lost(usage, keepUsage, 'data usage')] });
  out.push({ usage: [], caseRatios: [], dropped: [...caseRatios.map((x) => `case ratio ${x} %`), ...usage.map((x) => `data usage ${x} %`)] });
  return out;
}

export class BudgetTooSmall extends Error {}

/** The fewest pre-training steps per method a plan accepts at this budget. */
export function minPretrainSteps(budgetSeconds: number): number {
  const d = PLAN_DEFAULTS;
  return Math.min(d.minPretrainSteps, Math.max(10, Math.round(budgetSeconds / d.secondsPerFloorStep)));
}

/**
 * The largest model, then the most simulation levels, that fit: downstream work at the fewest epochs may take at
 * most `downstreamShare` of the usable time and leave pre-training its minimum steps. Epochs then grow into the
 * downstream share, and pre-training steps take what is left.
 */
export function planReproduce(input: PlanInput): ReproducePlan {
  const d = PLAN_DEFAULTS;
  const usable = (input.budgetSeconds - (input.spentSeconds ?? 0)) * d.margin;
  const base = { ...input };
  // The budget's pre-training floor first; on a slower machine than expected, lower floors before refusing, so a
  // larger budget never fits less than a smaller one.
  const floors = [...new Set([minPretrainSteps(input.budgetSeconds), minPretrainSteps(input.budgetSeconds / 2), 10])];
  for (const minSteps of floors)
  for (const sims of reductions(input.usage ?? d.usage, input.caseRatios ?? d.caseRatios)) {
    for (let m = MODEL_CANDIDATES.length - 1; m >= 0; m--) {
      const r = input.rates[m];
      if (!r) continue;
      const shape = (steps: number, epochs: number): Shape => ({ steps, epochs, ...sims });
      const at = (steps: number, epochs: number) => estimatePlan(base, r, shape(steps, epochs));
      const floor = at(minSteps, d.minFinetuneEpochs);
      const downstreamAt = (e: number) => { const x = at(0, e); return x.total - x.pretrain * input.seeds; };
      if (floor.total > usable || downstreamAt(d.minFinetuneEpochs) > usable * d.downstreamShare) continue;
      let epochs = d.minFinetuneEpochs;
      while (epochs < d.maxFinetuneEpochs && downstreamAt(epochs + 1) <= usable * d.downstreamShare && at(minSteps, epochs + 1).total <= usable) epochs++;
      // Pre-training steps take what is left once everything else (its fixed costs included) is counted.
      const perStep = at(1, epochs).total - at(0, epochs).total;
      const steps = Math.max(minSteps, Math.floor((usable - at(0, epochs).total) / perStep));
      const estimate = at(steps, epochs);
      return {
        budgetSeconds: input.budgetSeconds,
        margin: d.margin,
        model: MODEL_CANDIDATES[m]!,
        pretrainSteps: steps,
        pretrainBatch: d.pretrainBatch,
        finetuneEpochs: epochs,
        finetuneBatch: d.finetuneBatch,
        patience: Math.max(2, Math.ceil(epochs / 3)),
        probeEpochs: d.probeEpochs,
        seeds: input.seeds,
        tasks: input.tasks,
        usage: sims.usage,
        caseRatios: sims.caseRatios,
        rates: r,
        estimate,
        dropped: [
          ...sims.dropped,
          ...(input.rates.slice(m + 1).some(Boolean) ? [`models larger than ${modelName(MODEL_CANDIDATES[m]!)}`] : []),
          ...(minSteps < floors[0]! ? [`the ${floors[0]}-step pre-training floor (lowered to ${minSteps})`] : []),
        ],
      };
    }
  }
  const smallest = input.rates.findIndex(Boolean);
  const r = input.rates[smallest];
  const minSteps = floors[floors.length - 1]!;
  const need = r ? estimatePlan(base, r, { steps: minSteps, epochs: d.minFinetuneEpochs, usage: [], caseRatios: [] }).total / d.margin + (input.spentSeconds ?? 0) : NaN;
  throw new BudgetTooSmall(
    `A budget of ${formatDuration(input.budgetSeconds)} cannot hold ${input.seeds} seeds of the smallest protocol here` +
      (Number.isFinite(need) ? ` (about ${formatDuration(need)} needed: ${minSteps} pre-training steps per method, ${d.minFinetuneEpochs} fine-tune epochs, no simulations)` : '') +
      '; give a larger --budget or fewer --seeds.',
  );
}

export const modelName = (m: ModelChoice): string => `P${m.patch} L${m.depth} D${m.dim} (${m.heads} heads)`;

/** Forward FLOPs per ECG of a ViT shape: patch projection, attention and MLP blocks. For scaling rates only. */
export function vitFlops(m: Pick<ModelChoice, 'patch' | 'depth' | 'dim'>): number {
  const tokens = Math.floor(2500 / m.patch) + 1;
  return tokens * 12 * m.patch * m.dim + m.depth * (tokens * 12 * m.dim * m.dim + 2 * tokens * tokens * m.dim);
}

/** Rates of another shape, scaled by FLOPs from a measured one (an optimistic guess: small models carry overheads). */
export function scaleRates(r: StepRates, from: ModelChoice, to: ModelChoice): StepRates {
  const k = vitFlops(from) / vitFlops(to);
  return { cl: r.cl * k, gl: r.gl * k, hl: r.hl * k, finetune: r.finetune * k, infer: r.infer * k };
}

/** The plan in words, printed before a reproduction starts (and by --plan-only). */
export function describePlan(p: ReproducePlan, extra: { baselines: string[]; dataset: string; counts: DataCounts }): string[] {
  const e = p.estimate;
  const f = (s: number) => formatDuration(s);
  const r = p.rates;
  return [
    `Plan for a budget of ${f(p.budgetSeconds)} on ${extra.dataset} (${extra.counts.train} train / ${extra.counts.val} validation / ${extra.counts.test} test records), tasks ${p.tasks.join(', ')}:`,
    `  engine ort, measured here: pre-training CL ${r.cl.toFixed(1)}, GL ${r.gl.toFixed(1)}, HL ${r.hl.toFixed(1)}, fine-tune ${r.finetune.toFixed(1)}, inference ${r.infer.toFixed(1)} samples/s`,
    `  model ${modelName(p.model)}; pre-training ${p.pretrainSteps} steps × batch ${p.pretrainBatch} per method (CL, GL, HL), ${(p.pretrainSteps * p.pretrainBatch / Math.max(1, extra.counts.train)).toFixed(1)} epochs of the training part`,
    `  downstream: linear probe (≤ ${p.probeEpochs} epochs) and fine-tune (≤ ${p.finetuneEpochs} epochs, batch ${p.finetuneBatch}, patience ${p.patience}) against ${extra.baselines.join(', ')}; ${p.seeds} seeds`,
    `  simulations (fine-tuned SL, CL, GL, HL): data usage ${p.usage.length ? `${[...p.usage, 100].join('/')} %` : 'none'}; case ratio ${p.caseRatios.length ? `${p.caseRatios.join('/')} %` : 'none'}`,
    `  estimate per seed: pre-training ${f(e.pretrain)}, probes ${f(e.probes)}, fine-tunes ${f(e.finetunes)}, data usage ${f(e.usage)}, case ratio ${f(e.caseRatio)} = ${f(e.perSeed)}`,
    `  estimate in all: ${f(e.total)} of the ${f(p.budgetSeconds)} budget (${Math.round(p.margin * 100)} % of it planned, the rest held back for a busy machine)`,
    ...(p.dropped.length ? [`  left out to fit: ${p.dropped.join(', ')}`] : []),
  ];
}
