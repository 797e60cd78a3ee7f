/** Terminal study progress: a bar per cell with step, samples/s and time left, and a study-level estimate. */
import { describe, expect, it } from 'vitest';
import { estimate, formatDuration, rateText } from '../../contract/progress.js';
import { studyEtaSeconds, studyProgressPrinter } from '../../main/cli/progress.js';
import type { StudyEvent } from '../../main/experiments/study.js';
import type { CellRecord } from '../../main/store/types.js';

function fakeStream(tty: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY: tty, columns: 200, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream, chunks };
}
const cell = (key: string, status = 'running') => ({ key, status, error: null }) as unknown as CellRecord;

function play(tty: boolean) {
  let t = 0;
  const { stream, chunks } = fakeStream(tty);
  const print = studyProgressPrinter(stream, { now: () => t, logEverySeconds: 10 });
  const ev = (e: Record<string, unknown>) => print({ studyId: 's', ...e } as unknown as StudyEvent);
  ev({ type: 'cell-started', cell: cell('GL-P125-L2-D64'), position: 1, total: 4 });
  for (let step = 10; step <= 100; step += 10) {
    t += 2000;
    ev({ type: 'cell-progress', cell: cell('GL-P125-L2-D64'), message: `step ${step}`, fraction: step / 100, detail: { phase: 'pre-training step', step, total: 100, samplesPerSec: 80, etaSeconds: ((100 - step) * 16) / 80 } });
  }
  ev({ type: 'cell-finished', cell: cell('GL-P125-L2-D64', 'succeeded') });
  ev({ type: 'cell-started', cell: cell('HL-P250-L2-D64'), position: 2, total: 4 });
  t += 5000;
  ev({ type: 'cell-progress', cell: cell('HL-P250-L2-D64'), message: 'linear epoch', fraction: 0.5, detail: { phase: 'linear epoch', step: 3, total: 6 } });
  t += 5000;
  ev({ type: 'cell-progress', cell: cell('HL-P250-L2-D64'), message: 'linear epoch', fraction: 0.75, detail: { phase: 'linear epoch', step: 5, total: 6 } });
  return chunks.join('');
}

describe('study progress in the terminal', () => {
  it('draws step, samples/s and time left for the cell, and the study estimate once a cell has finished', () => {
    const out = play(true);
    expect(out).toMatch(/cell 1\/4 GL-P125-L2-D64 \[#+\.*\] pre-training step 50\/100 · 80\.0 samples\/s · 10 s left │ study 0\/4 done/);
    expect(out).toContain('GL-P125-L2-D64: succeeded in 20 s');
    // Second cell: a phase without an engine rate gets one from its own steps (2 epochs in 5 s).
    expect(out).toMatch(/cell 2\/4 HL-P250-L2-D64 \[#+\.*\] linear epoch 5\/6 · 0\.4 epochs\/s · 3 s left │ study 1\/4 done, ~\d+ s left/);
  });

  it('writes the same line to logs at most every few seconds, with start and end lines', () => {
    const out = play(false);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('cell 1/4 GL-P125-L2-D64: started');
    expect(lines.filter((l) => l.includes('samples/s')).length).toBe(2); // 20 s of steps, a line every 10 s
    expect(out).toContain('cell 2/4 HL-P250-L2-D64: started (study ~');
    expect(out).not.toContain('\r');
  });

  it('estimates the study from finished cells and the running cell’s share', () => {
    expect(studyEtaSeconds({ position: 1, total: 4, finished: 0, finishedSeconds: 0, fraction: 0.5 })).toBeNull();
    expect(studyEtaSeconds({ position: 3, total: 4, finished: 2, finishedSeconds: 100, fraction: 0.5 })).toBeCloseTo(75);
    expect(rateText(estimate(50, 200, 10))).toBe('5.0 samples/s · 30 s left');
    expect(formatDuration(3725)).toBe('1 h 2 min');
    // Rounding never carries a unit past its range.
    expect(formatDuration(1199.6)).toBe('20 min 0 s');
    expect(formatDuration(59.7)).toBe('1 min 0 s');
    expect(formatDuration(7199)).toBe('2 h 0 min');
  });
});
