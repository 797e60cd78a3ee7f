/** Pre-training: presets, the runs list, live progress and loss series per run. */
import { defineStore } from 'pinia';
import type { ApiEvent, MetricPoint, PretrainPresets, PretrainRequest, RunStatus, RunSummary } from '../../../contract/api.js';
import { api } from '../api/index.js';
import { describeError } from '../api/errors.js';

export interface LiveStats {
  step: number;
  totalSteps: number;
  epoch: number;
  samplesPerSec: number | null;
  etaSeconds: number | null;
  memoryMB: number | null;
  backend: string | null;
}

const FINAL: RunStatus[] = ['completed', 'cancelled', 'failed', 'interrupted'];
export const isFinal = (s: RunStatus) => FINAL.includes(s);

export const useRunsStore = defineStore('runs', {
  state: () => ({
    presets: null as PretrainPresets | null,
    list: [] as RunSummary[],
    error: null as string | null,
    selectedId: null as string | null,
    /** Loss series by run id. */
    series: {} as Record<string, MetricPoint[]>,
    live: {} as Record<string, LiveStats>,
    launching: false,
  }),
  getters: {
    selected: (s) => s.list.find((r) => r.id === s.selectedId) ?? null,
    selectedSeries: (s) => (s.selectedId ? (s.series[s.selectedId] ?? []) : []),
    selectedLive: (s) => (s.selectedId ? (s.live[s.selectedId] ?? null) : null),
    components(): string[] {
      const names = new Set<string>();
      for (const p of this.selectedSeries) for (const k of Object.keys(p.losses)) names.add(k);
      return [...names];
    },
  },
  actions: {
    async loadPresets() {
      if (!this.presets) this.presets = await api().pretrainPresets({});
      return this.presets;
    },
    async refresh() {
      try {
        this.list = await api().listRuns({});
        this.error = null;
      } catch (err) {
        this.error = describeError(err);
      }
    },
    async launch(request: PretrainRequest) {
      this.launching = true;
      try {
        const { runId } = await api().startPretrain(request);
        this.series[runId] ??= [];
        this.selectedId = runId;
        await this.refresh();
        return runId;
      } finally {
        this.launching = false;
      }
    },
    async control(runId: string, action: 'pause' | 'resume' | 'cancel') {
      const { status } = await api().controlRun({ runId, action });
      // The event stream may already have told us the run ended; the reply must not undo that.
      const run = this.list.find((r) => r.id === runId);
      if (run && !isFinal(run.status)) this.setStatus(runId, status, null);
    },
    async select(runId: string) {
      this.selectedId = runId;
      const have = this.series[runId] ?? [];
      const last = have.at(-1)?.step;
      const fresh = await api().runMetrics({ runId, ...(last !== undefined ? { sinceStep: last } : {}) });
      this.series[runId] = mergePoints(this.series[runId] ?? [], fresh);
    },
    setStatus(runId: string, status: RunStatus, message: string | null) {
      const run = this.list.find((r) => r.id === runId);
      if (run) {
        run.status = status;
        run.message = message;
      }
    },
    handleEvent(e: ApiEvent): boolean {
      if (e.type === 'run.progress') {
        const { runId, losses, step, epoch, ...stats } = e;
        this.live[runId] = { step, epoch, ...stats };
        if (Object.keys(losses).length) this.series[runId] = mergePoints(this.series[runId] ?? [], [{ step, epoch, losses }]);
        const run = this.list.find((r) => r.id === runId);
        if (run) {
          run.lastStep = step;
          run.lastLoss = losses.total ?? Object.values(losses)[0] ?? run.lastLoss;
          if (run.status === 'queued') run.status = 'running';
          run.backend = stats.backend ?? run.backend;
        }
        return true;
      }
      if (e.type === 'run.validation') {
        this.series[e.runId] = mergePoints(this.series[e.runId] ?? [], [{ step: e.step, epoch: 0, losses: e.losses }]);
        return true;
      }
      if (e.type === 'run.state') {
        // A run this page has not seen (started from another window, the CLI or a study): its row is in the store.
        if (!this.list.some((r) => r.id === e.runId)) void this.refresh();
        this.setStatus(e.runId, e.status, e.message);
        return true;
      }
      return false;
    },
  },
});

/**
 * Points in step order, one per step: events and fetched history may overlap, and a validation point shares its step
 * with a training point (their terms are joined) or falls between two.
 */
export function mergePoints(have: MetricPoint[], add: MetricPoint[]): MetricPoint[] {
  const out = have.slice();
  for (const p of add) {
    const last = out.at(-1);
    if (!last || p.step > last.step) {
      out.push(p);
      continue;
    }
    let i = out.length - 1;
    while (i > 0 && out[i - 1]!.step >= p.step) i--;
    const at = out[i]!;
    if (at.step === p.step) out[i] = { ...at, losses: { ...at.losses, ...p.losses } };
    else out.splice(i, 0, p);
  }
  return out;
}
