/**
 * Scoring a finished (or partial) cohort run: thresholds from the chosen operating rule, predictions per record ×
 * task, and with labels AUROC/AUPRC with bootstrap CIs, the confusion matrix and rates at the operating point,
 * calibration, and subgroups by age band and sex. Thresholds come from the package's calibration (validation)
 * split unless the user explicitly asks to choose them on the evaluated cohort; the report says which.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auroc, averagePrecision, macroMetrics, taskMetrics, type Interval as CiInterval, type MacroMetrics, type PrCurve, type RocCurve } from '../evaluation/metrics.js';
import {
  ageBand,
  AGE_BANDS,
  calibration,
  chooseThreshold,
  describeRule,
  operatingPoint,
  sexGroup,
  type Calibration,
  type OperatingPoint,
  type OperatingRule,
} from './metrics.js';
import type { PackageHeader } from './package.js';
import { csvCell, RUN_FILE, SCORES_FILE, splitCsvLine, UNREADABLE_FILE, type SeenOverlap } from './run.js';

export type ThresholdSource = 'calibration' | 'cohort';

export interface ScoreOptions {
  /** Operating rule; absent = the package's stored thresholds. */
  rule?: OperatingRule;
  /** 'cohort' chooses thresholds on the evaluated cohort itself: only when the user asks, and flagged. */
  thresholdsOn?: ThresholdSource;
  resamples?: number;
  seed?: number;
}

export interface SubgroupRow {
  by: 'age' | 'sex';
  group: string;
  n: number;
  positives: number;
  auroc: number;
  auprc: number;
  sensitivity: number;
  specificity: number;
}

export interface ClinicalTaskResult {
  task: string;
  n: number;
  /** Null when the cohort has no labels for the task. */
  positives: number | null;
  predictedPositive: number;
  threshold: number;
  thresholdNote: string;
  auroc?: number;
  auprc?: number;
  aurocCi?: CiInterval;
  auprcCi?: CiInterval;
  roc?: RocCurve;
  pr?: PrCurve;
  operatingPoint?: OperatingPoint;
  calibration?: Calibration;
  subgroups?: SubgroupRow[];
}

export interface CohortRecordRow {
  id: string;
  patientId: string;
  age: string;
  sex: string;
  labels: Array<number | null>;
  scores: number[];
}

export interface ClinicalMetrics {
  cohort: string;
  model: { path: string; tasks: string[]; weightsSha256: string };
  engine: string;
  summary: {
    scored: number;
    unreadable: number;
    unreadableExamples: Array<{ id: string; problem: string }>;
    ageBands: Record<string, number>;
    sex: Record<string, number>;
    labelled: boolean;
  };
  thresholdsChosenOn: string;
  /** How the cohort was read that the reader must know (a --kind that disagrees with the folder). */
  warnings?: string[];
  /** Cohort records the package had seen in training or calibration; null for runs made before it was checked. */
  overlap: SeenOverlap | null;
  /**
   * Macro AUROC, macro AUPRC and the paper's criteria (Σ AUROC + Σ AUPRC) over the tasks labelled in the cohort,
   * with joint bootstrap CIs; null when no task has labels of both classes (absent in runs scored before it existed).
   */
  macro?: MacroMetrics | null;
  tasks: ClinicalTaskResult[];
  createdAt: string;
}

export function readScores(outDir: string, tasks: string[]): CohortRecordRow[] {
  const text = readFileSync(join(outDir, SCORES_FILE), 'utf8');
  const lines = text.split('\n').filter(Boolean);
  const header = splitCsvLine(lines[0] ?? '');
  const at = (name: string) => {
    const k = header.indexOf(name);
    if (k < 0) throw new Error(`${join(outDir, SCORES_FILE)}: column ${name} is missing`);
    return k;
  };
  const labelCols = tasks.map((t) => at(`label_${t}`));
  const scoreCols = tasks.map((t) => at(`score_${t}`));
  const rows: CohortRecordRow[] = [];
  for (const line of lines.slice(1)) {
    const c = splitCsvLine(line);
    if (c.length !== header.length) continue; // A torn line from a kill; the next run re-scores it.
    rows.push({
      id: c[0] as string,
      patientId: c[1] as string,
      age: c[2] as string,
      sex: c[3] as string,
      labels: labelCols.map((k) => (c[k] === '' ? null : Number(c[k]))),
      scores: scoreCols.map((k) => Number(c[k])),
    });
  }
  return rows;
}

