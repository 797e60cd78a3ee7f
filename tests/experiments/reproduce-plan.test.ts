/** Budget planning arithmetic: costs from rates, what fits in a budget, what is dropped, and budget parsing. */
import { describe, expect, it } from 'vitest';
import { parseBudget } from '../../main/cli/commands/reproduce.js';
import {
  BudgetTooSmall,
  estimatePlan,
  finetuneSeconds,
  minPretrainSteps,
  MODEL_CANDIDATES,
  PLAN_DEFAULTS,
  planReproduce,
  pretrainSeconds,
  probeSeconds,
  scaleRates,
  vitFlops,
  type DataCounts,
  type StepRates,
} from '../../main/experiments/reproduce-plan.js';

const counts: DataCounts = { train: 1117, val: 188, test: 194, prevalence: { MI: 0.2, STTC: 0.2, CD: 0.2, HYP: 0.1 } };
const tiny: StepRates = { cl: 100, gl: 400, hl: 80, finetune: 800, infer: 2000 };
const rates = MODEL_CANDIDATES.map((m) => scaleRates(tiny, MODEL_CANDIDATES[0]!, m));
const base = { seeds: 3, tasks: ['MI', 'STTC', 'CD', 'HYP'], counts, extraBaselines: 0, rates };
const o = PLAN_DEFAULTS.runOverheadSeconds;

describe('reproduce budget arithmetic', () => {
  it('costs one fine-tune as epochs over training and validation plus one test pass and a fixed cost', () => {
    expect(finetuneSeconds(5, 800, counts, tiny)).toBeCloseTo(5 * (800 / 800 + 188 / 2000) + 194 / 2000 + o, 12);
    expect(probeSeconds(counts, tiny)).toBeCloseTo((1117 + 188 + 194) / 2000 + o, 12);
    expect(pretrainSeconds(100, 32, tiny)).toBeCloseTo(3200 / 100 + 3200 / 400 + 3200 / 80 + 3 * PLAN_DEFAULTS.pretrainOverheadSeconds, 12);
  });

  it('adds up a seed: 4 probes, 4 fine-tunes, 4 methods per simulation level, one head per task for case ratios', () => {
    const e = estimatePlan(base, tiny, { steps: 100, epochs: 4, usage: [10, 50], caseRatios: [1] });
    const ft = (n: number) => finetuneSeconds(4, n, counts, tiny);
    expect(e.probes).toBeCloseTo(4 * probeSeconds(counts, tiny), 12);
    expect(e.finetunes).toBeCloseTo(4 * ft(1117), 12);
    expect(e.usage).toBeCloseTo(4 * (ft(111.7) + ft(558.5)), 9);
    const negatives = (p: number) => (1117 * (1 - p)) / 0.99;
    expect(e.caseRatio).toBeCloseTo(4 * (3 * ft(negatives(0.2)) + ft(negatives(0.1))), 9);
    expect(e.perSeed).toBeCloseTo(e.pretrain + e.probes + e.finetunes + e.usage + e.caseRatio, 9);
    expect(e.total).toBeCloseTo(3 * e.perSeed, 9);
    // Another baseline (the 1-D ResNet) costs one more fine-tune per seed.
    expect(estimatePlan({ ...base, extraBaselines: 1 }, tiny, { steps: 100, epochs: 4, usage: [], caseRatios: [] }).finetunes).toBeCloseTo(5 * ft(1117), 9);
  });

  it('fills the budget without passing its margin, and a larger budget buys a larger model or more training', () => {
    const small = planReproduce({ ...base, budgetSeconds: 20 * 60 });
    const large = planReproduce({ ...base, budgetSeconds: 2 * 3600 });
    for (const p of [small, large]) {
      expect(p.estimate.total).toBeLessThanOrEqual(p.budgetSeconds * p.margin + 1e-6);
      expect(p.estimate.total).toBeGreaterThan(p.budgetSeconds * p.margin * 0.8);
      expect(p.seeds).toBe(3);
    }
    expect(vitFlops(large.model) * large.pretrainSteps * large.finetuneEpochs).toBeGreaterThan(vitFlops(small.model) * small.pretrainSteps * small.finetuneEpochs);
    expect(large.usage).toEqual([10, 25, 50]);
    expect(large.caseRatios).toEqual([1, 2, 5]);
  });

  it('gives up simulation levels, most informative last, before refusing, and names what it left out', () => {
    const cheap = planReproduce({ ...base, rates: [tiny], budgetSeconds: 8 * 60 });
    expect(cheap.model).toEqual(MODEL_CANDIDATES[0]);
    expect(cheap.estimate.total).toBeLessThanOrEqual(8 * 60 * cheap.margin);
    expect(cheap.dropped.length).toBeGreaterThan(0);
    if (cheap.caseRatios.length) expect(cheap.caseRatios).toEqual([1]);
    for (const d of cheap.dropped) expect(d).toMatch(/^((case ratio|data usage) \d+ %|the \d+-step pre-training floor \(lowered to \d+\))$/);
    expect(() => planReproduce({ ...base, rates: [tiny], budgetSeconds: 60 })).toThrow(BudgetTooSmall);
    expect(() => planReproduce({ ...base, rates: [tiny], budgetSeconds: 60 })).toThrow(/about .* needed/);
  });

  it('never fits less in a larger budget: the pre-training floor is lowered before refusing', () => {
    // Rates measured on this machine at load 30 (P250 L1 D32).
    const busy: StepRates = { cl: 7.9, gl: 33, hl: 7.1, finetune: 219.3, infer: 247.7 };
    const at = (minutes: number) => planReproduce({ ...base, rates: [busy], budgetSeconds: minutes * 60 });
    const fits = [20, 25, 35, 60].map((m) => { try { return at(m); } catch { return null; } });
    const first = fits.findIndex(Boolean);
    expect(first).toBeGreaterThanOrEqual(0);
    for (const p of fits.slice(first)) expect(p).not.toBeNull();
    const p35 = at(35);
    expect(p35.estimate.total).toBeLessThanOrEqual(35 * 60 * p35.margin);
    if (p35.pretrainSteps < minPretrainSteps(35 * 60)) expect(p35.dropped.join('; ')).toMatch(/-step pre-training floor \(lowered to \d+\)/);
  });

  it('counts time already spent, and lowers the pre-training floor only for short budgets', () => {
    const fresh = planReproduce({ ...base, budgetSeconds: 3600 });
    const late = planReproduce({ ...base, budgetSeconds: 3600, spentSeconds: 600 });
    expect(late.estimate.total).toBeLessThanOrEqual((3600 - 600) * late.margin);
    expect(late.estimate.total).toBeLessThan(fresh.estimate.total);
    expect([minPretrainSteps(180), minPretrainSteps(1200), minPretrainSteps(7200)]).toEqual([10, 40, 60]);
  });

  it('parses budgets', () => {
    expect([parseBudget('2h'), parseBudget('90m'), parseBudget('1h30m'), parseBudget('45s'), parseBudget('120')]).toEqual([7200, 5400, 5400, 45, 120]);
    expect(() => parseBudget('soon')).toThrow(/not a duration/);
    expect(() => parseBudget('0m')).toThrow(/longer than 0/);
  });
});

