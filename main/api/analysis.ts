/**
 * The analysis half of the service: evaluations, studies, simulations, risk decompositions and run comparison,
 * over the evaluation engine, the experiment store and the study pipeline. Engines are imported lazily so the host
 * starts fast and the contract tests never load tfjs.
 */
import { studyPresets } from '../resources.js';
import { studyProgressTracker } from '../experiments/study-progress.js';
import { formatDuration } from '../../contract/progress.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AnyRunView,
  ApiHandlers,
  CellView,
  CompareRunView,
  DecompositionView,
  EvaluationSummaryView,
  EvaluationView,
  ProtocolName,
  RiskComponentName,
  SimulationView,
  StudyConfigView,
  StudyDetailView,
  StudyPresetView,
  StudySummaryView,
  TaskResultView,
} from '../../contract/api.js';
import { PROTOCOL_LABELS, RISK_COMPONENT_NAMES, riskMetricName as snake } from '../../contract/api.js';
import type { StudyConfig } from '../experiments/grid.js';
import type { Store } from '../store/store.js';
import type { EvaluationRecord, RunRecord, StudyRecord } from '../store/types.js';
import type { EvaluationResult } from '../evaluation/evaluate.js';
import type { Encoder } from '../models/types.js';
import type { CachedDataset } from '../data/types.js';
import { ServiceError } from './errors.js';
import type { JobQueue } from './jobs.js';
import { readMetrics } from './runs.js';

type AnalysisHandlers = Pick<
  ApiHandlers,
  | 'listJobs'
  | 'cancelJob'
  | 'startEvaluation'
  | 'listEvaluations'
  | 'getEvaluation'
  | 'studyPresets'
  | 'startStudy'
  | 'listStudies'
  | 'studyDetail'
  | 'startSimulation'
  | 'listSimulations'
  | 'startDecomposition'
  | 'listDecompositions'
  | 'listAllRuns'
  | 'compareRuns'
>;

export interface AnalysisDeps {
  workspace(): string;
  runsDir(): string;
  jobs: JobQueue;
}

export interface Analysis {
  handlers: AnalysisHandlers;
  close(): void;
}

const r4 = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1e4) / 1e4);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const rand = () => Math.random().toString(36).slice(2, 6);

/** The Studies page's grids, from resources/presets/studies.json. */
export const STUDY_PRESETS: StudyPresetView[] = studyPresets();

export function studyConfigOf(v: StudyConfigView): StudyConfig {
  return {
    name: v.name,
    dataset: v.dataset,
    tasks: v.tasks,
    methods: v.methods as StudyConfig['methods'],
    patches: v.patches,
    depths: v.depths,
    dims: v.dims,
    protocols: v.protocols,
    baselines: v.baselines as StudyConfig['baselines'],
    seed: v.seed,
    split: v.split,
    pretrain: { steps: v.steps, batchSize: v.batchSize, checkpointEvery: Math.max(1, Math.min(v.steps, 500)), logEvery: Math.max(1, Math.floor(v.steps / 500)) },
    downstream: { probe: { epochs: v.probeEpochs }, endToEnd: { epochs: v.finetuneEpochs } },
    simulations: null,
    decompose: false,
  };
}

export function studyConfigView(c: StudyConfig): StudyConfigView {
  return {
    name: c.name,
    dataset: c.dataset,
    tasks: c.tasks,
    methods: c.methods,
    patches: c.patches,
    depths: c.depths,
    dims: c.dims,
    protocols: c.protocols,
    baselines: c.baselines,
    seed: c.seed,
    split: c.split ?? 'strat_fold',
    steps: Number(c.pretrain?.steps ?? 0),
    batchSize: Number(c.pretrain?.batchSize ?? 0),
    probeEpochs: c.downstream?.probe?.epochs ?? 0,
    finetuneEpochs: c.downstream?.endToEnd?.epochs ?? 0,
  };
}