function readUnreadable(outDir: string): Array<{ id: string; problem: string }> {
  const lines = readFileSync(join(outDir, UNREADABLE_FILE), 'utf8').split('\n').filter(Boolean).slice(1);
  return lines.map((l) => {
    const c = splitCsvLine(l);
    return { id: c[0] as string, problem: c[2] as string };
  });
}

function subgroups(rows: CohortRecordRow[], t: number, threshold: number): SubgroupRow[] {
  const out: SubgroupRow[] = [];
  const groupings: Array<['age' | 'sex', (r: CohortRecordRow) => string | null, readonly string[]]> = [
    ['age', (r) => ageBand(r.age), AGE_BANDS],
    ['sex', (r) => sexGroup(r.sex), ['female', 'male']],
  ];
  for (const [by, key, order] of groupings) {
    for (const group of order) {
      const sel = rows.filter((r) => key(r) === group && r.labels[t] !== null);
      if (sel.length === 0) continue;
      const y = sel.map((r) => r.labels[t] as number);
      const s = sel.map((r) => r.scores[t] as number);
      const op = operatingPoint(y, s, threshold, '', '');
      out.push({
        by,
        group,
        n: sel.length,
        positives: y.reduce((a, b) => a + b, 0),
        auroc: auroc(y, s),
        auprc: averagePrecision(y, s),
        sensitivity: op.sensitivity,
        specificity: op.specificity,
      });
    }
  }
  return out;
}

export function scoreCohortRun(outDir: string, header: PackageHeader, opts: ScoreOptions = {}): ClinicalMetrics {
  const tasks = header.tasks.map((t) => t.name);
  const run = JSON.parse(readFileSync(join(outDir, RUN_FILE), 'utf8')) as {
    model: { path: string };
    cohortDescription: string;
    engine: string;
    overlap?: SeenOverlap;
    warnings?: string[];
  };
  const rows = readScores(outDir, tasks);
  const unreadable = readUnreadable(outDir);
  const on = opts.thresholdsOn ?? 'calibration';
  const results: ClinicalTaskResult[] = tasks.map((task, t) => {
    const labelled = rows.filter((r) => r.labels[t] !== null);
    const y = labelled.map((r) => r.labels[t] as number);
    const s = labelled.map((r) => r.scores[t] as number);
    let threshold: number;
    let note: string;
    if (!opts.rule) {
      const spec = header.tasks[t]!;
      threshold = spec.threshold;
      note = `package threshold: ${spec.thresholdRule}`;
    } else if (opts.rule.kind === 'fixed') {
      threshold = opts.rule.threshold;
      note = describeRule(opts.rule);
    } else if (on === 'cohort') {
      threshold = chooseThreshold(y, s, opts.rule);
      note = `${describeRule(opts.rule)} chosen ON THE EVALUATED COHORT ITSELF (at the user's request; optimistic)`;
    } else {
      const cal = header.calibration;
      threshold = chooseThreshold(cal.labels[t]!, cal.scores[t]!, opts.rule);
      note = `${describeRule(opts.rule)} on the calibration split (${cal.description})`;
    }
    const predictedPositive = rows.filter((r) => (r.scores[t] as number) >= threshold).length;
    const base: ClinicalTaskResult = { task, n: rows.length, positives: null, predictedPositive, threshold, thresholdNote: note };
    if (labelled.length === 0) return base;
    const m = taskMetrics(task, y, s, { threshold, resamples: opts.resamples ?? 1000, seed: opts.seed ?? 0 });
    return {
      ...base,
      n: labelled.length,
      positives: m.positives,
      auroc: m.auroc,
      auprc: m.auprc,
      aurocCi: m.aurocCi,
      auprcCi: m.auprcCi,
      roc: m.roc,
      pr: m.pr,
      operatingPoint: operatingPoint(y, s, threshold, note, on === 'cohort' && opts.rule ? 'evaluated cohort' : 'calibration split'),
      calibration: calibration(y, s),
      subgroups: subgroups(rows, t, threshold),
    };
  });

  const macro = macroMetrics(
    tasks.map((task, t) => ({ task, labels: rows.map((r) => r.labels[t] ?? null), scores: rows.map((r) => r.scores[t] as number) })),
    { resamples: opts.resamples ?? 1000, seed: opts.seed ?? 0 },
  );
  const ageBands: Record<string, number> = {};
  const sex: Record<string, number> = {};
  for (const r of rows) {
    const a = ageBand(r.age) ?? 'unknown';
    ageBands[a] = (ageBands[a] ?? 0) + 1;
    const g = sexGroup(r.sex) ?? 'unknown';
    sex[g] = (sex[g] ?? 0) + 1;
  }
  const metrics: ClinicalMetrics = {
    cohort: run.cohortDescription,
    model: { path: run.model.path, tasks, weightsSha256: header.weightsSha256 },
    engine: run.engine,
    summary: {
      scored: rows.length,
      unreadable: unreadable.length,
      unreadableExamples: unreadable.slice(0, 50),
      ageBands,
      sex,
      labelled: results.some((r) => r.positives !== null),
    },
    thresholdsChosenOn: !opts.rule ? 'package (calibration split at export)' : opts.rule.kind === 'fixed' ? 'fixed by the user' : on === 'cohort' ? 'the evaluated cohort itself (user request)' : 'calibration split',
    warnings: run.warnings ?? [],
    overlap: run.overlap ?? null,
    macro: macro.tasks.length ? macro : null,
    tasks: results,
    createdAt: new Date().toISOString(),
  };
  writeFileSync(join(outDir, 'metrics.json'), JSON.stringify(metrics, null, 2));
  writePredictions(outDir, rows, results);
  return metrics;
}

