/** Pure helpers of the analysis pages: list parsing, per-cell values, simulation lines, CSV export. */
import { describe, expect, it } from 'vitest';
import type { CellView, SimulationView } from '../../contract/api.js';
import { cellMark, cellValue, parseInts, simulationLine } from '../../renderer/src/lib/analysis.js';
import { fileStem, toCsv } from '../../renderer/src/lib/export.js';

const cell = (over: Partial<CellView> = {}): CellView => ({
  index: 0, key: 'GL-P125-L2-D64', method: 'GL', patch: 125, depth: 2, dim: 64, status: 'succeeded', error: null, runId: 'r', loss: 0.2,
  scores: { linear: { auroc: { MI: 0.8, CD: 0.6 }, auprc: { MI: 0.4, CD: null }, criteria: null } }, ...over,
});

describe('analysis page helpers', () => {
  it('parses comma lists of positive integers and refuses anything else', () => {
    expect(parseInts('60, 125 250')).toEqual([60, 125, 250]);
    expect(parseInts('60, x')).toBeNull();
    expect(parseInts('')).toBeNull();
    expect(parseInts('0')).toBeNull();
  });

  it('gives a cell its mean metric under a protocol, the loss, or a mark when there is none', () => {
    expect(cellValue(cell(), 'linear', 'auroc')).toBeCloseTo(0.7);
    expect(cellValue(cell(), 'linear', 'auprc')).toBeCloseTo(0.4);
    expect(cellValue(cell(), 'finetune', 'auroc')).toBeNull();
    expect(cellValue(cell(), 'linear', 'loss')).toBe(0.2);
    expect(cellMark(cell({ status: 'oom' }))).toBe('OOM');
    expect(cellMark(cell({ status: 'failed' }))).toBe('failed');
  });

  it('draws a simulation line per metric with its sd', () => {
    const v = { rows: [{ percent: 10, auroc: [{ mean: 0.6, sd: 0.1 }], auprc: [{ mean: 0.2, sd: 0.05 }], criteria: { mean: 0.8, sd: 0.1 }, trainSize: 5 }] } as SimulationView;
    expect(simulationLine(v, 'criteria', 0)).toEqual([{ x: 10, mean: 0.8, sd: 0.1 }]);
    expect(simulationLine(v, 'auprc', 0)).toEqual([{ x: 10, mean: 0.2, sd: 0.05 }]);
  });

  it('writes CSV with quoting and empty cells for missing values', () => {
    expect(toCsv(['a', 'b,c'], [[1, null], ['x "y"', 'line\nbreak'], [NaN, undefined]])).toBe('a,"b,c"\n1,\n"x ""y""","line\nbreak"\n,\n');
    expect(fileStem('Table 6: by data usage (mean ± sd)')).toBe('table-6-by-data-usage-mean-sd');
  });
});
