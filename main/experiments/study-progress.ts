/**
 * Where a running study stands, from its events: the cell, its phase's step and rate, and estimates for the cell
 * and the whole study. One state machine for the terminal (main/cli/progress.ts) and the host's job messages.
 */
import { estimate, formatDuration, rateText } from '../../contract/progress.js';
import type { StudyEvent } from './study.js';

/** `[#####.....]` for a fraction in [0, 1]. */
export function textBar(fraction: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
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
  /** Wall time of the cell that finished last. */
  lastCellSeconds: number;
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
  // barWidth 0: no text bar (the pages draw their own).
  const parts = [`cell ${s.position}/${s.total} ${s.key}`, ...(barWidth > 0 ? [textBar(s.fraction, barWidth)] : [])];
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


/** Folds study events into a StudyProgressState; `line` and `fraction` read it. */
export function studyProgressTracker() {
  const state: StudyProgressState = { position: 0, total: 0, key: '', finished: 0, finishedSeconds: 0, cellStarted: 0, fraction: 0, phase: null, step: 0, steps: 0, phaseStarted: 0, phaseStartStep: 0, samplesPerSec: null, etaSeconds: null, lastCellSeconds: 0 };
  return {
    state,
    update(e: StudyEvent, t: number): void {
      if (e.type === 'cell-started') {
        Object.assign(state, { position: e.position, total: e.total, key: e.cell.key, cellStarted: t, fraction: 0, phase: null, step: 0, steps: 0, samplesPerSec: null, etaSeconds: null });
      } else if (e.type === 'cell-progress') {
        if (e.fraction !== undefined) state.fraction = e.fraction;
        const d = e.detail;
        if (d) {
          if (d.phase !== state.phase || d.step < state.step) Object.assign(state, { phase: d.phase, phaseStarted: t, phaseStartStep: d.step });
          Object.assign(state, { step: d.step, steps: d.total, samplesPerSec: d.samplesPerSec ?? null, etaSeconds: d.etaSeconds ?? null });
        }
      } else if (e.type === 'cell-finished') {
        state.lastCellSeconds = (t - state.cellStarted) / 1000;
        state.finished++;
        state.finishedSeconds += state.lastCellSeconds;
      }
    },
    /** The whole study's share done, counting the running cell's fraction. */
    fraction(): number {
      return state.total ? Math.min(1, (state.position - 1 + Math.max(0, Math.min(1, state.fraction))) / state.total) : 0;
    },
    line(t: number, barWidth?: number): string {
      return studyProgressLine(state, t, barWidth);
    },
  };
}
