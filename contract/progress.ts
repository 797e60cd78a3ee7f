/**
 * Progress in words, the same in the terminal and on the pages: a duration ("1 min 20 s"), a rate and the time
 * left from work done so far. Plain functions; nothing here imports Node or Electron.
 */

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  // Round once, before splitting, so 1199.6 s reads "20 min 0 s", never "19 min 60 s".
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export interface RateEstimate {
  /** Units per second so far (samples/s, records/s), or null before any work finished. */
  rate: number | null;
  /** Seconds left at that rate, or null when unknown. */
  etaSeconds: number | null;
}

/** Rate and time left from `done` of `total` units in `elapsedSeconds`. */
export function estimate(done: number, total: number, elapsedSeconds: number): RateEstimate {
  if (!(done > 0) || !(elapsedSeconds > 0)) return { rate: null, etaSeconds: null };
  const rate = done / elapsedSeconds;
  return { rate, etaSeconds: total > done ? (total - done) / rate : 0 };
}

/** "312 samples/s · 1 min 20 s left" (parts that are unknown are left out). */
export function rateText(e: RateEstimate, unit = 'samples/s'): string {
  const parts: string[] = [];
  if (e.rate !== null) parts.push(`${e.rate >= 100 ? e.rate.toFixed(0) : e.rate.toFixed(1)} ${unit}`);
  if (e.etaSeconds !== null) parts.push(`${formatDuration(e.etaSeconds)} left`);
  return parts.join(' · ');
}

/** One training step of a fine-tune, as the job reports it (main/evaluation/train.ts reports it as TrainStepProgress). */
export interface TrainingStep {
  epoch: number;
  epochs: number;
  /** 1-based step within the epoch, of `steps`. */
  step: number;
  steps: number;
  /** Training records this epoch has stepped through so far, of `trainCount`. */
  samples: number;
  trainCount: number;
}

/**
 * Progress of a fine-tune over all its epochs from step events: the fraction done and the line the pages show,
 * "epoch 2/10 · step 14/32 · 45.1 samples/s · 1 min 20 s left". The rate counts from the first step seen.
 */
export function trainingStepTracker(now: () => number = Date.now): (s: TrainingStep) => { fraction: number; text: string } {
  let first: { at: number; done: number } | null = null;
  return (s) => {
    const done = (s.epoch - 1) * s.trainCount + s.samples;
    const total = s.epochs * s.trainCount;
    const t = now();
    first ??= { at: t, done };
    const e = estimate(done - first.done, total - first.done, (t - first.at) / 1000);
    const rate = rateText(e);
    return { fraction: total > 0 ? done / total : 0, text: `epoch ${s.epoch}/${s.epochs} · step ${s.step}/${s.steps}${rate ? ` · ${rate}` : ''}` };
  };
}
