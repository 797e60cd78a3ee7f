/** Pure helpers of the Clinical evaluation page: rules and filters from the form, read-outs, saliency bands. */
import { describe, expect, it } from 'vitest';
import type { ClinicalTaskView } from '../../contract/api.js';
import { ciText, metricRows, operatingMarks, parseFilter, ruleFromForm, saliencyBands, sexLabel, topDrivers } from '../../renderer/src/lib/clinical.js';
import { layoutSegments } from '../../renderer/src/lib/ecg-layout.js';

const LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];

describe('clinical page helpers', () => {
  it('builds the operating rule the form describes', () => {
    expect(ruleFromForm('package', 0.9)).toBeUndefined();
    expect(ruleFromForm('sensitivity', 0.9)).toEqual({ kind: 'sensitivity', target: 0.9 });
    expect(ruleFromForm('specificity', 0.8)).toEqual({ kind: 'specificity', target: 0.8 });
    expect(ruleFromForm('youden', 0.3)).toEqual({ kind: 'youden' });
    expect(ruleFromForm('fixed', 0.3)).toEqual({ kind: 'fixed', threshold: 0.3 });
  });

  it('parses cohort filters and names a bad part', () => {
    expect(parseFilter('')).toEqual({ where: undefined, error: null });
    expect(parseFilter('strat_fold=9,10; sex = 1')).toEqual({ where: { strat_fold: ['9', '10'], sex: ['1'] }, error: null });
    expect(parseFilter('strat_fold').error).toMatch(/"strat_fold" is not FIELD=VALUE/);
  });

  it('places the operating point on ROC (FPR, TPR) and PR (recall, precision)', () => {
    const t = {
      task: 'MI', n: 10, positives: 4, predictedPositive: 5, threshold: 0.4, thresholdNote: '', auroc: 0.8, auprc: 0.6,
      aurocCi: { low: 0.61, high: 0.95 }, auprcCi: { low: null, high: null }, roc: null, pr: null,
      operating: { threshold: 0.4, rule: '', chosenOn: '', confusion: { tp: 3, fp: 2, tn: 4, fn: 1 }, sensitivity: 0.75, specificity: 4 / 6, ppv: 0.6, npv: 0.8, sensitivityCi: { low: 0.3, high: 0.95 }, specificityCi: { low: null, high: null }, ppvCi: { low: null, high: null }, npvCi: { low: null, high: null }, fpr: 2 / 6, precision: 0.6 },
      calibration: { brier: 0.2, ece: 0.1, bins: [] }, subgroups: [],
    } satisfies ClinicalTaskView;
    expect(operatingMarks(t)).toEqual({ roc: [2 / 6, 0.75], pr: [0.75, 0.6] });
    expect(operatingMarks({ ...t, operating: null })).toEqual({ roc: null, pr: null });
    expect(metricRows([t])[0]).toEqual(['MI', 10, 4, 0.8, '0.610–0.950', 0.6, '—', 0.4, 0.75, 4 / 6, 0.6, 0.8, 0.2, 0.1]);
    expect(ciText({ low: 0.1234, high: 0.5 }, 2)).toBe('0.12–0.50');
  });

  it('lays saliency segments on the printed layout: the right lead, row and time, rhythm strip included', () => {
    const data = LEADS.map(() => new Array<number>(2500).fill(0));
    const { segments } = layoutSegments(LEADS, data, 250);
    const seg = LEADS.map(() => new Array<number>(20).fill(0));
    seg[6]![3] = 2; // V1, 1.5–2.0 s: column 3 (V1 shows 5.0–7.5 s), so not drawn on V1's window.
    seg[6]![11] = -1; // V1, 5.5–6.0 s: inside V1's window, row 0.
    seg[1]![0] = 0.5; // II, 0–0.5 s: row 1 column 0, and the rhythm strip (row 3).
    const bands = saliencyBands(segments, { leads: LEADS, segmentSeconds: 0.5, segments: seg });
    expect(bands).toEqual(
      expect.arrayContaining([
        { row: 0, t0: 5.5, t1: 6, value: -1, strength: 0.5 },
        { row: 1, t0: 0, t1: 0.5, value: 0.5, strength: 0.25 },
        { row: 3, t0: 0, t1: 0.5, value: 0.5, strength: 0.25 },
      ]),
    );
    expect(bands).toHaveLength(3);
    expect(saliencyBands(segments, { leads: LEADS, segmentSeconds: 0.5, segments: LEADS.map(() => [0]) })).toEqual([]);
    expect(topDrivers({ leads: LEADS, segmentSeconds: 0.5, segments: seg }, 2)).toEqual(['V1 1.5–2.0 s', 'II 0.0–0.5 s']);
  });

  it('reads PTB-XL sex codes', () => {
    expect([sexLabel('0'), sexLabel('1'), sexLabel('F'), sexLabel('')]).toEqual(['male', 'female', 'female', '—']);
  });
});
