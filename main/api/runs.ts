/**
 * Pre-training runs as the service sees them: live jobs held in memory plus run folders on disk
 * (`<runs>/<id>/config.json`, `metrics.jsonl`). One small interface so a store can replace it later.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricPoint, RunStatus, RunSummary } from '../../contract/api.js';
import type { PretrainSettings, TrainingHandle, TrainingProgress } from './ports.js';
import { lossesOf } from './training.js';

export interface LiveRun {
  id: string;
  name: string;
  settings: PretrainSettings;
  status: RunStatus;
  message: string | null;
  createdAt: string;
  handle: TrainingHandle | null;
  last: TrainingProgress | null;
  /** Points seen live, for clients that join mid-run before metrics.jsonl is flushed. */
  points: MetricPoint[];
}

export interface RunRegistry {
  add(run: LiveRun): void;
  get(id: string): LiveRun | undefined;
  list(): RunSummary[];
  metrics(id: string, sinceStep?: number): MetricPoint[];
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** metrics.jsonl lines as points; lines that are not JSON (a torn last write) are skipped. */
export function readMetrics(file: string, sinceStep = -1): MetricPoint[] {
  if (!existsSync(file)) return [];
  const out: MetricPoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const step = typeof e.step === 'number' ? e.step : null;
    if (step === null || step <= sinceStep) continue;
    const losses = lossesOf(e);
    if (Object.keys(losses).length === 0) continue;
    out.push({ step, epoch: typeof e.epoch === 'number' ? e.epoch : 0, losses });
  }
  return out;
}

function modelLabel(c: Record<string, unknown>): string {
  const m = (c.model ?? c.encoder ?? c) as Record<string, unknown>;
  const p = m.patch ?? c.patch;
  const d = m.dim ?? c.dim;
  const l = m.depth ?? c.depth;
  return p !== undefined ? `P${String(p)} D${String(d)} L${String(l)}` : '';
}

function fromFolder(dir: string, id: string): RunSummary {
  const record = readJson(join(dir, 'config.json')) ?? {};
  // The engine writes { input, resolved, model, backend }; older or foreign folders may be flat.
  const config: Record<string, unknown> = { ...record, ...((record.input as Record<string, unknown> | undefined) ?? {}), ...((record.resolved as Record<string, unknown> | undefined) ?? {}), backend: record.backend, model: record.model };
  const status = readJson(join(dir, 'status.json'));
  const points = readMetrics(join(dir, 'metrics.jsonl'));
  const last = points.at(-1);
  const steps = Number(config.steps ?? (config.training as Record<string, unknown> | undefined)?.steps ?? 0);
  const backend = config.backend as Record<string, unknown> | string | undefined;
  const lastStep = last?.step ?? 0;
  let runStatus: RunStatus = 'interrupted';
  const recorded = String(status?.status ?? config.status ?? '');
  if (['completed', 'cancelled', 'failed'].includes(recorded)) runStatus = recorded as RunStatus;
  else if (steps > 0 && lastStep >= steps) runStatus = 'completed';
  let createdAt: string | null = typeof config.createdAt === 'string' ? config.createdAt : null;
  if (!createdAt) {
    try {
      createdAt = statSync(dir).mtime.toISOString();
    } catch {
      createdAt = null;
    }
  }
  const datasets = Array.isArray(config.datasets) ? config.datasets.map(String) : config.dataset ? [String(config.dataset)] : [];
  return {
    id,
    name: typeof config.name === 'string' ? config.name : id,
    status: runStatus,
    method: String(config.method ?? ''),
    model: modelLabel(config),
    datasets,
    steps,
    lastStep,
    lastLoss: last ? (last.losses.total ?? Object.values(last.losses)[0] ?? null) : null,
    backend: typeof backend === 'string' ? backend : typeof backend?.description === 'string' ? backend.description : null,
    createdAt,
    message: runStatus === 'interrupted' ? 'Stopped before its last step (the host closed or the worker was killed).' : null,
  };
}

export function createRunRegistry(runsDir: string): RunRegistry {
  const live = new Map<string, LiveRun>();
  const summaryOf = (r: LiveRun): RunSummary => {
    const disk = existsSync(join(runsDir, r.id)) ? fromFolder(join(runsDir, r.id), r.id) : null;
    const losses = r.last?.losses ?? {};
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      method: r.settings.method,
      model: `P${r.settings.patch} D${r.settings.dim} L${r.settings.depth}`,
      datasets: r.settings.datasets,
      steps: r.settings.steps,
      lastStep: Math.max(r.last?.step ?? 0, disk?.lastStep ?? 0),
      lastLoss: losses.total ?? Object.values(losses)[0] ?? disk?.lastLoss ?? null,
      backend: r.last?.backend ?? disk?.backend ?? null,
      createdAt: r.createdAt,
      message: r.message,
    };
  };
  return {
    add: (run) => void live.set(run.id, run),
    get: (id) => live.get(id),
    list() {
      const out = new Map<string, RunSummary>();
      if (existsSync(runsDir)) {
        for (const id of readdirSync(runsDir)) {
          const dir = join(runsDir, id);
          if (!live.has(id) && statSync(dir).isDirectory() && existsSync(join(dir, 'config.json'))) out.set(id, fromFolder(dir, id));
        }
      }
      for (const r of live.values()) out.set(r.id, summaryOf(r));
      return [...out.values()].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    },
    metrics(id, sinceStep) {
      const disk = readMetrics(join(runsDir, id, 'metrics.jsonl'), sinceStep ?? -1);
      const mem = (live.get(id)?.points ?? []).filter((p) => p.step > (sinceStep ?? -1));
      return mem.length > disk.length ? mem : disk;
    },
  };
}