describe("the Studies page's \"Reproduce the paper\" preset", () => {
  it("is one seed's study of a reproduce plan: every SSL method, both protocols, the vocabulary's baselines", async () => {
    const { studyPresets } = await import('../../main/resources.js');
    const { seedStudyConfig } = await import('../../main/experiments/reproduce.js');
    const { STUDY_BASELINES } = await import('../../contract/vocabulary.js');
    const preset = studyPresets().find((p) => p.label === 'Reproduce the paper')!;
    expect(preset).toBeDefined();
    const model = MODEL_CANDIDATES.find((m) => m.patch === preset.config.patches[0] && m.depth === preset.config.depths[0] && m.dim === preset.config.dims[0]);
    expect(model, 'the preset uses one of the plan\'s model sizes').toBeDefined();
    const plan = planReproduce({ ...base, rates: MODEL_CANDIDATES.map((m) => (m === model ? tiny : null)), budgetSeconds: 7200 });
    const c = seedStudyConfig('reproduce', 'ptbxl', { ...plan, pretrainSteps: preset.config.steps, finetuneEpochs: preset.config.finetuneEpochs }, 0);
    expect(preset.config).toMatchObject({ tasks: c.tasks, methods: c.methods, protocols: c.protocols, split: c.split, steps: c.pretrain.steps, batchSize: c.pretrain.batchSize, finetuneEpochs: c.downstream.endToEnd!.epochs, probeEpochs: c.downstream.probe!.epochs });
    for (const b of preset.config.baselines) expect(STUDY_BASELINES as readonly string[]).toContain(b);
    // A preset's `cells` counts SSL cells only, as the paper's 81 does (tests/contract/analysis.test.ts).
    expect(preset.cells).toBe(preset.config.methods.length);
  });
});
