/** The renderer's small rules behind the first-day fixes: number formats, record fields, encoder lists, next steps. */
import { describe, expect, it } from 'vitest';
import { calibrationPulse, CAL_MM, MM_PER_S, rulerTicks, SECONDS } from '../../renderer/src/lib/ecg-layout.js';
import { nextStep } from '../../renderer/src/lib/first-run.js';
import { formatNumber, meanSd } from '../../renderer/src/lib/format.js';
import { sexText } from '../../renderer/src/lib/records.js';
import { isUsableEncoder } from '../../renderer/src/lib/runs.js';

describe('table numbers', () => {
  it('shows weight decay 1e-5 and other small values in e-notation instead of 0.0000', () => {
    expect(formatNumber(1e-5)).toBe('1e-5');
    expect(formatNumber(0.0001)).toBe('1e-4');
    expect(formatNumber(2.5e-4)).toBe('2.5e-4');
    expect(formatNumber(0.8123456)).toBe('0.8123');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(125)).toBe('125');
  });
  it('prints a mean alone for one repeat and mean ± sd for several', () => {
    expect(meanSd(0.81234, 0, 1)).toBe('0.812');
    expect(meanSd(0.81234, 0.0312, 3)).toBe('0.812 ± 0.031');
    expect(meanSd(null, null, 3)).toBeNull();
  });
});

describe('records', () => {
  it('reads PTB-XL sex codes and M/F as words', () => {
    expect([sexText(0), sexText('1'), sexText('M'), sexText('F'), sexText(null), sexText('x')]).toEqual(['male', 'female', 'male', 'female', null, 'x']);
  });
  it('draws a 1 mV, 0.2 s calibration pulse in the margin and a ruler tick every 0.2 s, labelled each second', () => {
    const pulse = calibrationPulse();
    expect(Math.max(...pulse.map((p) => p[1]))).toBe(1);
    const high = pulse.filter((p) => p[1] === 1).map((p) => p[0]);
    expect((Math.max(...high) - Math.min(...high)) / MM_PER_S).toBeCloseTo(0.2);
    expect(Math.max(...pulse.map((p) => p[0]))).toBeLessThanOrEqual(CAL_MM);
    const ticks = rulerTicks();
    expect(ticks).toHaveLength(SECONDS * 5 + 1);
    expect(ticks.filter((t) => t.label).map((t) => t.label)).toEqual(Array.from({ length: 11 }, (_, i) => `${i} s`));
  });
});

describe('encoder lists', () => {
  it('offer finished pre-training runs but not the risk decomposition’s with-test encoders', () => {
    const runs = [
      { id: 'r1', name: 'HL P125', kind: 'pretrain', status: 'succeeded' },
      { id: 'r1-with-test-ab12', name: 'r1-with-test-ab12', kind: 'pretrain', status: 'succeeded' },
      { id: 'r2', name: 'cancelled', kind: 'pretrain', status: 'cancelled' },
      { id: 'e1', name: 'eval', kind: 'linear', status: 'succeeded' },
    ];
    expect(runs.filter(isUsableEncoder).map((r) => r.id)).toEqual(['r1']);
  });
});

describe('the first-run path', () => {
  const ds = [{ name: 'demo-synthetic', count: 820 }];
  it('points from data to pre-training, evaluation and comparison in turn', () => {
    expect(nextStep({ datasets: [], runs: [], evaluations: 0, compared: false })?.page).toBe('datasets');
    expect(nextStep({ datasets: [{ name: 'empty', count: 0 }], runs: [], evaluations: 0, compared: false })?.page).toBe('datasets');
    expect(nextStep({ datasets: ds, runs: [], evaluations: 0, compared: false })).toMatchObject({ page: 'pretrain', text: expect.stringContaining('demo-synthetic') });
    expect(nextStep({ datasets: ds, runs: [{ name: 'a', status: 'running' }], evaluations: 0, compared: false })?.text).toMatch(/running/);
    expect(nextStep({ datasets: ds, runs: [{ name: 'a', status: 'completed' }], evaluations: 0, compared: false })).toMatchObject({ page: 'evaluate', text: expect.stringContaining('a') });
    expect(nextStep({ datasets: ds, runs: [{ name: 'a', status: 'completed' }], evaluations: 2, compared: false })?.page).toBe('compare');
    expect(nextStep({ datasets: ds, runs: [{ name: 'a', status: 'completed' }], evaluations: 2, compared: true })).toBeNull();
  });
});
