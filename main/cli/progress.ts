/** Terminal progress: the bar every command draws, a counting bar for imports and exports, and study progress. */
import { estimate, formatDuration, rateText } from '../../contract/progress.js';
import type { StudyEvent } from '../experiments/study.js';

/** `[#####.....]` for a fraction in [0, 1]. */
export function bar(fraction: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

/** A one-line progress bar for TTYs; silent elsewhere (pipes, CI logs, --json). */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const enabled = stream.isTTY === true;
  const started = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 40));
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const e = estimate(done, total, (now - started) / 1000);
      stream.write(`\r${label} ${bar(frac, width)} ${done}/${total} ${e.rate !== null ? `${e.rate.toFixed(0)}/s` : ''}${e.etaSeconds ? `, ${formatDuration(e.etaSeconds)} left` : ''} `);
      drawn = true;
    },
    done() {
      if (enabled && drawn) stream.write('\n');
    },
  };
}

/** Where a study stands: the cell running, its phase, and estimates for the cell and the whole study. */
export interface StudyProgressState {
  position: number;
  total: number;
  key: string;
  /** Cells finished in this process and the wall time they took, for the study estimate. */
  finished: number;
  finishedSeconds: number;
  cellStarted: number;
  fraction: number;
  phase: string | null;
  step: number;
  steps: number;
  phaseStarted: number;
  phaseStartStep: number;
  samplesPerSec: number | null;
  etaSeconds: number | null;
}

/**
 * The study's time left: the mean time of the cells finished here, times the cells left, less the running cell's
 * share already done. Null until one cell has finished (the first cell's pre-training rate says little about the
 * baselines and probes that follow).
 */
export function studyEtaSeconds(s: Pick<StudyProgressState, 'position' | 'total' | 'finished' | 'finishedSeconds' | 'fraction'>): number | null {
  if (s.finished < 1) return null;
  const perCell = s.finishedSeconds / s.finished;
  const left = s.total - s.position + (1 - Math.max(0, Math.min(1, s.fraction)));
  return Math.max(0, left * perCell);
}

/** One status line: `cell 3/8 GL-P125-L2-D64 [####....] pre-training step 45/150 · 61.2 samples/s · 38 s left │ study: ~5 min left`. */
export function studyProgressLine(s: StudyProgressState, now: number, barWidth = 16): string {
  const parts = [`cell ${s.position}/${s.total} ${s.key}`, bar(s.fraction, barWidth)];
  if (s.phase) {
    let rate = s.samplesPerSec !== null ? { rate: s.samplesPerSec, etaSeconds: s.etaSeconds } : estimate(s.step - s.phaseStartStep, s.steps - s.phaseStartStep, (now - s.phaseStarted) / 1000);
    if (rate.etaSeconds === null && s.etaSeconds !== null) rate = { ...rate, etaSeconds: s.etaSeconds };
    const unit = s.samplesPerSec !== null ? 'samples/s' : `${s.phase.split(' ').pop()}s/s`;
    const r = rateText(rate, unit);
    parts.push(`${s.phase} ${s.step}/${s.steps}${r ? ` · ${r}` : ''}`);
  }
  const eta = studyEtaSeconds(s);
  parts.push(`│ study ${s.position - 1}/${s.total} done${eta !== null ? `, ~${formatDuration(eta)} left` : ''}`);
  return parts.join(' ');
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
  const state: StudyProgressState = { position: 0, total: 0, key: '', finished: 0, finishedSeconds: 0, cellStarted: 0, fraction: 0, phase: null, step: 0, steps: 0, phaseStarted: 0, phaseStartStep: 0, samplesPerSec: null, etaSeconds: null };
  const draw = (text: string) => {
    const cols = out.columns ?? 100;
    out.write(`\r${text.slice(0, cols - 1).padEnd(Math.min(lastLine, cols - 1))}`);
    lastLine = Math.min(text.length, cols - 1);
  };
  return (e) => {
    const t = now();
    if (e.type === 'cell-started') {
      Object.assign(state, { position: e.position, total: e.total, key: e.cell.key, cellStarted: t, fraction: 0, phase: null, step: 0, steps: 0, samplesPerSec: null, etaSeconds: null });
      header = `cell ${e.position}/${e.total} ${e.cell.key}`;
      if (tty) draw(studyProgressLine(state, t));
      else {
        const eta = studyEtaSeconds(state);
        out.write(`${header}: started${eta !== null ? ` (study ~${formatDuration(eta)} left)` : ''}\n`);
      }
      lastLog = t;
    } else if (e.type === 'cell-progress') {
      if (e.fraction !== undefined) state.fraction = e.fraction;
      const d = e.detail;
      if (d) {
        if (d.phase !== state.phase || d.step < state.step) Object.assign(state, { phase: d.phase, phaseStarted: t, phaseStartStep: d.step });
        Object.assign(state, { step: d.step, steps: d.total, samplesPerSec: d.samplesPerSec ?? null, etaSeconds: d.etaSeconds ?? null });
      }
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
      state.finished++;
      state.finishedSeconds += (t - state.cellStarted) / 1000;
      const line = `${header}: ${c.status}${c.error ? ` (${c.error})` : ''} in ${formatDuration((t - state.cellStarted) / 1000)}`;
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
