/**
 * The paper's tables, computed from the store alone: pre-training losses (Table 3, Appendix 1–3), linear probing and
 * fine-tuning (Tables 4–5, Appendix 4–9), simulations (Tables 6–7) and risk decomposition (Table 8).
 */
import type { Store } from '../store/store.js';
import type { CellRecord, EvaluationRecord, RunRecord, StudyRecord } from '../store/types.js';
import type { StudyConfig } from '../experiments/grid.js';
import { BASELINE_LABELS, RISK_COMPONENT_NAMES, RISK_COMPONENT_TITLES, riskMetricName } from '../../contract/vocabulary.js';

export type Cell = string | number | null;

export interface Table {
  /** File stem, e.g. `table4_linear_probing`. */
  id: string;
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface LossSummary {
  total: number | null;
  patient: number | null;
  sample: number | null;
  recon: number | null;
}

/** Downstream metrics of one cell under one protocol: auroc/auprc by task, criteria = Σ AUROC + Σ AUPRC. */
export interface ScoreSummary {
  auroc: Record<string, number | null>;
  auprc: Record<string, number | null>;
  ci: Record<string, [number | null, number | null]>;
  criteria: number | null;
}

export interface CellResult {
  cell: CellRecord;
  losses: LossSummary | null;
  /** By protocol: linear, finetune (SSL cells); random-linear (RAND); supervised (SL). */
  scores: Record<string, ScoreSummary>;
  runs: RunRecord[];
}

export interface StudyData {
  study: StudyRecord;
  config: StudyConfig;
  tasks: string[];
  cells: CellResult[];
  evaluations: EvaluationRecord[];
  runs: RunRecord[];
}

/**
 * Loss series names differ by engine version; classify them by name. `total` is the objective the method
 * minimises (for GL the reconstruction loss itself).
 */
export function summariseLosses(final: Record<string, number>): LossSummary | null {
  const names = Object.keys(final);
  if (!names.length) return null;
  const find = (re: RegExp) => {
    const n = names.find((x) => re.test(x));
    return n === undefined ? null : final[n]!;
  };
  const patient = find(/patient/i);
  const sample = find(/sample|instance/i);
  const recon = find(/recon|mae|generative/i);
  let total = find(/^(loss|total|loss[._/-]?total|total[._/-]?loss)$/i);
  if (total === null) {
    const parts = [patient, sample, recon].filter((x): x is number => x !== null);
    total = parts.length ? parts.reduce((a, b) => a + b, 0) : null;
  }
  return { total, patient, sample, recon };
}

function scoreSummary(evals: EvaluationRecord[], tasks: string[]): ScoreSummary {
  const auroc: Record<string, number | null> = {};
  const auprc: Record<string, number | null> = {};
  const ci: Record<string, [number | null, number | null]> = {};
  for (const t of tasks) {
    const a = evals.find((e) => e.task === t && e.metric === 'auroc');
    const p = evals.find((e) => e.task === t && e.metric === 'auprc');
    auroc[t] = a?.value ?? null;
    auprc[t] = p?.value ?? null;
    ci[t] = [a?.ciLow ?? null, a?.ciHigh ?? null];
  }
  const all = [...Object.values(auroc), ...Object.values(auprc)];
  const criteria = all.every((v) => v !== null) ? all.reduce<number>((s, v) => s + v!, 0) : null;
  return { auroc, auprc, ci, criteria };
}

export function loadStudyData(store: Store, studyIdOrName: string): StudyData {
  const study = store.getStudy(studyIdOrName);
  if (!study) throw new Error(`No study "${studyIdOrName}" in the store; \`ecgfm study status\` lists the studies.`);
  const config = study.config as unknown as StudyConfig;
  const runs = store.listRuns({ studyId: study.id });
  const evaluations = store.evaluations({ studyId: study.id });
  const tasks = config.tasks ?? [...new Set(evaluations.map((e) => e.task))];
  const cells = store.studyCells(study.id).map((cell): CellResult => {
    const cellRuns = runs.filter((r) => r.cellIndex === cell.index);
    const pre = cellRuns.find((r) => r.kind === 'pretrain');
    const scores: Record<string, ScoreSummary> = {};
    for (const r of cellRuns) {
      if (r.kind === 'pretrain' || r.kind === 'simulate' || r.kind === 'decompose') continue;
      const ev = evaluations.filter((e) => e.runId === r.id && e.condition === '');
      if (ev.length) scores[r.kind] = scoreSummary(ev, tasks);
    }
    return { cell, losses: pre ? summariseLosses(store.finalMetrics(pre.id)) : null, scores, runs: cellRuns };
  });
  return { study, config, tasks, cells, evaluations, runs };
}

const round = (v: number | null | undefined, digits = 4): Cell => (v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(digits)));

