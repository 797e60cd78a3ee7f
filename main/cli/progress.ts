/** Terminal progress: the bar every command draws, a counting bar for imports and exports, and study progress. */
import { estimate, formatDuration } from '../../contract/progress.js';
import type { StudyEvent } from '../experiments/study.js';
import type { TrainStepProgress } from '../evaluation/train.js';
import { studyEtaSeconds, studyProgressLine, studyProgressTracker, textBar as bar } from '../experiments/study-progress.js';

export { studyEtaSeconds, studyProgressLine, bar };

/** A one-line progress bar for TTYs; silent elsewhere (pipes, CI logs, --json). */
export interface Progress {
  /** `label` replaces the bar's label from this update on (e.g. the epoch and step). */
  update(done: number, total: number, label?: string): void;
  /** Erases the bar so that a line can be printed; the next update draws it again. */
  clear(): void;
  done(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr, opts: { unit?: string } = {}): Progress {
  const enabled = stream.isTTY === true;
  const unit = opts.unit ? ` ${opts.unit}` : '';
  // The rate counts from the first update, so set-up before the work starts does not lower it.
  let started: { at: number; done: number } | null = null;
  let last = 0;
  let drawn = false;
  return {
    update(done, total, newLabel) {
      if (newLabel !== undefined) label = newLabel;
      if (!enabled) return;
      const now = Date.now();
      started ??= { at: now, done };
      if (now - last < 100 && done < total) return;
      last = now;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 50));
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const e = estimate(done - started.done, total - started.done, (now - started.at) / 1000);
      stream.write(`\r${label} ${bar(frac, width)} ${done}/${total} ${e.rate !== null ? `${e.rate.toFixed(e.rate >= 100 ? 0 : 1)}${unit}/s` : ''}${e.etaSeconds ? `, ${formatDuration(e.etaSeconds)} left` : ''}\x1b[K`);
      drawn = true;
    },
    clear() {
      if (enabled && drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
    done() {
      if (enabled && drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/**
 * Fine-tuning progress between the epoch lines: a bar over all epochs' training samples with the epoch, the
 * step, samples/s and the time left (TTY only); `line` prints an epoch line above it.
 */
export function trainingBar(stream: NodeJS.WriteStream = process.stderr): { step(s: TrainStepProgress): void; line(text: string): void; done(): void } {
  const b = progressBar('fine-tuning', stream, { unit: 'samples' });
  return {
    step(s) {
      b.update((s.epoch - 1) * s.trainCount + s.samples, s.epochs * s.trainCount, `epoch ${s.epoch}/${s.epochs} step ${s.step}/${s.steps}`);
    },
    line(text) {
      b.clear();
      stream.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    done: () => b.clear(),
  };
}

/**
 * Study progress: on a TTY one redrawn line with a bar per cell (step, samples/s, time left) and the study's
 * estimate; elsewhere (logs, CI) the same line at most every `logEverySeconds`, plus each cell's start and end.
 */
export function studyProgressPrinter(out: NodeJS.WriteStream = process.stderr, opts: { logEverySeconds?: number; now?: () => number } = {}): (e: StudyEvent) => void {
  const tty = out.isTTY === true;
  const now = opts.now ?? Date.now;
  const logEvery = (opts.logEverySeconds ?? 15) * 1000;
  let header = '';
  let lastLine = 0;
  let lastDraw = 0;
  let lastLog = 0;
  const tracker = studyProgressTracker();
  const state = tracker.state;
  const draw = (text: string) => {
    const cols = out.columns ?? 100;
    out.write(`\r${text.slice(0, cols - 1).padEnd(Math.min(lastLine, cols - 1))}`);
    lastLine = Math.min(text.length, cols - 1);
  };
  return (e) => {
    const t = now();
    tracker.update(e, t);
    if (e.type === 'cell-started') {
      header = `cell ${e.position}/${e.total} ${e.cell.key}`;
      if (tty) draw(studyProgressLine(state, t));
      else {
        const eta = studyEtaSeconds(state);
        out.write(`${header}: started${eta !== null ? ` (study ~${formatDuration(eta)} left)` : ''}\n`);
      }
      lastLog = t;
    } else if (e.type === 'cell-progress') {
      const d = e.detail;
      if (tty) {
        if (t - lastDraw < 100 && !(d && d.step === d.total)) return;
        lastDraw = t;
        draw(d ? studyProgressLine(state, t) : `${header} ${e.fraction !== undefined ? bar(e.fraction) + ' ' : ''}${e.message}`);
      } else if (t - lastLog >= logEvery) {
        lastLog = t;
        out.write(`${d ? studyProgressLine(state, t, 10) : `${header}: ${e.message}`}\n`);
      }
    } else if (e.type === 'cell-finished') {
      const c = e.cell;
      const line = `${header}: ${c.status}${c.error ? ` (${c.error})` : ''} in ${formatDuration(state.lastCellSeconds)}`;
      if (tty) {
        draw(line);
        out.write('\n');
        lastLine = 0;
      } else out.write(`${line}\n`);
    } else if (e.type === 'analysis') {
      if (tty) draw(e.message);
      else out.write(`${e.message}\n`);
    } else if (e.type === 'study-finished') {
      if (tty && lastLine) out.write('\n');
      const s = e.summary;
      out.write(`study ${e.status}: ${s.succeeded}/${s.cells} cells succeeded, ${s.failed} failed, ${s.oom} out of memory\n`);
    }
  };
}
