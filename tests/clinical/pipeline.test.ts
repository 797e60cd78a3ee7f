/**
 * The done-when on ../shared/data/ptbxl: a tiny model fine-tuned on folds 1–8 (fold 9 = validation and
 * calibration) is exported as .ecgfm and run through `ecgfm clinical run` on fold 10; predictions, metrics,
 * calibration and an offline report are written; a killed run resumes; unreadable records are listed; cohorts
 * the model cannot meet are refused.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../main/compute/backend.js';
import { tf } from '../../main/compute/tf.js';
import { exportClinicalModel } from '../../main/clinical/export.js';
import { fineTuneClinical } from '../../main/clinical/finetune.js';
import { ClinicalModel } from '../../main/clinical/model.js';
import { readModelPackage, writeModelPackage } from '../../main/clinical/package.js';
import { integratedGradients } from '../../main/clinical/saliency.js';
import type { ClinicalMetrics } from '../../main/clinical/score.js';
import { importDataset } from '../../main/data/import.js';
import { ingestRecord } from '../../main/data/ingest.js';
import { ptbxlListing } from '../../main/data/adapters/ptbxl.js';
import { openDataset } from '../../main/data/registry.js';
import type { TrainStepProgress } from '../../main/evaluation/train.js';
import { REPO_ROOT, sharedData, tempWorkspace } from '../helpers/paths.js';

const workspace = tempWorkspace('ecgfm-clinical-');
const ptbxl = sharedData('ptbxl');
const modelPath = join(workspace, 'model.ecgfm');
const TASKS = ['MI', 'STTC', 'CD', 'HYP'];

function ecgfm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ECGFM_WORKSPACE: workspace, ECGFM_THREADS: '1' },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function csvRows(path: string): string[][] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(','));
}

const fold10 = ptbxlListing(ptbxl).records.filter((r) => r.fields.strat_fold === 10);
const steps: TrainStepProgress[] = [];

beforeAll(async () => {
  process.env.ECGFM_WORKSPACE = workspace;
  await initBackend();
  await importDataset({ kind: 'ptbxl', path: ptbxl, name: 'ptbxl', workers: 0 });
  await fineTuneClinical({
    encoder: null,
    config: { patch: 125, depth: 1, dim: 32 },
    dataset: openDataset('ptbxl'),
    tasks: TASKS,
    epochs: 2,
    batchSize: 32,
    learningRate: 1e-3,
    seed: 3,
    outDir: join(workspace, 'ft'),
    onStep: (s) => steps.push(s),
  });
  exportClinicalModel(join(workspace, 'ft'), modelPath, { rule: { kind: 'youden' } });
}, 120_000);

describe('.ecgfm package from a fine-tuning run', () => {
  it('carries architecture, preprocessing, thresholds chosen on validation, provenance and metrics', () => {
    const { header, weights } = readModelPackage(modelPath);
    expect(header.architecture).toMatchObject({ patch: 125, depth: 1, dim: 32 });
    expect(header.preprocessing).toMatchObject({ sampleRate: 250, seconds: 10, units: 'mV' });
    expect(header.preprocessing.leads).toHaveLength(12);
    expect(header.tasks.map((t) => t.name)).toEqual(TASKS);
    for (const t of header.tasks) expect(t.thresholdRule).toMatch(/Youden index on the validation split/);
    // Fold 9 is the calibration split: its ids are exactly PTB-XL's fold-9 records.
    const fold9 = ptbxlListing(ptbxl).records.filter((r) => r.fields.strat_fold === 9).map((r) => r.id).sort();
    expect([...header.calibration.ids].sort()).toEqual(fold9);
    expect(header.provenance.seed).toBe(3);
    expect(header.provenance.datasets[0]).toMatch(/ptbxl/);
    expect(header.provenance.backend).toMatch(/\w/);
    expect(header.metrics).toHaveProperty('validation');
    // What the package saw (folds 1–9, records and patients) is recorded for cohort runs to leave out; fold 10 is not.
    const seen = new Set(header.provenance.seen?.records);
    expect(seen.size).toBe(ptbxlListing(ptbxl).records.filter((r) => Number(r.fields.strat_fold) <= 9).length);
    for (const r of fold10) expect(seen.has(r.id)).toBe(false);
    expect(weights.get('task.w')?.shape).toEqual([32, 4]);
  });

  it('reported every training step of every epoch, for the progress bar between epoch lines', () => {
    const train = ptbxlListing(ptbxl).records.filter((r) => Number(r.fields.strat_fold) <= 8).length;
    const perEpoch = Math.ceil(train / 32);
    expect(steps).toHaveLength(2 * perEpoch);
    expect(steps[0]).toEqual({ epoch: 1, epochs: 2, step: 1, steps: perEpoch, samples: 32, trainCount: train });
    expect(steps.at(-1)).toEqual({ epoch: 2, epochs: 2, step: perEpoch, steps: perEpoch, samples: train, trainCount: train });
  });

  it('detects a damaged file and refuses foreign files', () => {
    const bytes = readFileSync(modelPath);
    const bad = join(workspace, 'damaged.ecgfm');
    const copy = Buffer.from(bytes);
    copy[copy.length - 5] = (copy[copy.length - 5] as number) ^ 0xff;
    writeFileSync(bad, copy);
    expect(() => readModelPackage(bad)).toThrow(/damaged.ecgfm: weights do not match their checksum/);
    writeFileSync(bad, 'hello');
    expect(() => readModelPackage(bad)).toThrow(/not an .ecgfm model package/);
  });

  it('imports into another workspace through the CLI', () => {
    const out = ecgfm('clinical', 'import', modelPath, '--name', 'ptbxl-tiny', '--json');
    expect(out.status, out.stderr).toBe(0);
    const res = JSON.parse(out.stdout) as { path: string; tasks: string[] };
    expect(res.path).toBe(join(workspace, 'models', 'ptbxl-tiny.ecgfm'));
    expect(res.tasks).toEqual(TASKS);
  });
});

describe('ecgfm clinical run on PTB-XL fold 10', () => {
  const out = join(workspace, 'fold10');
  const runArgs = ['clinical', 'run', modelPath, ptbxl, '--kind', 'ptbxl', '--where', 'strat_fold=10', '--out', out, '--engine', 'tfjs', '--resamples', '200', '--target-sensitivity', '0.9', '--json'];

  it('resumes after an interruption without scoring a record twice', () => {
    const first = ecgfm(...runArgs, '--stop-after', '20', '--batch-size', '8');
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ complete: false, scored: 20 });
    // A kill mid-append leaves a torn line; the next run must drop it and score that record again.
    appendFileSync(join(out, 'scores.csv'), `${fold10[30]!.id},123,5`);
    const second = ecgfm(...runArgs);
    expect(second.status, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout) as { resumed: number; scored: number; complete: boolean; report: string; metrics: ClinicalMetrics };
    expect(summary.resumed).toBe(20);
    expect(summary.scored).toBe(fold10.length - 20);
    expect(summary.complete).toBe(true);
    const ids = csvRows(join(out, 'scores.csv')).slice(1).map((r) => r[0]);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(fold10.map((r) => r.id).sort());
  }, 120_000);

  it('writes predictions per record × task and labelled metrics at the chosen operating point', () => {
    const preds = csvRows(join(out, 'predictions.csv'));
    expect(preds[0]).toEqual(['id', 'patient_id', 'age', 'sex', 'task', 'score', 'threshold', 'predicted', 'label']);
    expect(preds.length - 1).toBe(fold10.length * TASKS.length);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ClinicalMetrics;
    expect(metrics.summary.scored).toBe(fold10.length);
    expect(metrics.thresholdsChosenOn).toBe('calibration split');
    const header = readModelPackage(modelPath).header;
    for (const [t, task] of metrics.tasks.entries()) {
      const truth = fold10.filter((r) => r.labels[task.task]).length;
      expect(task.positives).toBe(truth);
      expect(task.auroc).toBeGreaterThanOrEqual(0);
      expect(task.aurocCi![0]).toBeLessThanOrEqual(task.auroc!);
      expect(task.aurocCi![1]).toBeGreaterThanOrEqual(task.auroc!);
      const c = task.operatingPoint!.confusion;
      expect(c.tp + c.fn).toBe(truth);
      expect(c.tp + c.fp + c.tn + c.fn).toBe(fold10.length);
      // The threshold meets sensitivity ≥ 0.9 on the calibration split, not on fold 10.
      const cal = header.calibration;
      const pos = cal.scores[t]!.filter((s, i) => cal.labels[t]![i] === 1);
      expect(pos.filter((s) => s >= task.threshold).length / pos.length).toBeGreaterThanOrEqual(0.9);
      expect(task.calibration!.bins.reduce((a, b) => a + b.count, 0)).toBe(fold10.length);
      expect(task.calibration!.brier).toBeGreaterThan(0);
      expect(task.subgroups!.some((s) => s.by === 'sex')).toBe(true);
      expect(task.subgroups!.filter((s) => s.by === 'age').reduce((a, s) => a + s.n, 0)).toBe(fold10.length);
    }
  });

  it('writes a self-contained report that needs no network', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).toContain('Example records with saliency');
    expect(html).toContain('calibration split');
    expect(html).toContain('No cohort record shares a record id or a patient with the package');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|https?:\/\//i);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
  });

  it('chooses thresholds on the evaluated cohort only when asked, and says so', () => {
    const o = ecgfm('clinical', 'run', modelPath, ptbxl, '--kind', 'ptbxl', '--where', 'strat_fold=10', '--out', join(workspace, 'self'), '--youden', '--thresholds-on', 'cohort', '--resamples', '50', '--no-report', '--json', '--engine', 'tfjs');
    expect(o.status, o.stderr).toBe(0);
    const m = (JSON.parse(o.stdout) as { metrics: ClinicalMetrics }).metrics;
    expect(m.thresholdsChosenOn).toMatch(/evaluated cohort itself/);
    for (const t of m.tasks) expect(t.thresholdNote).toMatch(/ON THE EVALUATED COHORT ITSELF/);
  }, 60_000);
});

describe('cohort checks', () => {
  it('lists unreadable records and runs an unlabelled WFDB cohort', () => {
    const dir = join(workspace, 'cohort-wfdb');
    mkdirSync(dir, { recursive: true });
    for (const r of fold10.slice(0, 3)) {
      const base = String(r.fields.filename_hr);
      copyFileSync(join(ptbxl, `${base}.hea`), join(dir, `${r.id}.hea`));
      const dat = readFileSync(join(ptbxl, `${base}.dat`));
      // The third record's samples are cut short: it must be reported, not dropped.
      writeFileSync(join(dir, `${r.id}.dat`), r === fold10[2] ? dat.subarray(0, 1000) : dat);
      const hea = readFileSync(join(dir, `${r.id}.hea`), 'utf8').replaceAll(base.split('/').pop()!, r.id);
      writeFileSync(join(dir, `${r.id}.hea`), hea);
    }
    const o = ecgfm('clinical', 'run', modelPath, dir, '--kind', 'wfdb', '--out', join(workspace, 'wfdb-run'), '--json', '--engine', 'tfjs');
    expect(o.status, o.stderr).toBe(0);
    const res = JSON.parse(o.stdout) as { scored: number; unreadable: number; metrics: ClinicalMetrics };
    expect(res.scored).toBe(2);
    expect(res.unreadable).toBe(1);
    const bad = csvRows(join(workspace, 'wfdb-run', 'unreadable.csv'));
    expect(bad[1]![0]).toBe(fold10[2]!.id);
    expect(res.metrics.summary.labelled).toBe(false);
    expect(res.metrics.tasks[0]!.positives).toBeNull();
  }, 60_000);

  it('refuses a cohort without the leads the model needs', () => {
    const dir = join(workspace, 'cohort-mitdb');
    mkdirSync(dir, { recursive: true });
    for (const f of ['100.hea', '100.dat']) copyFileSync(sharedData('wfdb-python', 'sample-data', f), join(dir, f));
    const o = ecgfm('clinical', 'run', modelPath, dir, '--kind', 'wfdb', '--out', join(workspace, 'mitdb-run'));
    expect(o.status).toBe(1);
    expect(o.stderr).toMatch(/lacks lead\(s\) I, III, aVR, aVL, aVF, V1, V2, V3, V4, V6 .*cannot be run on this cohort/);
  }, 60_000);

  it('refuses a cohort sampled below the rate the model needs', () => {
    const { header, weights } = readModelPackage(modelPath);
    const strict = join(workspace, 'strict.ecgfm');
    const { format: _f, version: _v, weights: _w, weightsSha256: _s, ...rest } = header;
    writeModelPackage(strict, { header: { ...rest, preprocessing: { ...rest.preprocessing, minSourceRate: 250 } }, weights });
    const o = ecgfm('clinical', 'run', strict, ptbxl, '--kind', 'ptbxl', '--out', join(workspace, 'strict-run'));
    expect(o.status).toBe(1);
    expect(o.stderr).toMatch(/sampled at 100 Hz .*needs ECGs sampled at ≥ 250 Hz/);
  }, 60_000);
});

describe('ecgfm clinical onnx', () => {
  it('exports the fine-tuned package to ONNX and verifies it in onnxruntime-node to 1e-4', () => {
    const o = ecgfm('clinical', 'onnx', modelPath, '--out', join(workspace, 'model.onnx'), '--verify', '--json');
    expect(o.status, o.stderr).toBe(0);
    const res = JSON.parse(o.stdout) as { bytes: number; opset: number; maxAbsDiff: number };
    expect(res.opset).toBe(17);
    expect(readFileSync(join(workspace, 'model.onnx')).length).toBe(res.bytes);
    expect(res.maxAbsDiff).toBeLessThan(1e-4);
  }, 60_000);
});

describe('integrated gradients', () => {
  it('attributions on a real ECG add up to the logit change and keep the tensor count flat', async () => {
    const model = ClinicalModel.load(modelPath);
    try {
      const { signal } = ingestRecord(fold10[0]!);
      const before = tf.memory().numTensors;
      const s = await integratedGradients(model, signal, 1, { steps: 32 });
      expect(tf.memory().numTensors).toBe(before);
      expect(s.segments).toHaveLength(12);
      expect(s.segments[0]).toHaveLength(20);
      const delta = s.logit - s.baselineLogit;
      expect(Math.abs(s.total - delta)).toBeLessThan(0.02 * Math.abs(delta) + 1e-4);
      const summed = s.segments.flat().reduce((a, b) => a + b, 0);
      expect(summed).toBeCloseTo(s.total, 6);
    } finally {
      model.dispose();
    }
  }, 60_000);
});