/** Nested config as `a.b` keys with printable values; arrays of scalars become "1, 2". */
export function flatten(obj: unknown, prefix = '', out: Record<string, string | number | boolean | null> = {}): Record<string, string | number | boolean | null> {
  if (obj === null || obj === undefined) {
    if (prefix) out[prefix] = null;
    return out;
  }
  if (Array.isArray(obj)) {
    if (obj.every((x) => x === null || typeof x !== 'object')) out[prefix] = obj.length > 12 ? `${obj.length} values` : obj.join(', ');
    else obj.forEach((x, i) => flatten(x, `${prefix}[${i}]`, out));
    return out;
  }
  if (typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  out[prefix] = typeof obj === 'number' || typeof obj === 'boolean' || typeof obj === 'string' ? obj : String(obj);
  return out;
}

/** Keys whose values are not the same in every run (a key missing from one run differs too). */
export function differingKeys(configs: Record<string, unknown>[]): string[] {
  const keys = new Set(configs.flatMap((c) => Object.keys(c)));
  return [...keys].filter((k) => new Set(configs.map((c) => JSON.stringify(c[k] ?? null))).size > 1).sort();
}

/** At most `max` points, evenly spaced, ends kept. */
function thin<T>(xs: T[], max = 400): T[] {
  if (xs.length <= max) return xs;
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(xs[Math.round((k * (xs.length - 1)) / (max - 1))]!);
  return out;
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The test-set point a threshold picks: FPR/TPR and precision/recall. */
export function operatingPoint(labels: number[], scores: number[], threshold: number): TaskResultView['operating'] {
  let tp = 0;
  let fp = 0;
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]! > 0;
    if (y) pos++;
    if (scores[i]! >= threshold) {
      if (y) tp++;
      else fp++;
    }
  }
  const neg = labels.length - pos;
  return { fpr: neg ? fp / neg : 0, tpr: pos ? tp / pos : 0, precision: tp + fp ? tp / (tp + fp) : 1, recall: pos ? tp / pos : 0 };
}

