/** The clinical part of the contract: schemas say what is wrong, and the service answers with researcher-facing errors. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { METHOD_NAMES, parseInput } from '../../contract/api.js';
import { errorBody } from '../../main/api/errors.js';
import { taskView } from '../../main/api/clinical.js';
import { createService } from '../../main/api/service.js';
import { calibration, operatingPoint } from '../../main/clinical/metrics.js';
import { taskMetrics } from '../../main/evaluation/metrics.js';
import { sharedData, tempWorkspace } from '../helpers/paths.js';

const CLINICAL = ['listClinicalModels', 'inspectClinicalModel', 'importClinicalModel', 'startClinicalFinetune', 'startClinicalRun', 'listClinicalRuns', 'getClinicalRun', 'clinicalRecords', 'clinicalRecord', 'clinicalReport', 'saveClinicalPdf', 'exportClinicalOnnx'];
const issues = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return errorBody(err).issues?.map((i) => i.message) ?? [];
  }
  return [];
};

describe('clinical contract', () => {
  const workspace = tempWorkspace('ecgfm-contract-clinical-');
  const service = createService({ workspace });
  afterAll(() => service.dispose());

  it('lists every clinical method', () => {
    expect(METHOD_NAMES).toEqual(expect.arrayContaining(CLINICAL));
  });

  it('validates operating rules, cohorts and defaults', () => {
    const base = { model: 'm.ecgfm', cohort: { kind: 'ptbxl', path: '/c', where: { strat_fold: ['10'] } } };
    const ok = parseInput('startClinicalRun', { ...base, rule: { kind: 'sensitivity', target: 0.9 } });
    expect(ok).toMatchObject({ thresholdsOn: 'calibration', engine: 'auto', resamples: 500, rule: { kind: 'sensitivity', target: 0.9 } });
    expect(issues(() => parseInput('startClinicalRun', { ...base, rule: { kind: 'sensitivity', target: 1.5 } }))).toEqual(['Target sensitivity cannot exceed 1.']);
    expect(issues(() => parseInput('startClinicalRun', { ...base, rule: { kind: 'fixed', threshold: -0.1 } }))).toEqual(['A threshold on the score lies in [0, 1].']);
    expect(issues(() => parseInput('startClinicalRun', { ...base, cohort: { kind: 'ptbxl', path: '/c', where: { 'bad field': ['1'] } } }))).toEqual(['Filter fields are column names such as strat_fold.']);
    expect(issues(() => parseInput('startClinicalRun', { ...base, cohort: { kind: 'synthetic', path: '/c' } }))).toHaveLength(1);
    expect(issues(() => parseInput('startClinicalFinetune', { dataset: 'ptbxl', tasks: ['MI'], name: 'm' }))).toEqual(['Choose an encoder run, or the architecture of a random-init model.']);
  });

  it('answers missing and damaged packages, unknown runs and PDF in the browser with clear errors', async () => {
    const h = service.handlers;
    expect(await h.listClinicalModels({})).toEqual([]);
    expect(await h.listClinicalRuns({})).toEqual([]);
    await expect(h.inspectClinicalModel({ model: 'nope' })).rejects.toMatchObject({ code: 'not-found', message: expect.stringContaining('No model package "nope"') });
    // A real file that is not a package: the back end's check names the file and the problem.
    const csv = sharedData('ptbxl', 'ptbxl_database.csv');
    await expect(h.importClinicalModel({ path: csv })).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringContaining('not an .ecgfm model package') });
    const truncated = join(workspace, 'broken.ecgfm');
    writeFileSync(truncated, 'ECGFMPKG1\n\u00ff\u00ff');
    await expect(h.inspectClinicalModel({ model: truncated })).rejects.toMatchObject({ message: expect.stringContaining('truncated package header') });
    await expect(h.getClinicalRun({ id: 'no-such-run' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(h.saveClinicalPdf({ id: 'no-such-run' })).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('printToPDF') });
    await expect(h.startClinicalRun(parseInput('startClinicalRun', { model: 'nope', cohort: { kind: 'ptbxl', path: sharedData('ptbxl') } }))).rejects.toMatchObject({ code: 'not-found' });
  });

  it('maps a scored task to the page view: operating point on the curves, thinned curves, finite numbers only', () => {
    const n = 1000;
    const labels = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const scores = labels.map((y, i) => Math.min(1, Math.max(0, 0.3 + 0.3 * y + (((i * 7919) % 1000) / 1000 - 0.5) * 0.6)));
    const m = taskMetrics('MI', labels, scores, { threshold: 0.5, resamples: 50, seed: 0 });
    const op = operatingPoint(labels, scores, 0.5, 'fixed threshold 0.5', 'user');
    const v = taskView({ task: 'MI', n, positives: m.positives, predictedPositive: 0, threshold: 0.5, thresholdNote: '', auroc: m.auroc, auprc: m.auprc, aurocCi: m.aurocCi, auprcCi: m.auprcCi, roc: m.roc, pr: m.pr, operatingPoint: op, calibration: calibration(labels, scores), subgroups: [] });
    expect(v.roc!.fpr.length).toBeLessThanOrEqual(300);
    expect(v.roc!.fpr[0]).toBe(m.roc.fpr[0]);
    expect(v.roc!.fpr.at(-1)).toBe(1);
    const c = op.confusion;
    expect(v.operating!.fpr).toBeCloseTo(c.fp / (c.fp + c.tn), 12);
    expect(v.operating!.sensitivity).toBeCloseTo(c.tp / (c.tp + c.fn), 12);
    expect(v.aurocCi.low).toBeLessThan(v.auroc!);
    expect(v.calibration!.bins).toHaveLength(10);
    expect(JSON.stringify(v)).not.toMatch(/NaN|Infinity/);
  });
});