/** predictions.csv: one line per record × task with the threshold and the call. */
function writePredictions(outDir: string, rows: CohortRecordRow[], results: ClinicalTaskResult[]): void {
  const lines = ['id,patient_id,age,sex,task,score,threshold,predicted,label'];
  for (const r of rows) {
    results.forEach((res, t) => {
      const s = r.scores[t] as number;
      const label = r.labels[t];
      lines.push([r.id, r.patientId, r.age, r.sex, res.task, s, res.threshold, s >= res.threshold ? 1 : 0, label ?? ''].map(csvCell).join(','));
    });
  }
  const tmp = join(outDir, `predictions.csv.tmp-${process.pid}`);
  writeFileSync(tmp, lines.join('\n') + '\n');
  renameSync(tmp, join(outDir, 'predictions.csv'));
}

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const ci3 = (c: CiInterval) => `95% CI ${f3(c[0])}–${f3(c[1])}`;

/**
 * The cohort's headline, as the console and the report print it: macro AUROC, macro AUPRC and the criteria with
 * their CIs over the labelled tasks, or why there is none.
 */
export function macroSummaryText(m: ClinicalMetrics): string[] {
  const macro = m.macro;
  if (!macro) {
    const tasks = m.model.tasks.join(', ');
    return [`no labels for ${tasks} in this cohort: AUROC, AUPRC and the criteria are not computed (scores are in predictions.csv)`];
  }
  const lines = [
    `macro AUROC ${f3(macro.macroAuroc)} (${ci3(macro.macroAurocCi)})  macro AUPRC ${f3(macro.macroAuprc)} (${ci3(macro.macroAuprcCi)})`,
    `criteria ${f3(macro.criteria)} (${ci3(macro.criteriaCi)}): Σ AUROC + Σ AUPRC over ${macro.tasks.length} task${macro.tasks.length === 1 ? '' : 's'} (${macro.tasks.join(', ')}); ` +
      `${macro.used}/${macro.resamples} bootstrap resamples of the records`,
  ];
  if (macro.skipped.length) lines.push(`left out of the macro figures: ${macro.skipped.map((s) => `${s.task} (${s.reason})`).join(', ')}`);
  return lines;
}
