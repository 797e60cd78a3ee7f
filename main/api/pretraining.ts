/**
 * The Pre-train page's half of the service: a run is a `pretrain` job (run in a worker) and a store row; the
 * list and curves read the store and the run folder; run.state events follow the job's state.
 */
import { join } from 'node:path';
import type { ApiEvent, ApiHandlers, MetricPoint, RunStatus, RunSummary } from '../../contract/api.js';
import { recordPretrainRun, runDirOf } from '../experiments/run-record.js';
import { sourcesOf } from '../experiments/science.js';
import type { Job, RunnerEvent } from '../runner/types.js';
import type { Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';
import { readMetricsFile } from '../training/metrics-file.js';
import { ServiceError } from './errors.js';
import type { JobSystem } from '../jobs/system.js';

type PretrainHandlers = Pick<ApiHandlers, 'startPretrain' | 'controlRun' | 'listRuns' | 'runMetrics'>;

export interface PretrainingDeps {
  store: Store;
  jobs: JobSystem;
  emit(e: ApiEvent): void;
  runsDir(): string;
  datasets(): Promise<string[]>;
}

/** A store row's status in the contract's words. */
export function runStatusOf(status: RunRecord['status']): RunStatus {
  if (status === 'succeeded') return 'completed';
  if (status === 'created') return 'queued';
  if (status === 'oom') return 'failed';
  return status;
}

const STATE_OF_EVENT: Partial<Record<RunnerEvent['type'], RunStatus>> = {
  queued: 'queued',
  resumed: 'queued',
  recovered: 'queued',
  started: 'running',
  paused: 'paused',
  cancelled: 'cancelled',
  succeeded: 'completed',
  failed: 'failed',
};

function runIdFor(s: { method: string; patch: number; dim: number; depth: number }): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${s.method}-p${s.patch}-d${s.dim}-l${s.depth}-${Math.random().toString(36).slice(2, 6)}`;
}

export function summaryOf(store: Store, r: RunRecord): RunSummary {
  const c = r.config as { method?: string; model?: { patch?: number; depth?: number; dim?: number }; steps?: number };
  const last = store.metricSeries(r.id, 'total').at(-1);
  return {
    id: r.id,
    name: r.name || r.id,
    status: runStatusOf(r.status),
    method: String(c.method ?? ''),
    model: c.model ? `P${c.model.patch} D${c.model.dim} L${c.model.depth}` : '',
    datasets: r.dataUse ? sourcesOf(r.dataUse).map((s) => s.dataset) : r.dataset ? r.dataset.split('+') : [],
    steps: Number(c.steps ?? 0),
    lastStep: r.step,
    lastLoss: last?.value ?? null,
    backend: r.backend || null,
    createdAt: r.createdAt,
    message: r.error ?? (r.status === 'paused' ? 'Paused; checkpoints written so far are kept.' : r.status === 'cancelled' ? 'Cancelled; checkpoints written so far are kept.' : null),
  };
}

export function createPretraining(d: PretrainingDeps): { handlers: PretrainHandlers; onJob(e: RunnerEvent): void } {
  const { store, jobs } = d;
  /** The newest job of a run, open ones first. */
  const jobOf = (runId: string): Job | null => {
    const all = jobs.runner.queue.list({ kind: 'pretrain' }).filter((j) => j.resultId === runId).reverse();
    return all.find((j) => j.status === 'queued' || j.status === 'running' || j.status === 'paused') ?? all[0] ?? null;
  };

  const handlers: PretrainHandlers = {
    async startPretrain(settings) {
      const names = new Set(await d.datasets());
      const missing = settings.datasets.filter((n) => !names.has(n));
      if (missing.length) throw new ServiceError('invalid-input', `Dataset ${missing.map((n) => `"${n}"`).join(', ')} is not in the workspace. Import it first on the Datasets page.`);
      const runId = runIdFor(settings);
      const name = settings.name || runId;
      const model = { patch: settings.patch, depth: settings.depth, dim: settings.dim, ...(settings.heads ? { heads: settings.heads } : {}) };
      recordPretrainRun(store, { runId, name, status: 'queued', input: { method: settings.method, dataset: settings.datasets.join('+'), model, steps: settings.steps, batchSize: settings.batchSize, seed: settings.seed } });
      jobs.enqueue('pretrain', { runId, name, settings }, { title: `Pre-train ${name}`, resultId: runId });
      return { runId };
    },

    async controlRun({ runId, action }) {
      const run = store.getRun(runId);
      const job = jobOf(runId);
      if (!run || !job) throw new ServiceError('not-found', `Run ${runId} was not started from this workstation, so it cannot be controlled here.`);
      if (run.status === 'succeeded' || run.status === 'failed' || (run.status === 'cancelled' && action !== 'resume'))
        throw new ServiceError('invalid-input', `Run ${runId} has already ${run.status === 'failed' ? 'failed' : 'ended'}.`);
      let status: RunStatus;
      if (action === 'pause') {
        status = jobs.pause(String(job.id)).status === 'paused' ? 'paused' : 'running';
      } else if (action === 'resume') {
        // A paused job goes back to the queue; its worker continues the run from its last checkpoint.
        if (job.status === 'paused') jobs.resume(String(job.id));
        else if (job.status !== 'queued' && job.status !== 'running') jobs.enqueue('pretrain', job.payload, { title: job.title, resultId: runId });
        status = 'queued';
      } else {
        jobs.cancel(String(job.id));
        status = job.status === 'running' ? 'cancelling' : 'cancelled';
      }
      d.emit({ type: 'run.state', runId, status, message: null });
      return { runId, status };
    },

    async listRuns() {
      return store
        .listRuns({ kind: 'pretrain' })
        .map((r) => summaryOf(store, r))
        .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    },

    async runMetrics({ runId, sinceStep }) {
      const dir = store.getRun(runId)?.dir ?? join(d.runsDir(), runId);
      const points: MetricPoint[] = readMetricsFile(join(dir, 'metrics.jsonl'), sinceStep ?? -1)
        .filter((l) => Object.keys(l.losses).length)
        .map((l) => ({ step: l.step, epoch: l.epoch, losses: l.losses }));
      if (points.length) return points;
      // A run whose folder is gone still has its history in the store.
      const bySteps = new Map<number, MetricPoint>();
      for (const p of store.metricSeries(runId)) {
        if (p.name === 'lr' || p.step <= (sinceStep ?? -1)) continue;
        const point = bySteps.get(p.step) ?? { step: p.step, epoch: 0, losses: {} };
        point.losses[p.name] = p.value;
        bySteps.set(p.step, point);
      }
      return [...bySteps.values()].sort((a, b) => a.step - b.step);
    },
  };

  return {
    handlers,
    onJob(e) {
      if (e.type === 'idle' || e.job.kind !== 'pretrain' || !e.job.resultId) return;
      const status = STATE_OF_EVENT[e.type];
      if (!status) return;
      const runId = e.job.resultId;
      // A job stopped before its worker began leaves the row as the host wrote it: keep it in step.
      const row = store.getRun(runId);
      if (row && (status === 'cancelled' || status === 'failed') && !['succeeded', 'failed', 'cancelled'].includes(row.status))
        store.updateRun(runId, { status: status === 'cancelled' ? 'cancelled' : 'failed', error: e.type === 'failed' ? e.error : row.error });
      const message = e.type === 'failed' ? e.error : status === 'cancelled' ? 'Cancelled; checkpoints written so far are kept.' : null;
      d.emit({ type: 'run.state', runId, status, message });
    },
  };
}

export { runDirOf };
