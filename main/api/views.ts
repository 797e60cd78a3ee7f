/**
 * Pure mappings from engine results and store rows to the contract's views (evaluations, simulations, risk
 * decompositions, studies, compare), shared by the service and the job kinds that write view files.
 */
import type {
  DecompositionView,
  EvaluationView,
  RiskComponentName,
  SimulationView,
  StudyConfigView,
  StudyPresetView,
  StudySummaryView,
  TaskResultView,
} from '../../contract/api.js';
import { RISK_COMPONENT_NAMES, riskMetricName as snake } from '../../contract/api.js';
import type { EvaluationResult } from '../evaluation/evaluate.js';
import type { StudyConfig } from '../experiments/grid.js';
import { studyPresets } from '../resources.js';
import type { Store } from '../store/store.js';
import type { EvaluationRecord, RunRecord, StudyRecord } from '../store/types.js';

export const r4 = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1e4) / 1e4);

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
    ...(v.pretrainDatasets?.length ? { pretrainDatasets: v.pretrainDatasets } : {}),
    ...(v.sourceWeights ? { sourceWeights: v.sourceWeights } : {}),
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
    ...(c.pretrainDatasets?.length ? { pretrainDatasets: c.pretrainDatasets } : {}),
    ...(c.sourceWeights ? { sourceWeights: c.sourceWeights } : {}),
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
export function thin<T>(xs: T[], max = 400): T[] {
  if (xs.length <= max) return xs;
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(xs[Math.round((k * (xs.length - 1)) / (max - 1))]!);
  return out;
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

export function studySummary(store: Store, s: StudyRecord): StudySummaryView {
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

