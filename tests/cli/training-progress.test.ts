/**
 * Fine-tuning progress between the epoch lines: the terminal bar (epoch, step, samples/s, time left) and the job's
 * progress line that the pages show, both from the training loop's step events.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { trainingStepTracker } from '../../contract/progress.js';
import { trainingBar } from '../../main/cli/progress.js';

function fakeStream(tty: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY: tty, columns: 160, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream, chunks };
}

// 2 epochs of 100 training records in steps of 25: one step every 0.5 s is 50 samples/s.
const step = (epoch: number, k: number) => ({ epoch, epochs: 2, step: k, steps: 4, samples: Math.min(100, 25 * k), trainCount: 100 });

afterEach(() => {
  vi.useRealTimers();
});

describe('fine-tuning progress', () => {
  it('the job line gives epoch, step, samples/s and the time left over all epochs', () => {
    let t = 0;
    const line = trainingStepTracker(() => t);
    expect(line(step(1, 1))).toEqual({ fraction: 0.125, text: 'epoch 1/2 · step 1/4' });
    t += 500;
    expect(line(step(1, 2))).toEqual({ fraction: 0.25, text: 'epoch 1/2 · step 2/4 · 50.0 samples/s · 3 s left' });
    t += 1500;
    expect(line(step(2, 1))).toEqual({ fraction: 0.625, text: 'epoch 2/2 · step 1/4 · 50.0 samples/s · 2 s left' });
  });

  it('the terminal bar is drawn between epoch lines, erased before each, and silent off a terminal', () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const { stream, chunks } = fakeStream(true);
    const bar = trainingBar(stream);
    for (let k = 1; k <= 4; k++) {
      bar.step(step(1, k));
      vi.advanceTimersByTime(500);
    }
    bar.line('epoch 1/2 loss 0.6 val AUROC 0.7');
    bar.step(step(2, 1));
    bar.done();
    const out = chunks.join('');
    expect(out).toMatch(/\repoch 1\/2 step 3\/4 \[#+\.*\] 75\/200 50\.0 samples\/s, 3 s left/);
    expect(out).toContain('\r\x1b[Kepoch 1/2 loss 0.6 val AUROC 0.7\n');
    expect(out).toMatch(/\repoch 2\/2 step 1\/4 \[#+\.*\] 125\/200 /);
    expect(out.endsWith('\r\x1b[K')).toBe(true);

    const plain = fakeStream(false);
    const quiet = trainingBar(plain.stream);
    quiet.step(step(1, 1));
    quiet.line('epoch 1/2 loss 0.6');
    expect(plain.chunks.join('')).toBe('epoch 1/2 loss 0.6\n');
  });
});