/** What a table shows for a cell without results: the paper writes OOM; we also say failed or pending. */
function statusMark(c: CellRecord): string {
  return c.status === 'oom' ? 'OOM' : c.status === 'failed' ? 'failed' : c.status === 'succeeded' ? 'n/a' : c.status;
}

const methodName: Record<string, string> = {
  CL: 'CL (Contrastive Learning)',
  GL: 'GL (Generative Learning)',
  HL: 'HL (Hybrid Learning)',
  ...BASELINE_LABELS,
};

function bestBy<T>(xs: T[], key: (x: T) => number | null, mode: 'min' | 'max'): T | null {
  let best: T | null = null;
  let bestV = mode === 'min' ? Infinity : -Infinity;
  for (const x of xs) {
    const v = key(x);
    if (v === null || !Number.isFinite(v)) continue;
    if (mode === 'min' ? v < bestV : v > bestV) {
      best = x;
      bestV = v;
    }
  }
  return best;
}

function lossRow(l: LossSummary): Cell[] {
  return [round(l.total), round(l.patient), round(l.sample), round(l.recon)];
}

export function pretrainingTables(d: StudyData): Table[] {
  const lossCols = ['Total loss', 'Patient loss', 'Sample loss', 'Reconstruction loss'];
  const ssl = d.config.methods ?? [];
  const best: Cell[][] = [];
  for (const m of ssl) {
    const b = bestBy(d.cells.filter((c) => c.cell.method === m && c.losses), (c) => c.losses!.total, 'min');
    if (b) best.push([methodName[m] ?? m, b.cell.patch, b.cell.depth, b.cell.dim, ...lossRow(b.losses!)]);
  }
  const tables: Table[] = [
    { id: 'table3_pretraining_losses', title: 'Table 3: Variation in losses of foundation models by learning method (lowest total loss per method).', columns: ['Method', 'Patch', 'Depth', 'Dim', ...lossCols], rows: best },
  ];
  ssl.forEach((m, i) => {
    const rows = d.cells
      .filter((c) => c.cell.method === m)
      .map((c, k): Cell[] => [k, c.cell.patch, c.cell.depth, c.cell.dim, ...(c.losses ? lossRow(c.losses) : [statusMark(c.cell), null, null, null])]);
    tables.push({ id: `appendix_table${i + 1}_${m}_pretraining`, title: `Appendix Table ${i + 1}: The results of ${m}-based foundation models.`, columns: ['Case', 'Windows', 'Depth', 'Dims', ...lossCols], rows });
  });
  return tables;
}

function scoreColumns(tasks: string[]): string[] {
  return [...tasks.map((t) => `AUROC ${t}`), ...tasks.map((t) => `AUPRC ${t}`), 'Criteria'];
}

function scoreRow(s: ScoreSummary, tasks: string[]): Cell[] {
  return [...tasks.map((t) => round(s.auroc[t])), ...tasks.map((t) => round(s.auprc[t])), round(s.criteria)];
}

