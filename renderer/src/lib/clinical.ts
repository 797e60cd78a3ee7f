/** Pure helpers of the Clinical evaluation page: form → request pieces, read-outs, saliency bands on the paper. */
import type { ClinicalSaliencyView, ClinicalTaskView, Interval2, OperatingRuleInput } from '../../../contract/api.js';

export type RuleKind = 'package' | 'sensitivity' | 'specificity' | 'youden' | 'fixed';

/** The operating rule the form describes; undefined = the package's stored thresholds. */
export function ruleFromForm(kind: RuleKind, value: number): OperatingRuleInput | undefined {
  switch (kind) {
    case 'package': return undefined;
    case 'sensitivity': return { kind: 'sensitivity', target: value };
    case 'specificity': return { kind: 'specificity', target: value };
    case 'youden': return { kind: 'youden' };
    case 'fixed': return { kind: 'fixed', threshold: value };
  }
}

/** "strat_fold=10; sex=0,1" → { strat_fold: ['10'], sex: ['0', '1'] }; null with the bad part named. */
export function parseFilter(text: string): { where: Record<string, string[]> | undefined; error: string | null } {
  const where: Record<string, string[]> = {};
  for (const part of text.split(/[;\n]/).map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.+)$/.exec(part);
    if (!m) return { where: undefined, error: `Filter "${part}" is not FIELD=VALUE[,VALUE…] (for example strat_fold=10).` };
    const values = m[2]!.split(',').map((s) => s.trim()).filter(Boolean);
    if (!values.length) return { where: undefined, error: `Filter "${part}" names no value.` };
    where[m[1]!] = values;
  }
  return { where: Object.keys(where).length ? where : undefined, error: null };
}

export const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
export const ciText = (c: Interval2 | null | undefined, d = 3) => (c && c.low !== null && c.high !== null ? `${c.low.toFixed(d)}–${c.high.toFixed(d)}` : '—');

/** Metrics table rows: one per task. */
export function metricRows(tasks: ClinicalTaskView[]): (string | number | null)[][] {
  return tasks.map((t) => [
    t.task, t.n, t.positives, t.auroc, ciText(t.aurocCi), t.auprc, ciText(t.auprcCi), t.threshold,
    t.operating?.sensitivity ?? null, t.operating?.specificity ?? null, t.operating?.ppv ?? null, t.operating?.npv ?? null,
    t.calibration?.brier ?? null, t.calibration?.ece ?? null,
  ]);
}
export const METRIC_COLUMNS = ['Task', 'n', 'Positives', 'AUROC', 'AUROC 95% CI', 'AUPRC', 'AUPRC 95% CI', 'Threshold', 'Sensitivity', 'Specificity', 'PPV', 'NPV', 'Brier', 'ECE'];

/** Where a task's operating point sits on its ROC ([FPR, TPR]) and PR ([recall, precision]) curves. */
export function operatingMarks(t: ClinicalTaskView): { roc: [number, number] | null; pr: [number, number] | null } {
  const o = t.operating;
  if (!o || o.sensitivity === null) return { roc: null, pr: null };
  return { roc: o.fpr === null ? null : [o.fpr, o.sensitivity], pr: o.precision === null ? null : [o.sensitivity, o.precision] };
}

export interface PaperSegment {
  lead: string;
  row: number;
  t0: number;
  t1: number;
}

export interface SaliencyBand {
  row: number;
  t0: number;
  t1: number;
  value: number;
  /** 0–1: |value| relative to the largest |value| in the record. */
  strength: number;
}

/**
 * Integrated-gradients bands laid on the printed layout: each lead × segment attribution becomes a band over the
 * part of that lead's paper window it covers (the lead II rhythm strip gets all of lead II's segments).
 */
export function saliencyBands(segments: PaperSegment[], saliency: Pick<ClinicalSaliencyView, 'leads' | 'segmentSeconds' | 'segments'>, minStrength = 0.05): SaliencyBand[] {
  let max = 0;
  for (const row of saliency.segments) for (const v of row) max = Math.max(max, Math.abs(v));
  if (!(max > 0)) return [];
  const bands: SaliencyBand[] = [];
  for (const s of segments) {
    const li = saliency.leads.findIndex((l) => l.toLowerCase() === s.lead.toLowerCase());
    const row = saliency.segments[li];
    if (li < 0 || !row) continue;
    row.forEach((value, j) => {
      const a = Math.max(s.t0, j * saliency.segmentSeconds);
      const b = Math.min(s.t1, (j + 1) * saliency.segmentSeconds);
      const strength = Math.abs(value) / max;
      if (b > a + 1e-9 && strength >= minStrength) bands.push({ row: s.row, t0: a, t1: b, value, strength });
    });
  }
  return bands;
}

/** The lead × segment pairs that pushed hardest towards the task, for a one-line reading of the overlay. */
export function topDrivers(saliency: Pick<ClinicalSaliencyView, 'leads' | 'segmentSeconds' | 'segments'>, k = 3): string[] {
  const all: { lead: string; j: number; v: number }[] = [];
  saliency.segments.forEach((row, li) => row.forEach((v, j) => all.push({ lead: saliency.leads[li] ?? '?', j, v })));
  return all
    .filter((x) => x.v > 0)
    .sort((a, b) => b.v - a.v)
    .slice(0, k)
    .map((x) => `${x.lead} ${(x.j * saliency.segmentSeconds).toFixed(1)}–${((x.j + 1) * saliency.segmentSeconds).toFixed(1)} s`);
}

/** Sex as recorded, in words: M/F strings or PTB-XL's 0 = male, 1 = female. */
export function sexLabel(sex: string): string {
  const s = sex.trim().toLowerCase();
  if (s === 'm' || s === 'male' || s === '0') return 'male';
  if (s === 'f' || s === 'female' || s === '1') return 'female';
  return s ? sex : '—';
}
