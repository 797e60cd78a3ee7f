/** The Clinical page's views: packages, scored tasks and per-record rows, mapped from the back end's files. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ClinicalModelView, ClinicalRecordRow, ClinicalRunView, ClinicalTaskView, Interval2 } from '../../contract/api.js';
import type { ClinicalMetrics, ClinicalTaskResult, PackageHeader } from '../clinical/index.js';

export const num = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);
export const ci = (c: [number, number] | undefined): Interval2 => ({ low: num(c?.[0]), high: num(c?.[1]) });
export const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

export function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function flat(obj: Record<string, unknown>): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v)) out[k] = `${v.length} entries`;
  }
  return out;
}

export function modelView(path: string, header: PackageHeader): ClinicalModelView {
  const validation = (header.metrics as { validation?: Array<{ task: string; n: number; positives: number; auroc: number; auprc: number }> }).validation ?? [];
  const a = header.architecture;
  const p = header.preprocessing;
  return {
    path,
    name: basename(path),
    bytes: statSync(path).size,
    architecture: { patch: a.patch, depth: a.depth, dim: a.dim, heads: a.heads },
    preprocessing: { leads: p.leads, sampleRate: p.sampleRate, seconds: p.seconds, minSourceRate: p.minSourceRate, requiredLeads: p.requiredLeads, description: p.description },
    tasks: header.tasks.map((t) => ({ name: t.name, threshold: t.threshold, thresholdRule: t.thresholdRule })),
    calibration: { description: header.calibration.description, records: header.calibration.ids.length },
    provenance: { ...header.provenance, config: flat(header.provenance.config) },
    exportMetrics: validation.map((m) => ({ task: m.task, n: m.n, positives: m.positives, auroc: num(m.auroc), auprc: num(m.auprc) })),
    weightsSha256: header.weightsSha256,
  };
}

/** Keeps at most `max` points of a curve (ends kept), so a big cohort does not ship thousands of points. */
export function thin<T>(xs: T[], max = 300): T[] {
  if (xs.length <= max) return xs;
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(xs[Math.round((k * (xs.length - 1)) / (max - 1))] as T);
  return out;
}

export function taskView(t: ClinicalTaskResult): ClinicalTaskView {
  const op = t.operatingPoint;
  const c = op?.confusion;
  const idx = t.roc ? thin(t.roc.fpr.map((_, k) => k)) : [];
  const pidx = t.pr ? thin(t.pr.recall.map((_, k) => k)) : [];
  return {
    task: t.task,
    n: t.n,
    positives: t.positives,
    predictedPositive: t.predictedPositive,
    threshold: t.threshold,
    thresholdNote: t.thresholdNote,
    auroc: num(t.auroc),
    auprc: num(t.auprc),
    aurocCi: ci(t.aurocCi),
    auprcCi: ci(t.auprcCi),
    roc: t.roc ? { fpr: idx.map((k) => t.roc!.fpr[k] as number), tpr: idx.map((k) => t.roc!.tpr[k] as number) } : null,
    pr: t.pr ? { recall: pidx.map((k) => t.pr!.recall[k] as number), precision: pidx.map((k) => t.pr!.precision[k] as number) } : null,
    operating:
      op && c
        ? {
            threshold: op.threshold,
            rule: op.rule,
            chosenOn: op.chosenOn,
            confusion: { tp: c.tp, fp: c.fp, tn: c.tn, fn: c.fn },
            sensitivity: num(op.sensitivity),
            specificity: num(op.specificity),
            ppv: num(op.ppv),
            npv: num(op.npv),
            sensitivityCi: ci(op.sensitivityCi),
            specificityCi: ci(op.specificityCi),
            ppvCi: ci(op.ppvCi),
            npvCi: ci(op.npvCi),
            fpr: c.fp + c.tn ? c.fp / (c.fp + c.tn) : null,
            precision: num(op.ppv),
          }
        : null,
    calibration: t.calibration
      ? {
          brier: num(t.calibration.brier),
          ece: num(t.calibration.ece),
          bins: t.calibration.bins.map((b) => ({ lower: b.lower, upper: b.upper, count: b.count, meanScore: num(b.meanScore), fractionPositive: num(b.fractionPositive) })),
        }
      : null,
    subgroups: (t.subgroups ?? []).map((s) => ({ ...s, auroc: num(s.auroc), auprc: num(s.auprc), sensitivity: num(s.sensitivity), specificity: num(s.specificity) })),
  };
}

/** scores.csv rows without knowing the tasks up front: label_* and score_* columns name them. */
export function readRows(outDir: string, splitCsvLine: (l: string) => string[]): { tasks: string[]; rows: ClinicalRecordRow[] } {
  const path = join(outDir, 'scores.csv');
  if (!existsSync(path)) return { tasks: [], rows: [] };
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const head = splitCsvLine(lines[0] ?? '');
  const tasks = head.filter((h) => h.startsWith('score_')).map((h) => h.slice(6));
  const li = tasks.map((t) => head.indexOf(`label_${t}`));
  const si = tasks.map((t) => head.indexOf(`score_${t}`));
  const rows: ClinicalRecordRow[] = [];
  for (const line of lines.slice(1)) {
    const c = splitCsvLine(line);
    if (c.length !== head.length) continue;
    rows.push({ id: c[0] ?? '', patientId: c[1] ?? '', age: c[2] ?? '', sex: c[3] ?? '', labels: li.map((k) => (c[k] === '' || k < 0 ? null : Number(c[k]))), scores: si.map((k) => Number(c[k])) });
  }
  return { tasks, rows };
}


/** The run's macro figures over its labelled tasks, as the page shows them. */
export function macroView(m: ClinicalMetrics['macro']): ClinicalRunView['macro'] {
  if (!m) return null;
  return {
    tasks: m.tasks,
    macroAuroc: num(m.macroAuroc),
    macroAuprc: num(m.macroAuprc),
    criteria: num(m.criteria),
    macroAurocCi: ci(m.macroAurocCi),
    macroAuprcCi: ci(m.macroAuprcCi),
    criteriaCi: ci(m.criteriaCi),
  };
}