export function downstreamTables(d: StudyData): Table[] {
  const tasks = d.tasks;
  const tables: Table[] = [];
  const bestOf = (method: string, protocol: string) =>
    bestBy(d.cells.filter((c) => c.cell.method === method && c.scores[protocol]), (c) => c.scores[protocol]!.criteria ?? mean(Object.values(c.scores[protocol]!.auroc)), 'max');
  const header = ['Method', 'Patch', 'Depth', 'Dim', ...scoreColumns(tasks)];

  // Table 4: linear probing, Random Init as the baseline.
  const t4: Cell[][] = [];
  const rand = bestOf('RAND', 'random-linear');
  if (rand) t4.push([methodName.RAND!, '-', '-', '-', ...scoreRow(rand.scores['random-linear']!, tasks)]);
  for (const m of d.config.methods ?? []) {
    const b = bestOf(m, 'linear');
    if (b) t4.push([methodName[m] ?? m, b.cell.patch, b.cell.depth, b.cell.dim, ...scoreRow(b.scores.linear!, tasks)]);
  }
  tables.push({ id: 'table4_linear_probing', title: 'Table 4: Best performance of linear-probed downstream models per SSL method, with Random Init as the baseline.', columns: header, rows: t4 });

  // Table 5: fine-tuning, SL as the baseline at the architectures the SSL methods chose.
  const t5: Cell[][] = [];
  const bestFt = (d.config.methods ?? []).map((m) => [m, bestOf(m, 'finetune')] as const);
  const slRows = new Set<string>();
  for (const [, b] of bestFt) {
    if (!b) continue;
    const sl = d.cells.find((c) => c.cell.method === 'SL' && c.cell.patch === b.cell.patch && c.cell.depth === b.cell.depth && c.cell.dim === b.cell.dim && c.scores.supervised);
    if (sl && !slRows.has(sl.cell.key)) {
      slRows.add(sl.cell.key);
      t5.push([methodName.SL!, sl.cell.patch, sl.cell.depth, sl.cell.dim, ...scoreRow(sl.scores.supervised!, tasks)]);
    }
  }
  if (!slRows.size) {
    const sl = bestOf('SL', 'supervised');
    if (sl) t5.push([methodName.SL!, sl.cell.patch, sl.cell.depth, sl.cell.dim, ...scoreRow(sl.scores.supervised!, tasks)]);
  }
  // The CNN a group would train instead (not in the paper): a reference row with no ViT architecture.
  const cnn = bestOf('RESNET', 'resnet1d');
  if (cnn) t5.push([methodName.RESNET!, '-', '-', '-', ...scoreRow(cnn.scores.resnet1d!, tasks)]);
  for (const [m, b] of bestFt) if (b) t5.push([methodName[m] ?? m, b.cell.patch, b.cell.depth, b.cell.dim, ...scoreRow(b.scores.finetune!, tasks)]);
  tables.push({ id: 'table5_fine_tuning', title: `Table 5: Best performance of fine-tuned downstream models per SSL method, with SL as the baseline${cnn ? ' (and the 1-D ResNet CNN for reference)' : ''}.`, columns: header, rows: t5 });

  // Appendix Tables 4–9: every cell.
  const perCell = ['Case', 'Windows', 'Depth', 'Dims', ...scoreColumns(tasks)];
  const methods = d.config.methods ?? [];
  const appendix = (protocol: 'linear' | 'finetune', first: number, label: string) =>
    methods.forEach((m, i) => {
      const rows = d.cells
        .filter((c) => c.cell.method === m)
        .map((c, k): Cell[] => {
          const s = c.scores[protocol];
          return [k, c.cell.patch, c.cell.depth, c.cell.dim, ...(s ? scoreRow(s, tasks) : [statusMark(c.cell), ...Array(tasks.length * 2).fill(null)])];
        });
      tables.push({ id: `appendix_table${first + i}_${m}_${protocol === 'linear' ? 'linear_probing' : 'fine_tuning'}`, title: `Appendix Table ${first + i}: The ${label} results of ${m}-based foundation models.`, columns: perCell, rows });
    });
  appendix('linear', 4, 'linear probing');
  appendix('finetune', 7, 'fine-tuning');
  return tables;
}

