/** The analysis methods' schemas and the service's pure adapters (config diff, simulation rows, operating point). */
import { describe, expect, it } from 'vitest';
import { evaluateRequestSchema, parseInput, simulationRequestSchema, studyRequestSchema } from '../../contract/api.js';
import { differingKeys, flatten, operatingPoint, simulationViews, decompositionView, STUDY_PRESETS, studyConfigOf, studyConfigView } from '../../main/api/analysis.js';
import { studyCells } from '../../main/experiments/grid.js';
import { isGridFree } from '../../contract/vocabulary.js';
import type { EvaluationRecord, RunRecord } from '../../main/store/types.js';

const run = (over: Partial<RunRecord> = {}): RunRecord => ({
  id: 'sim-1', kind: 'simulate', name: 'sim', config: {}, backend: 'wasm', seed: 0, codeVersion: 'x', status: 'succeeded', dataset: 'ptbxl', parentRunId: null,
  studyId: null, cellIndex: null, dir: null, checkpointPath: null, step: 0, error: null, createdAt: '2026-01-01T00:00:00Z', startedAt: null, finishedAt: null, elapsedMs: 0, engine: 'tfjs', dataUse: null, ...over,
});
let seq = 0;
const ev = (task: string, metric: string, value: number | null, condition: string, protocol = 'linear'): EvaluationRecord => ({
  id: ++seq, runId: 'sim-1', task, protocol, metric, value, ciLow: null, ciHigh: null, split: 'test', condition, createdAt: '',
});

describe('analysis contract', () => {
  it('refuses an evaluation without an encoder run or a baseline architecture, in words', () => {
    expect(() => parseInput('startEvaluation', { protocol: 'linear', dataset: 'ptbxl', tasks: ['MI'] })).toThrow(/Choose an encoder run/);
    expect(() => parseInput('startEvaluation', { protocol: 'linear', dataset: 'ptbxl', tasks: [], runId: 'r1' })).toThrow(/at least one task/);
    expect(evaluateRequestSchema.parse({ protocol: 'supervised', dataset: 'ptbxl', tasks: ['MI'], model: { patch: 125, depth: 2, dim: 64 } }).split).toBe('strat_fold');
    // The CNN baseline needs neither an encoder run nor a ViT architecture.
    expect(evaluateRequestSchema.parse({ protocol: 'resnet1d', dataset: 'ptbxl', tasks: ['MI'] }).protocol).toBe('resnet1d');
    expect(() => simulationRequestSchema.parse({ kind: 'data-usage', percents: [], repeats: 1, dataset: 'd', tasks: ['MI'], runId: 'r' })).toThrow(/at least one percentage/);
    expect(() => parseInput('startEvaluation', { protocol: 'linear', dataset: 'ptbxl', tasks: ['MI'], runId: 'r1', split: 'random' })).toThrow(/strat_fold/);
  });

  it("keeps the paper's 81-cell preset valid and round-trips study configs", () => {
    const paper = STUDY_PRESETS.find((p) => p.cells === 81)!;
    const req = studyRequestSchema.parse({ ...paper.config, name: 'paper', dataset: 'ptbxl' });
    const config = studyConfigOf(req);
    expect(studyCells({ ...config, baselines: [] })).toHaveLength(81);
    expect(studyConfigView(config)).toEqual({ ...req, name: 'paper', dataset: 'ptbxl' });
    // ViT baselines run at every architecture of the grid, the CNN baseline (RESNET) once.
    const baselineCells = (p: (typeof STUDY_PRESETS)[number]) =>
      p.config.baselines.filter((b) => !isGridFree(b)).length * p.config.patches.length * p.config.depths.length * p.config.dims.length + p.config.baselines.filter(isGridFree).length;
    for (const p of STUDY_PRESETS) expect(studyCells(studyConfigOf({ ...p.config, name: 'x', dataset: 'd' })).length - baselineCells(p)).toBe(p.cells);
    expect(studyCells({ ...config, baselines: ['RESNET'] }).filter((c) => c.method === 'RESNET')).toEqual([{ key: 'RESNET', method: 'RESNET', patch: 0, depth: 0, dim: 0 }]);
  });
});

describe('analysis adapters', () => {
  it('flattens configs and names exactly the settings that differ', () => {
    const a = flatten({ method: 'gl', model: { patch: 125, dim: 32 }, augment: ['shift', 'noise'], lr: 1e-3 });
    const b = flatten({ method: 'gl', model: { patch: 250, dim: 32 }, augment: ['shift', 'noise'], extra: null });
    expect(a).toEqual({ method: 'gl', 'model.patch': 125, 'model.dim': 32, augment: 'shift, noise', lr: 1e-3 });
    expect(differingKeys([a, b])).toEqual(['lr', 'model.patch']); // a null and a missing key read the same
    expect(differingKeys([a, a])).toEqual([]);
  });

  it('puts the operating point where the threshold cuts the test scores', () => {
    // Positives at 0.9, 0.6, 0.2; negatives at 0.7, 0.1: threshold 0.5 keeps 2 of 3 positives and 1 of 2 negatives.
    expect(operatingPoint([1, 0, 1, 1, 0], [0.9, 0.7, 0.6, 0.2, 0.1], 0.5)).toEqual({ fpr: 0.5, tpr: 2 / 3, precision: 2 / 3, recall: 2 / 3 });
  });

  it('summarises simulation repeats as mean ± sd per percentage, with criteria per repeat', () => {
    const rows = [
      ev('MI', 'auroc', 0.6, 'usage=10#r0'), ev('MI', 'auprc', 0.2, 'usage=10#r0'),
      ev('MI', 'auroc', 0.8, 'usage=10#r1'), ev('MI', 'auprc', 0.4, 'usage=10#r1'),
      ev('MI', 'auroc', 0.9, 'usage=100#r0'), ev('MI', 'auprc', 0.5, 'usage=100#r0'),
      ev('MI', 'auroc', 0.7, 'case=5#r0'), ev('MI', 'auprc', 0.3, 'case=5#r0'),
    ];
    const views = simulationViews(run({ config: { method: 'GL', tasks: ['MI'] } }), rows, []);
    expect(views.map((v) => v.kind)).toEqual(['data-usage', 'case-ratio']);
    const usage = views[0]!;
    expect(usage.method).toBe('GL');
    expect(usage.rows.map((r) => r.percent)).toEqual([10, 100]);
    expect(usage.rows[0]!.auroc[0]).toEqual({ mean: 0.7, sd: 0.1414 });
    expect(usage.rows[0]!.criteria).toEqual({ mean: 1, sd: 0.2828 });
    expect(usage.rows[1]!.criteria).toEqual({ mean: 1.4, sd: 0 });
    expect(usage.repeats).toBe(2);
  });

  it('reads the four risk components back from snake_case store rows and sums them', () => {
    const rows = ['approximation', 'usability', 'probe_generalization', 'encoder_generalization'].flatMap((m, i) => [ev('MI', m, 0.01 * (i + 1), '', 'decompose'), ev('CD', m, 0.02, '', 'decompose')]);
    const v = decompositionView(run({ kind: 'decompose', config: { method: 'HL', tasks: ['MI', 'CD'] } }), rows, [])!;
    expect(v.components.probeGeneralization).toEqual([0.03, 0.02]);
    expect(v.total).toEqual([0.1, 0.08]);
    expect(decompositionView(run(), [], [])).toBeNull();
  });
});
