/**
 * Background analysis jobs (studies, evaluations, simulations, decompositions), run one at a time: they share the
 * two cores and the tfjs backend with everything else, so running two would only make both slower.
 */
import type { ApiEvent, JobKind, JobView } from '../../contract/api.js';

export interface JobContext {
  signal: AbortSignal;
  /** `milestone` bypasses the throttle (a cell finished: pages reload on it). */
  progress(fraction: number | null, message: string | null, milestone?: boolean): void;
}

/** The work returns the id of what it produced (an evaluation, a study…). */
export type JobWork = (ctx: JobContext) => Promise<string | null>;

export interface JobQueue {
  enqueue(kind: JobKind, title: string, work: JobWork, resultId?: string | null): JobView;
  list(): JobView[];
  cancel(id: string): boolean;
  /** Cancels everything and waits for the running job to end. */
  dispose(): Promise<void>;
}

interface Entry {
  view: JobView;
  work: JobWork;
  abort: AbortController;
}

export function createJobQueue(emit: (e: ApiEvent) => void): JobQueue {
  const jobs: Entry[] = [];
  let running: Promise<void> | null = null;
  let seq = 0;
  const state = (e: Entry) => emit({ type: 'job.state', job: { ...e.view } });

  const pump = () => {
    if (running) return;
    const next = jobs.find((j) => j.view.status === 'queued');
    if (!next) return;
    running = run(next).finally(() => {
      running = null;
      pump();
    });
  };

  const run = async (e: Entry) => {
    e.view.status = 'running';
    state(e);
    let lastEmit = 0;
    const t0 = performance.now();
    try {
      const id = await e.work({
        signal: e.abort.signal,
        progress(fraction, message, milestone = false) {
          e.view.fraction = fraction;
          e.view.message = message;
          // Fine-grained engines report every batch: a few events a second are enough for a progress bar.
          const now = performance.now();
          if (now - lastEmit < 200 && fraction !== 1 && !milestone) return;
          lastEmit = now;
          emit({ type: 'job.progress', jobId: e.view.id, fraction, message, status: e.view.status });
        },
      });
      e.view.resultId = id ?? e.view.resultId;
      e.view.status = e.abort.signal.aborted ? 'cancelled' : 'succeeded';
      if (e.view.status === 'succeeded') {
        e.view.fraction = 1;
        e.view.message = `Finished in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
      }
      if (e.view.status === 'cancelled') e.view.message = 'Cancelled.';
    } catch (err) {
      e.view.status = e.abort.signal.aborted ? 'cancelled' : 'failed';
      e.view.message = e.abort.signal.aborted ? 'Cancelled.' : err instanceof Error ? err.message : String(err);
    }
    state(e);
  };

  return {
    enqueue(kind, title, work, resultId = null) {
      const view: JobView = { id: `job-${++seq}-${Date.now().toString(36)}`, kind, title, status: 'queued', fraction: null, message: null, resultId, createdAt: new Date().toISOString() };
      const entry = { view, work, abort: new AbortController() };
      jobs.push(entry);
      state(entry);
      pump();
      return { ...view };
    },
    list: () => jobs.map((j) => ({ ...j.view })).reverse(),
    cancel(id) {
      const e = jobs.find((j) => j.view.id === id);
      if (!e || (e.view.status !== 'queued' && e.view.status !== 'running')) return false;
      e.abort.abort();
      if (e.view.status === 'queued') {
        e.view.status = 'cancelled';
        e.view.message = 'Cancelled before it started.';
        state(e);
      }
      return true;
    },
    async dispose() {
      // 'shutdown': the host stops, the work does not (a Slurm study's tasks go on; a later host adopts them).
      for (const j of jobs) if (j.view.status === 'queued' || j.view.status === 'running') j.abort.abort('shutdown');
      for (const j of jobs) if (j.view.status === 'queued') j.view.status = 'cancelled';
      await running;
    },
  };
}
