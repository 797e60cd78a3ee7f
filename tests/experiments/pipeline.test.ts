/**
 * The real executor on a tiny synthetic cohort, in-process: HL pre-training, its probe and fine-tune, the SL
 * baseline, the 1-D ResNet baseline (one cell outside the grid), then the study-level analyses (Tables 6–8), all recorded in the store and shown in the report.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { openStore } from '../../main/store/store.js';
import { writeSyntheticDataset } from '../../main/data/synthetic.js';
import { createStudy, runStudy } from '../../main/experiments/study.js';
import { pipelineExecutor } from '../../main/experiments/pipeline.js';
import { writeReport } from '../../main/reports/report.js';
import type { StudyConfig } from '../../main/experiments/grid.js';
import { tempWorkspace } from '../helpers/paths.js';

const ws = tempWorkspace('ecgfm-pipeline-');
process.env.ECGFM_WORKSPACE = ws;
const store = openStore(join(ws, 'ecgfm.sqlite'));
afterAll(() => store.close());

const csv = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(','));

describe('study pipeline with analyses', () => {
  it('records pre-training, downstream runs, simulations and the risk decomposition', async () => {
    const cohort = await writeSyntheticDataset({ name: 'tiny-syn', patients: 48, seed: 3 });
    expect(cohort.count).toBeGreaterThan(48);
    const config: StudyConfig = {
      name: 'mini',
      dataset: 'tiny-syn',
      tasks: ['MI', 'CD'],
      methods: ['HL'],
      patches: [125],
      depths: [1],
      dims: [32],
      protocols: ['linear', 'finetune'],
      baselines: ['SL', 'RESNET'],
      seed: 5,
      split: 'patient:0.2',
      pretrain: { steps: 4, batchSize: 8, checkpointEvery: 2, logEvery: 1, model: { heads: 2 } },
      downstream: { probe: { epochs: 2 }, endToEnd: { epochs: 1, batchSize: 16 } },
      simulations: { usage: [50], caseRatios: [10], repeats: 1 },
      decompose: true,
    };
    const study = createStudy(store, config);
    const summary = await runStudy(store, study.id, pipelineExecutor());
    expect(summary).toEqual({ cells: 3, succeeded: 3, failed: 0, oom: 0, pending: 0 });
    const cnn = store.studyCells(study.id).find((c) => c.method === 'RESNET')!;
    expect(cnn).toMatchObject({ key: 'RESNET', patch: 0, status: 'succeeded' });
    const [cnnRun] = store.listRuns({ studyId: study.id, kind: 'resnet1d' });
    expect(cnnRun).toMatchObject({ status: 'succeeded', engine: 'ort', cellIndex: cnn.index });
    // The CNN keeps its own learning rate; the end-to-end epochs and batch size apply.
    expect(cnnRun!.config).toMatchObject({ settings: { epochs: 1, batchSize: 16, learningRate: 1e-3 } });
    expect(store.evaluations({ runId: cnnRun!.id }).find((e) => e.metric === 'criteria')?.value).toBeGreaterThan(0);

    const [recorded] = store.listDatasets();
    expect(recorded).toMatchObject({ name: 'tiny-syn', kind: 'synthetic', records: cohort.count, patients: 48 });
    expect(recorded!.manifestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(recorded!.labels.MI).toBe(cohort.labelPrevalence.MI!.count);

    const hl = store.getRun('mini-HL-P125-L1-D32')!;
    expect(hl).toMatchObject({ kind: 'pretrain', status: 'succeeded', step: 4 });
    expect(store.metricSeries(hl.id, 'total')).toHaveLength(4);
    expect(store.metricNames(hl.id)).toEqual(expect.arrayContaining(['patient', 'recon', 'sample', 'total']));
    expect(store.artifacts({ runId: hl.id }).map((a) => a.kind).sort()).toEqual(['checkpoint', 'run-file', 'run-file']);
    // Decomposition pre-trains a second encoder on train + test inputs.
    expect(store.getRun('mini-HL-P125-L1-D32-with-test')).toMatchObject({ status: 'succeeded', cellIndex: null });

    const report = await writeReport(store, 'mini');
    const t5 = csv(join(report.dir, 'table5_fine_tuning.csv'));
    expect(t5.map((r) => r[0])).toContain('ResNet1d (supervised CNN) (Baseline)');
    const t6 = csv(join(report.dir, 'table6_data_usage.csv'));
    expect(t6.slice(1).map((r) => r.slice(0, 3).join(' '))).toEqual(['SL 50% 1', 'HL 50% 1']);
    const t7 = csv(join(report.dir, 'table7_case_ratio.csv'));
    expect(t7.slice(1).map((r) => r.slice(0, 3).join(' '))).toEqual(['SL 10% 1', 'HL 10% 1']);
    for (const row of [...t6.slice(1), ...t7.slice(1)])
      for (const v of row.slice(3, 3 + 5)) {
        expect(Number(v)).toBeGreaterThanOrEqual(0);
        expect(v).not.toBe('');
      }
    const t8 = csv(join(report.dir, 'table8_risk_decomposition.csv'));
    expect(t8).toHaveLength(2);
    expect(t8[1]![0]).toBe('HL');
    const values = t8[1]!.slice(1).map(Number);
    expect(values).toHaveLength(4 * 3);
    for (const v of values) expect(Number.isFinite(v)).toBe(true);
    // Approximation error is a test error: within [0, 1].
    expect(values[0]).toBeGreaterThanOrEqual(0);
    expect(values[0]).toBeLessThanOrEqual(1);
  }, 300_000);
});