export function evaluationView(id: string, title: string, sourceRunId: string | null, r: EvaluationResult): EvaluationView {
  return {
    id,
    title,
    protocol: r.protocol,
    sourceRunId,
    model: `P${r.encoder.patch} D${r.encoder.dim} L${r.encoder.depth}${r.encoder.pretrained ? '' : ' (random init)'}`,
    dataset: r.dataset,
    split: r.split.description,
    tasks: r.metrics.map((m, t) => ({
      task: m.task,
      n: m.n,
      positives: m.positives,
      auroc: m.auroc,
      aurocCi: { low: r4(m.aurocCi[0]), high: r4(m.aurocCi[1]) },
      auprc: m.auprc,
      auprcCi: { low: r4(m.auprcCi[0]), high: r4(m.auprcCi[1]) },
      f1: m.f1,
      threshold: m.threshold,
      roc: { fpr: m.roc.fpr.map((v) => r4(v) ?? 0), tpr: m.roc.tpr.map((v) => r4(v) ?? 0) },
      pr: { recall: m.pr.recall.map((v) => r4(v) ?? 0), precision: m.pr.precision.map((v) => r4(v) ?? 0) },
      operating: operatingPoint(r.test.labels[t] ?? [], r.test.scores[t] ?? [], m.threshold),
    })),
    criteria: r.criteria,
    meanAuroc: r.meanAuroc,
    backend: r.backend,
    seconds: r.seconds,
    createdAt: new Date().toISOString(),
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const sd = (xs: number[]) => {
  if (xs.length < 2) return xs.length ? 0 : null;
  const m = mean(xs)!;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

/** Simulation evaluations (conditions `usage=10#r0`, `case=5#r1`) as mean ± sd rows per percentage. */
export function simulationViews(run: RunRecord, evals: EvaluationRecord[], fallbackTasks: string[]): SimulationView[] {
  const out: SimulationView[] = [];
  const config = run.config as { method?: string; tasks?: string[]; trainSizes?: Record<string, number>; protocol?: string };
  const tasks = config.tasks ?? fallbackTasks;
  for (const [kind, key] of [['data-usage', 'usage'], ['case-ratio', 'case']] as const) {
    const parsed = evals
      .map((e) => ({ e, m: /^(\w+)=([\d.]+)(?:#r(\d+))?$/.exec(e.condition) }))
      .filter((x) => x.m?.[1] === key)
      .map((x) => ({ e: x.e, percent: Number(x.m![2]), repeat: Number(x.m![3] ?? 0) }));
    if (!parsed.length) continue;
    const percents = [...new Set(parsed.map((p) => p.percent))].sort((a, b) => a - b);
    let repeats = 0;
    const rows = percents.map((percent) => {
      const at = parsed.filter((p) => p.percent === percent);
      const reps = [...new Set(at.map((p) => p.repeat))];
      repeats = Math.max(repeats, reps.length);
      const values = (metric: string, task: string) => at.filter((p) => p.e.metric === metric && p.e.task === task && p.e.value !== null).map((p) => p.e.value!);
      const summary = (xs: number[]) => ({ mean: r4(mean(xs)), sd: r4(sd(xs)) });
      const criteria = reps
        .map((r) => at.filter((p) => p.repeat === r && (p.e.metric === 'auroc' || p.e.metric === 'auprc') && tasks.includes(p.e.task) && p.e.value !== null).map((p) => p.e.value!))
        .filter((v) => v.length === tasks.length * 2)
        .map((v) => v.reduce((a, b) => a + b, 0));
      return {
        percent,
        auroc: tasks.map((t) => summary(values('auroc', t))),
        auprc: tasks.map((t) => summary(values('auprc', t))),
        criteria: summary(criteria),
        trainSize: config.trainSizes?.[`${key}=${percent}`] ?? 0,
      };
    });
    out.push({
      id: `${run.id}:${kind}`,
      title: run.name,
      kind,
      method: config.method ?? run.name,
      protocol: config.protocol ?? parsed[0]!.e.protocol,
      dataset: run.dataset ?? '',
      tasks,
      repeats,
      rows,
      createdAt: run.createdAt,
    });
  }
  return out;
}


export function decompositionView(run: RunRecord, evals: EvaluationRecord[], fallbackTasks: string[]): DecompositionView | null {
  const rows = evals.filter((e) => e.protocol === 'decompose');
  if (!rows.length) return null;
  const config = run.config as { method?: string; tasks?: string[] };
  const tasks = config.tasks ?? (fallbackTasks.length ? fallbackTasks : [...new Set(rows.map((e) => e.task))]);
  const components = {} as Record<RiskComponentName, (number | null)[]>;
  for (const c of RISK_COMPONENT_NAMES) components[c] = tasks.map((t) => r4(rows.find((e) => e.metric === snake(c) && e.task === t)?.value));
  const total = tasks.map((_, i) => {
    const parts = RISK_COMPONENT_NAMES.map((c) => components[c][i]);
    return parts.every((v) => v !== null) ? r4(parts.reduce<number>((a, b) => a + b!, 0)) : null;
  });
  return { id: run.id, title: run.name, method: config.method ?? run.name, dataset: run.dataset ?? '', tasks, components, total, createdAt: run.createdAt };
}

function studySummary(store: Store, s: StudyRecord): StudySummaryView {
  const cells = store.studyCells(s.id);
  const count = (st: string) => cells.filter((c) => c.status === st).length;
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    dataset: String((s.config as { dataset?: unknown }).dataset ?? ''),
    cells: cells.length,
    succeeded: count('succeeded'),
    failed: count('failed'),
    oom: count('oom'),
    pending: count('pending') + count('running'),
    createdAt: s.createdAt,
  };
}

export function createAnalysis(deps: AnalysisDeps): Analysis {
  let store: Store | null = null;
  const db = async (): Promise<Store> => {
    if (store) return store;
    const { openStore } = await import('../store/store.js');
    store = openStore(join(deps.workspace(), 'ecgfm.sqlite'));
    return store;
  };
  const evaluationsDir = () => join(deps.workspace(), 'evaluations');

  const openData = async (name: string): Promise<CachedDataset> => {
    const { openDataset } = await import('../data/registry.js');
    try {
      return openDataset(name);
    } catch (err) {
      throw new ServiceError('not-found', `Dataset "${name}" is not in the workspace (${message(err)}). Import it on the Datasets page.`);
    }
  };

  /** The folder of a pre-training run: the store's record, else `<runs>/<id>`. */
  const runDir = async (runId: string): Promise<string> => {
    const rec = (await db()).getRun(runId);
    const dir = rec?.dir ?? join(deps.runsDir(), runId);
    if (!existsSync(join(dir, 'config.json'))) throw new ServiceError('not-found', `Run ${runId} has no pre-training folder with a config.json, so it has no encoder to evaluate.`);
    return dir;
  };

  const encoderFor = async (runId: string | undefined): Promise<Encoder | null> => {
    if (!runId) return null;
    const { loadEncoder } = await import('../models/encoder.js');
    try {
      return await loadEncoder(await runDir(runId));
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      throw new ServiceError('invalid-input', `Run ${runId} cannot be used as an encoder: ${message(err)}.`);
    }
  };

  const recordRun = async (run: Parameters<Store['createRun']>[0]): Promise<RunRecord> => {
    const [{ initBackend }, { codeVersion }] = await Promise.all([import('../compute/backend.js'), import('../store/code-version.js')]);
    const backend = await initBackend();
    return (await db()).createRun({ backend: backend.description, codeVersion: codeVersion(), status: 'running', startedAt: new Date().toISOString(), ...run });
  };

  const finish = async (id: string, t0: number, status: 'succeeded' | 'failed' | 'cancelled', error: string | null = null) =>
    (await db()).updateRun(id, { status, error, finishedAt: new Date().toISOString(), elapsedMs: Date.now() - t0 });

  const handlers: AnalysisHandlers = {
    async listJobs() {
      return deps.jobs.list();
    },

    async cancelJob({ jobId }) {
      return { cancelled: deps.jobs.cancel(jobId) };
    },

    async startEvaluation(req) {
      const ds = await openData(req.dataset);
      const title = `${PROTOCOL_LABELS[req.protocol]} · ${req.runId ?? (req.model ? `P${req.model.patch} D${req.model.dim} L${req.model.depth} random init` : '')} · ${req.dataset}`;
      const id = `eval-${stamp()}-${req.protocol}-${rand()}`;
      if (req.runId) await runDir(req.runId);
      const job = deps.jobs.enqueue(
        'evaluation',
        title,
        async (ctx) => {
          const [{ evaluate }, { parseSplitSpec }, { evaluationRows }] = await Promise.all([
            import('../evaluation/evaluate.js'),
            import('../evaluation/splits.js'),
            import('../experiments/pipeline.js'),
          ]);
          const encoder = req.protocol === 'linear' || req.protocol === 'finetune' ? await encoderFor(req.runId) : null;
          const architecture = req.model ?? (encoder ? undefined : (await encoderFor(req.runId).then((e) => (e ? (e.dispose(), e.config) : undefined))));
          const run = await recordRun({ kind: req.protocol, name: title, dataset: req.dataset, seed: req.seed, parentRunId: req.runId ?? null, config: { protocol: req.protocol, tasks: req.tasks, split: req.split, model: architecture ?? encoder?.config, epochs: req.epochs ?? null } });
          const t0 = Date.now();
          try {
            const result = await evaluate({
              encoder,
              config: architecture,
              protocol: req.protocol,
              dataset: ds,
              tasks: req.tasks,
              split: parseSplitSpec(req.split, req.seed),
              seed: req.seed,
              ...(req.epochs ? { epochs: req.epochs } : {}),
              resamples: 200,
              signal: ctx.signal,
              onProgress: (p) => ctx.progress(p.total ? p.done / p.total : null, `${p.phase} ${p.done}/${p.total}`),
            });
            const view = evaluationView(id, title, req.runId ?? null, result);
            mkdirSync(evaluationsDir(), { recursive: true });
            writeFileSync(join(evaluationsDir(), `${id}.json`), JSON.stringify(view));
            (await db()).addEvaluations(run.id, evaluationRows(result, req.protocol));
            await finish(run.id, t0, 'succeeded');
            return id;
          } catch (err) {
            await finish(run.id, t0, ctx.signal.aborted ? 'cancelled' : 'failed', message(err));
            throw err;
          } finally {
            encoder?.dispose();
          }
        },
        id,
      );
      return { jobId: job.id };
    },

    async listEvaluations() {
      const dir = evaluationsDir();
      if (!existsSync(dir)) return [];
      const out: EvaluationSummaryView[] = [];
      for (const f of readdirSync(dir)) {
        if (!f.endsWith('.json')) continue;
        const v = readJson(join(dir, f)) as EvaluationView | null;
        if (v?.id) out.push({ id: v.id, title: v.title, protocol: v.protocol as ProtocolName, dataset: v.dataset, criteria: v.criteria, createdAt: v.createdAt });
      }
      return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },

    async getEvaluation({ id }) {
      const v = readJson(join(evaluationsDir(), `${id}.json`));
      if (!v) throw new ServiceError('not-found', `There is no evaluation ${id} in this workspace.`);
      return v as unknown as EvaluationView;
    },

    async studyPresets() {
      return STUDY_PRESETS;
    },

    async startStudy(req) {
      await openData(req.dataset);
      const s = await db();
      const { createStudy, runStudy, StudyInterrupted } = await import('../experiments/study.js');
      const config = studyConfigOf(req);
      let study: StudyRecord;
      try {
        study = createStudy(s, config);
      } catch (err) {
        throw new ServiceError('invalid-input', message(err));
      }
      const job = deps.jobs.enqueue(
        'study',
        `Study ${study.name}`,
        async (ctx) => {
          const { studyExecutor, onSlurm, cancelStudyTasks } = await import('../cluster/index.js');
          // Slurm: the host (on a login node) submits the array and watches it; Cancel runs scancel.
          const executor = studyExecutor(s, study.id, { executor: req.executor, settings: req.slurm });
          ctx.signal.addEventListener('abort', () => {
            if (ctx.signal.reason !== 'shutdown' && onSlurm(s, study.id)) void cancelStudyTasks(s, study).catch(() => {});
          }, { once: true });
          // The same line the terminal draws: the cell's step, samples/s and time left, and the study's estimate.
          const tracker = studyProgressTracker();
          let last = 0;
          try {
            await runStudy(s, study.id, executor, {
              signal: ctx.signal,
              onEvent: (e) => {
                const t = Date.now();
                tracker.update(e, t);
                if (e.type === 'cell-started') ctx.progress(tracker.fraction(), tracker.line(t, 0));
                else if (e.type === 'cell-progress') {
                  if (t - last < 250 && !(e.detail && e.detail.step === e.detail.total)) return;
                  last = t;
                  ctx.progress(tracker.fraction(), e.detail ? tracker.line(t, 0) : `${e.cell.key}: ${e.message}`);
                } else if (e.type === 'cell-finished') ctx.progress(tracker.fraction(), `${e.cell.key}: ${e.cell.status} in ${formatDuration(tracker.state.lastCellSeconds)}`, true);
              },
            });
          } catch (err) {
            if (!(err instanceof StudyInterrupted)) throw err;
          }
          return study.id;
        },
        study.id,
      );
      return { studyId: study.id, jobId: job.id };
    },

    async listStudies() {
      const s = await db();
      return s.listStudies().map((st) => studySummary(s, st));
    },

    async studyDetail({ study: idOrName }) {
      const s = await db();
      const { loadStudyData, allTables } = await import('../reports/tables.js');
      const study = s.getStudy(idOrName);
      if (!study) throw new ServiceError('not-found', `There is no study "${idOrName}" in this workspace.`);
      const cluster = await import('../cluster/index.js');
      let slurm = null;
      if (cluster.onSlurm(s, study.id)) {
        // Nobody watches a paused or submitted study: settle what finished (results merged) before showing it.
        if (study.status !== 'running') await cluster.refresh(s, study, { settings: cluster.latestSettings(s, study.id)!, resubmit: false }).catch(() => {});
        slurm = cluster.clusterCellViews(s, study);
      }
      const d = loadStudyData(s, study.id);
      const cells: CellView[] = d.cells.map((c) => ({
        index: c.cell.index,
        key: c.cell.key,
        method: c.cell.method,
        patch: c.cell.patch,
        depth: c.cell.depth,
        dim: c.cell.dim,
        status: c.cell.status,
        error: c.cell.error,
        runId: c.cell.runId,
        loss: r4(c.losses?.total),
        scores: Object.fromEntries(Object.entries(c.scores).map(([p, sc]) => [p, { auroc: sc.auroc, auprc: sc.auprc, criteria: r4(sc.criteria) }])),
      }));
      return { study: studySummary(s, study), config: studyConfigView(d.config), tasks: d.tasks, cells, slurm, tables: allTables(d) } satisfies StudyDetailView;
    },

    async startSimulation(req) {
      const ds = await openData(req.dataset);
      if (req.runId) await runDir(req.runId);
      const source = req.runId ? (await db()).getRun(req.runId) : null;
      const sourceModel = source?.config.model as { patch?: number; depth?: number; dim?: number } | undefined;
      // Legend names follow the paper: the SSL method, with the architecture when the run says it.
      const label =
        req.label ||
        (req.runId
          ? source && typeof source.config.method === 'string'
            ? `${source.config.method}${sourceModel?.patch ? ` P${sourceModel.patch} D${sourceModel.dim} L${sourceModel.depth}` : ''}`
            : req.runId
          : `${req.protocol === 'supervised' ? 'SL' : 'RAND'} P${req.model!.patch} D${req.model!.dim} L${req.model!.depth}`);
      const title = `${req.kind === 'data-usage' ? 'Data usage' : 'Case ratio'} · ${label} · ${PROTOCOL_LABELS[req.protocol]}`;
      const job = deps.jobs.enqueue('simulation', title, async (ctx) => {
        const [{ runSimulation }, { parseSplitSpec }] = await Promise.all([import('../evaluation/simulate.js'), import('../evaluation/splits.js')]);
        const wantsEncoder = req.protocol === 'linear' || req.protocol === 'finetune';
        const encoder = wantsEncoder ? await encoderFor(req.runId) : null;
        const architecture = req.model ?? (encoder ? encoder.config : await encoderFor(req.runId).then((e) => (e ? (e.dispose(), e.config) : undefined)));
        const key = req.kind === 'data-usage' ? 'usage' : 'case';
        const run = await recordRun({ kind: 'simulate', name: title, dataset: req.dataset, seed: req.seed, parentRunId: req.runId ?? null, config: { method: label, simulation: req.kind, protocol: req.protocol, tasks: req.tasks, percents: req.percents, repeats: req.repeats, split: req.split } });
        const t0 = Date.now();
        try {
          const result = await runSimulation({
            kind: req.kind,
            levels: req.percents.map((p) => p / 100),
            repeats: req.repeats,
            encoder,
            config: architecture,
            protocol: req.protocol,
            dataset: ds,
            tasks: req.tasks,
            split: parseSplitSpec(req.split, req.seed),
            seed: req.seed,
            ...(req.epochs ? { epochs: req.epochs } : {}),
            resamples: 50,
            signal: ctx.signal,
            onProgress: (p) => ctx.progress(p.cells ? (p.cell + (p.inner.total ? p.inner.done / p.inner.total : 0)) / p.cells : null, `${(p.level * 100).toFixed(0)}% repeat ${p.repeat + 1}: ${p.inner.phase}`),
          });
          const s = await db();
          for (const c of result.cells) {
            const condition = `${key}=${Number((c.level * 100).toFixed(2))}#r${c.repeat}`;
            s.addEvaluations(run.id, req.tasks.flatMap((task, t) => [
              { task, protocol: result.protocol, metric: 'auroc', value: c.auroc[t] ?? null, condition },
              { task, protocol: result.protocol, metric: 'auprc', value: c.auprc[t] ?? null, condition },
            ]));
          }
          const trainSizes = Object.fromEntries(result.rows.map((r) => [`${key}=${Number((r.level * 100).toFixed(2))}`, r.trainSize]));
          s.updateRun(run.id, { config: { ...run.config, trainSizes } });
          await finish(run.id, t0, 'succeeded');
          return `${run.id}:${req.kind}`;
        } catch (err) {
          await finish(run.id, t0, ctx.signal.aborted ? 'cancelled' : 'failed', message(err));
          throw err;
        } finally {
          encoder?.dispose();
        }
      });
      return { jobId: job.id };
    },

    async listSimulations() {
      const s = await db();
      const out: SimulationView[] = [];
      for (const run of s.listRuns({ kind: 'simulate', status: 'succeeded' })) {
        const studyTasks = run.studyId ? ((s.getStudy(run.studyId)?.config as { tasks?: string[] } | undefined)?.tasks ?? []) : [];
        out.push(...simulationViews(run, s.evaluations({ runId: run.id }), studyTasks));
      }
      return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },

    async startDecomposition(req) {
      const ds = await openData(req.dataset);
      const dir = await runDir(req.runId);
      const saved = readJson(join(dir, 'config.json')) as { input?: Record<string, unknown>; resolved?: { method?: string } } | null;
      if (!saved?.input) throw new ServiceError('invalid-input', `Run ${req.runId} has no engine input in its config.json; risk decomposition needs to pre-train it again with the test inputs.`);
      const method = String(saved.input.method ?? saved.resolved?.method ?? '').toUpperCase() || req.runId;
      const title = `Risk decomposition · ${req.runId}`;
      const job = deps.jobs.enqueue('decomposition', title, async (ctx) => {
        const [{ riskDecomposition }, { parseSplitSpec, makeSplit }, { loadEncoder }, { pretrain }] = await Promise.all([
          import('../evaluation/risk.js'),
          import('../evaluation/splits.js'),
          import('../models/encoder.js'),
          import('../training/pretrain.js'),
        ]);
        const split = makeSplit(ds, parseSplitSpec(req.split, req.seed), req.tasks);
        const run = await recordRun({ kind: 'decompose', name: title, dataset: req.dataset, seed: req.seed, parentRunId: req.runId, config: { method, tasks: req.tasks, split: req.split } });
        const t0 = Date.now();
        try {
          const result = await riskDecomposition({
            dataset: ds,
            tasks: req.tasks,
            split,
            seed: req.seed,
            probeEpochs: req.probeEpochs,
            supervisedEpochs: req.supervisedEpochs,
            resamples: 50,
            onProgress: (p) => ctx.progress((p.setting - 1) / 4, `setting ${p.setting}: ${p.title}`),
            pretrainEncoder: async (extra) => {
              if (!extra) return loadEncoder(dir);
              // Setting 2: the same pre-training on the training inputs plus the test inputs (never their labels).
              const withTest = `${req.runId}-with-test-${rand()}`;
              const r = await pretrain({ ...(saved.input as object), indices: [...split.train, ...extra], runId: withTest, resume: false } as Parameters<typeof pretrain>[0], { shouldStop: () => ctx.signal.aborted });
              return loadEncoder(r.runDir);
            },
          });
          (await db()).addEvaluations(run.id, RISK_COMPONENT_NAMES.flatMap((c) => req.tasks.map((task, t) => ({ task, protocol: 'decompose', metric: snake(c), value: result.components[c][t] ?? null }))));
          await finish(run.id, t0, 'succeeded');
          return run.id;
        } catch (err) {
          await finish(run.id, t0, ctx.signal.aborted ? 'cancelled' : 'failed', message(err));
          throw err;
        }
      });
      return { jobId: job.id };
    },

    async listDecompositions() {
      const s = await db();
      const out: DecompositionView[] = [];
      for (const run of s.listRuns({ kind: 'decompose', status: 'succeeded' })) {
        const studyTasks = run.studyId ? ((s.getStudy(run.studyId)?.config as { tasks?: string[] } | undefined)?.tasks ?? []) : [];
        const v = decompositionView(run, s.evaluations({ runId: run.id }), studyTasks);
        if (v) out.push(v);
      }
      return out;
    },

    async listAllRuns() {
      const s = await db();
      const out = new Map<string, AnyRunView>();
      const dir = deps.runsDir();
      if (existsSync(dir)) {
        for (const id of readdirSync(dir)) {
          const cfg = join(dir, id, 'config.json');
          if (!existsSync(cfg)) continue;
          const c = readJson(cfg) ?? {};
          const input = (c.input ?? c) as Record<string, unknown>;
          out.set(id, { id, name: id, kind: 'pretrain', status: existsSync(join(dir, id, 'checkpoints')) ? 'folder' : 'incomplete', dataset: typeof input.dataset === 'string' ? input.dataset : null, studyId: null, createdAt: statSync(cfg).mtime.toISOString() });
        }
      }
      for (const r of s.listRuns()) out.set(r.id, { id: r.id, name: r.name, kind: r.kind, status: r.status, dataset: r.dataset, studyId: r.studyId, createdAt: r.createdAt });
      return [...out.values()].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    },

    async compareRuns({ runIds }) {
      const s = await db();
      const runs: CompareRunView[] = runIds.map((id) => {
        const rec = s.getRun(id);
        const folder = rec?.dir ?? join(deps.runsDir(), id);
        const disk = readJson(join(folder, 'config.json'));
        if (!rec && !disk) throw new ServiceError('not-found', `There is no run ${id} in the store or under ${deps.runsDir()}.`);
        // The engine's resolved settings say what actually ran; the store's config says how the study asked.
        const config = flatten({ ...(rec ? { kind: rec.kind, dataset: rec.dataset, seed: rec.seed, parent: rec.parentRunId, ...rec.config } : {}), ...(disk ? { resolved: disk.resolved ?? disk.input ?? disk, model: disk.model ?? rec?.config.model } : {}) });
        delete config['resolved.runId'];
        delete config['resolved.resume'];
        const metrics: Record<string, number | null> = {};
        const losses: Record<string, [number, number][]> = {};
        if (rec) {
          // A pre-training run's scores live on its downstream runs.
          const scored = [rec, ...s.listRuns({ parentRunId: id }).filter((r) => r.kind !== 'simulate' && r.kind !== 'decompose')];
          for (const e of scored.flatMap((r) => s.evaluations({ runId: r.id }))) if (e.split !== 'val' && (e.metric === 'auroc' || e.metric === 'auprc' || e.metric === 'criteria' || e.metric === 'f1')) metrics[`${e.metric} ${e.task}${e.protocol ? ` (${e.protocol})` : ''}${e.condition ? ` [${e.condition}]` : ''}`] = r4(e.value);
          for (const [k, v] of Object.entries(s.finalMetrics(id))) if (k !== 'lr') metrics[`final loss ${k}`] = r4(v);
          for (const p of s.metricSeries(id)) if (p.name !== 'lr') (losses[p.name] ??= []).push([p.step, p.value]);
        }
        if (!Object.keys(losses).length) {
          for (const p of readMetrics(join(folder, 'metrics.jsonl'))) for (const [k, v] of Object.entries(p.losses)) (losses[k] ??= []).push([p.step, v]);
        }
        for (const k of Object.keys(losses)) losses[k] = thin(losses[k]!);
        return { id, name: rec?.name ?? id, kind: rec?.kind ?? 'pretrain', status: rec?.status ?? 'folder', config, metrics, losses };
      });
      return { runs, differing: differingKeys(runs.map((r) => r.config)) };
    },
  };

  return {
    handlers,
    close() {
      store?.close();
      store = null;
    },
  };
}