function mean(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

function sd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Conditions look like `usage=10#r0` or `case=5#r1`: the setting and the repeat. */
export function parseCondition(condition: string): { kind: string; value: number; repeat: number } | null {
  const m = /^(\w+)=([\d.]+)(?:#r(\d+))?$/.exec(condition);
  return m ? { kind: m[1]!, value: Number(m[2]), repeat: Number(m[3] ?? 0) } : null;
}

export function simulationTables(d: StudyData): Table[] {
  const tasks = d.tasks;
  const simRuns = d.runs.filter((r) => r.kind === 'simulate');
  const out: Table[] = [];
  for (const [kind, id, title, label] of [
    ['usage', 'table6_data_usage', 'Table 6: Fine-tuned downstream models by percentage of labelled data used (mean over repeats; _sd columns give the standard deviation).', 'Data Usage (%)'],
    ['case', 'table7_case_ratio', 'Table 7: Fine-tuned downstream models by case ratio (mean over repeats; _sd columns give the standard deviation).', 'Case Ratio (%)'],
  ] as const) {
    const rows: Cell[][] = [];
    const methods = ['SL', ...(d.config.methods ?? [])];
    for (const method of methods) {
      const runIds = new Set(simRuns.filter((r) => (r.config as { method?: string }).method === method).map((r) => r.id));
      const evals = d.evaluations.filter((e) => runIds.has(e.runId)).map((e) => ({ e, c: parseCondition(e.condition) })).filter((x) => x.c?.kind === kind);
      const values = [...new Set(evals.map((x) => x.c!.value))].sort((a, b) => b - a);
      for (const v of values) {
        const at = evals.filter((x) => x.c!.value === v);
        const repeats = [...new Set(at.map((x) => x.c!.repeat))];
        const metric = (metricName: string, task: string) => at.filter((x) => x.e.metric === metricName && x.e.task === task && x.e.value !== null).map((x) => x.e.value!);
        const criteriaPerRepeat = repeats
          .map((r) => {
            const vals = at.filter((x) => x.c!.repeat === r && (x.e.metric === 'auroc' || x.e.metric === 'auprc') && tasks.includes(x.e.task)).map((x) => x.e.value);
            return vals.length === tasks.length * 2 && vals.every((x) => x !== null) ? vals.reduce<number>((s, x) => s + x!, 0) : null;
          })
          .filter((x): x is number => x !== null);
        const means = [...tasks.map((t) => round(mean(metric('auroc', t)))), ...tasks.map((t) => round(mean(metric('auprc', t)))), round(mean(criteriaPerRepeat))];
        const sds = [...tasks.map((t) => round(sd(metric('auroc', t)))), ...tasks.map((t) => round(sd(metric('auprc', t)))), round(sd(criteriaPerRepeat))];
        rows.push([method, `${v}%`, repeats.length, ...means, ...sds]);
      }
    }
    const cols = scoreColumns(tasks);
    out.push({ id, title, columns: ['Method', label, 'Repeats', ...cols, ...cols.map((c) => `${c}_sd`)], rows });
  }
  return out;
}

/** Risk components as the store spells their metric rows (`probe_generalization`). */
export const RISK_COMPONENTS = RISK_COMPONENT_NAMES.map(riskMetricName);
const riskLabel: Record<string, string> = Object.fromEntries(RISK_COMPONENT_NAMES.map((c) => [riskMetricName(c), RISK_COMPONENT_TITLES[c]]));

export function riskTable(d: StudyData): Table {
  const tasks = d.tasks;
  const decomp = d.runs.filter((r) => r.kind === 'decompose');
  const columns = ['Method', ...RISK_COMPONENTS.flatMap((c) => [...tasks.map((t) => `${riskLabel[c]} ${t}`), `${riskLabel[c]} AVR.`])];
  const rows: Cell[][] = [];
  for (const method of d.config.methods ?? []) {
    const runIds = new Set(decomp.filter((r) => (r.config as { method?: string }).method === method).map((r) => r.id));
    const evals = d.evaluations.filter((e) => runIds.has(e.runId) && e.protocol === 'decompose');
    if (!evals.length) continue;
    const row: Cell[] = [method];
    for (const c of RISK_COMPONENTS) {
      const vals = tasks.map((t) => evals.find((e) => e.metric === c && e.task === t)?.value ?? null);
      row.push(...vals.map((v) => round(v)), round(mean(vals)));
    }
    rows.push(row);
  }
  return { id: 'table8_risk_decomposition', title: 'Table 8: Risk decomposition of the fine-tuned downstream models (error = 1 − AUROC).', columns, rows };
}

export function allTables(d: StudyData): Table[] {
  return [...pretrainingTables(d), ...downstreamTables(d), ...simulationTables(d), riskTable(d)];
}

export function toCsv(t: Table): string {
  const esc = (v: Cell) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.columns.map(esc).join(','), ...t.rows.map((r) => r.map(esc).join(','))].join('\n') + '\n';
}
