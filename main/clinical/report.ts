/**
 * `clinical report`: one self-contained HTML page for a clinical committee. Every chart is inline SVG drawn here;
 * there is no script, stylesheet, font or image from anywhere else, so the page opens offline and the report
 * path never touches the network. The Electron shell can print it to PDF with printToPDF.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TARGET_SAMPLES } from '../data/types.js';
import { resourceText } from '../resources.js';
import { overlapText } from '../../contract/clinical.js';
import { openCohort, readCohortRecord, type CohortSpec } from './cohort.js';
import { ClinicalModel } from './model.js';
import type { PackageHeader } from './package.js';
import { RUN_FILE } from './run.js';
import { integratedGradients, type Saliency } from './saliency.js';
import { macroSummaryText, readScores, type ClinicalMetrics, type ClinicalTaskResult } from './score.js';

export interface ExampleRecord {
  id: string;
  task: string;
  score: number;
  label: number | null;
  signal: Float32Array;
  saliency: Saliency;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const f = (v: number | undefined, d = 3) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
const ci = (c: [number, number] | undefined) => (c ? `${f(c[0])}–${f(c[1])}` : 'n/a');

interface Series {
  x: number[];
  y: number[];
  color: string;
  label: string;
  dashed?: boolean;
}

/** A unit-square chart (both axes 0–1) with lines and marked points. */
function unitChart(title: string, xLabel: string, yLabel: string, series: Series[], points: Array<{ x: number; y: number; label: string }>, bars?: Array<{ x0: number; x1: number; y: number }>): string {
  const W = 300;
  const H = 260;
  const m = { l: 42, r: 10, t: 24, b: 36 };
  const sx = (x: number) => m.l + x * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - y * (H - m.t - m.b);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((v) => `<line x1="${sx(v)}" y1="${sy(0)}" x2="${sx(v)}" y2="${sy(1)}" class="g"/><line x1="${sx(0)}" y1="${sy(v)}" x2="${sx(1)}" y2="${sy(v)}" class="g"/>` +
      `<text x="${sx(v)}" y="${H - m.b + 14}" text-anchor="middle">${v}</text><text x="${m.l - 4}" y="${sy(v) + 4}" text-anchor="end">${v}</text>`)
    .join('');
  const barSvg = (bars ?? []).map((b) => `<rect x="${sx(b.x0)}" y="${sy(b.y)}" width="${sx(b.x1) - sx(b.x0)}" height="${sy(0) - sy(b.y)}" fill="#c9d7ea"/>`).join('');
  const lines = series
    .map((s) => {
      const pts = s.x.map((x, i) => (Number.isFinite(x) && Number.isFinite(s.y[i]) ? `${sx(x).toFixed(1)},${sy(s.y[i] as number).toFixed(1)}` : null)).filter(Boolean);
      return `<polyline fill="none" stroke="${s.color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="4 3"' : ''} points="${pts.join(' ')}"><title>${esc(s.label)}</title></polyline>`;
    })
    .join('');
  const marks = points
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
    .map((p) => `<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="5" fill="#d62728" stroke="#fff"><title>${esc(p.label)}</title></circle>`)
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img"><text x="${W / 2}" y="14" text-anchor="middle" class="t">${esc(title)}</text>${grid}${barSvg}${lines}${marks}` +
    `<text x="${(sx(0) + sx(1)) / 2}" y="${H - 4}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text transform="translate(11 ${(sy(0) + sy(1)) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text></svg>`;
}

function taskCharts(t: ClinicalTaskResult): string {
  if (!t.roc || !t.pr || !t.operatingPoint || !t.calibration) return '';
  const op = t.operatingPoint;
  const opLabel = `threshold ${f(op.threshold, 4)}: sensitivity ${f(op.sensitivity)}, specificity ${f(op.specificity)}`;
  const roc = unitChart(`${t.task} ROC (AUROC ${f(t.auroc)})`, '1 − specificity', 'sensitivity',
    [{ x: t.roc.fpr, y: t.roc.tpr, color: '#1f77b4', label: 'ROC' }, { x: [0, 1], y: [0, 1], color: '#999', label: 'chance', dashed: true }],
    [{ x: 1 - op.specificity, y: op.sensitivity, label: opLabel }]);
  const pr = unitChart(`${t.task} PR (AUPRC ${f(t.auprc)})`, 'recall (sensitivity)', 'precision (PPV)',
    [{ x: t.pr.recall, y: t.pr.precision, color: '#2ca02c', label: 'PR' }],
    [{ x: op.sensitivity, y: op.ppv, label: opLabel }]);
  const used = t.calibration.bins.filter((b) => b.count > 0);
  const rel = unitChart(`${t.task} reliability (ECE ${f(t.calibration.ece)})`, 'mean predicted probability', 'observed fraction positive',
    [{ x: used.map((b) => b.meanScore), y: used.map((b) => b.fractionPositive), color: '#9467bd', label: 'observed' }, { x: [0, 1], y: [0, 1], color: '#999', label: 'perfect', dashed: true }],
    used.map((b) => ({ x: b.meanScore, y: b.fractionPositive, label: `${b.count} records, mean score ${f(b.meanScore)}, observed ${f(b.fractionPositive)}` })),
    used.map((b) => ({ x0: b.lower, x1: b.upper, y: Math.min(1, b.count / Math.max(...used.map((u) => u.count))) * 0.25 })));
  return `<div class="charts">${roc}${pr}${rel}</div>`;
}

function metricsTable(tasks: ClinicalTaskResult[]): string {
  const rows = tasks.map((t) => {
    const op = t.operatingPoint;
    const c = op?.confusion;
    return `<tr><td>${esc(t.task)}</td><td>${t.n}</td><td>${t.positives ?? '–'}</td><td>${f(t.auroc)} (${ci(t.aurocCi)})</td><td>${f(t.auprc)} (${ci(t.auprcCi)})</td>` +
      `<td>${f(t.threshold, 4)}</td><td>${c ? `${c.tp} / ${c.fp} / ${c.fn} / ${c.tn}` : `${t.predictedPositive} predicted positive`}</td>` +
      `<td>${op ? `${f(op.sensitivity)} (${ci(op.sensitivityCi)})` : '–'}</td><td>${op ? `${f(op.specificity)} (${ci(op.specificityCi)})` : '–'}</td>` +
      `<td>${op ? `${f(op.ppv)} (${ci(op.ppvCi)})` : '–'}</td><td>${op ? `${f(op.npv)} (${ci(op.npvCi)})` : '–'}</td>` +
      `<td>${t.calibration ? f(t.calibration.brier) : '–'}</td><td>${t.calibration ? f(t.calibration.ece) : '–'}</td></tr>`;
  });
  return `<table><thead><tr><th>Task</th><th>n</th><th>Positives</th><th>AUROC (95% CI)</th><th>AUPRC (95% CI)</th><th>Threshold</th><th>TP / FP / FN / TN</th>` +
    `<th>Sensitivity</th><th>Specificity</th><th>PPV</th><th>NPV</th><th>Brier</th><th>ECE</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<ul class="notes">${tasks.map((t) => `<li>${esc(t.task)}: ${esc(t.thresholdNote)}</li>`).join('')}</ul>`;
}

function subgroupTable(tasks: ClinicalTaskResult[]): string {
  const rows = tasks.flatMap((t) =>
    (t.subgroups ?? []).map((s) => `<tr><td>${esc(t.task)}</td><td>${s.by}</td><td>${esc(s.group)}</td><td>${s.n}</td><td>${s.positives}</td><td>${f(s.auroc)}</td><td>${f(s.auprc)}</td><td>${f(s.sensitivity)}</td><td>${f(s.specificity)}</td></tr>`),
  );
  if (rows.length === 0) return '<p>The cohort has no age or sex fields, or no labels.</p>';
  return `<table><thead><tr><th>Task</th><th>By</th><th>Group</th><th>n</th><th>Positives</th><th>AUROC</th><th>AUPRC</th><th>Sensitivity</th><th>Specificity</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    '<p class="small">Small subgroups give unstable estimates; AUROC is n/a where a subgroup has one class.</p>';
}

/** 12-lead trace with the per-segment saliency as coloured bands (red: towards the task, blue: against). */
function saliencyTrace(ex: ExampleRecord): string {
  const W = 900;
  const rowH = 46;
  const left = 40;
  const s = ex.saliency;
  const max = Math.max(1e-12, ...s.segments.flat().map(Math.abs));
  const step = 5; // 500 points per lead keeps the page small.
  const xOf = (j: number) => left + (j / TARGET_SAMPLES) * (W - left - 5);
  const segW = xOf(s.segmentSeconds * 250) - xOf(0);
  const rows = s.leads.map((lead, li) => {
    const y0 = li * rowH + rowH / 2 + 4;
    const bands = (s.segments[li] as number[])
      .map((v, k) => `<rect x="${xOf(k * s.segmentSeconds * 250).toFixed(1)}" y="${y0 - rowH / 2}" width="${segW.toFixed(1)}" height="${rowH}" fill="${v >= 0 ? '#d62728' : '#1f77b4'}" fill-opacity="${(0.6 * Math.abs(v) / max).toFixed(3)}"><title>${esc(lead)} ${(k * s.segmentSeconds).toFixed(1)}–${((k + 1) * s.segmentSeconds).toFixed(1)} s: ${v.toExponential(2)}</title></rect>`)
      .join('');
    const pts: string[] = [];
    for (let j = 0; j < TARGET_SAMPLES; j += step) {
      const v = ex.signal[li * TARGET_SAMPLES + j] as number;
      pts.push(`${xOf(j).toFixed(1)},${(y0 - Math.max(-2, Math.min(2, v)) * (rowH / 4)).toFixed(1)}`);
    }
    return `${bands}<text x="4" y="${y0 + 4}">${esc(lead)}</text><polyline fill="none" stroke="#222" stroke-width="0.8" points="${pts.join(' ')}"/>`;
  });
  return `<svg viewBox="0 0 ${W} ${rowH * 12 + 8}" width="100%" role="img">${rows.join('')}</svg>`;
}

function examplesSection(examples: ExampleRecord[]): string {
  if (examples.length === 0) return '<p>No example records.</p>';
  return examples
    .map((ex) => {
      const top = ex.saliency.leads
        .flatMap((lead, li) => (ex.saliency.segments[li] as number[]).map((v, k) => ({ lead, k, v })))
        .sort((a, b) => b.v - a.v)
        .slice(0, 3)
        .map((t) => `${t.lead} ${(t.k * ex.saliency.segmentSeconds).toFixed(1)}–${((t.k + 1) * ex.saliency.segmentSeconds).toFixed(1)} s`);
      return `<h3>Record ${esc(ex.id)}: ${esc(ex.task)} score ${f(ex.score)}${ex.label === null ? '' : `, label ${ex.label}`}</h3>` +
        `<p class="small">Integrated gradients (${ex.saliency.steps} steps, flat-line baseline): Σ attributions ${f(ex.saliency.total, 4)} vs logit change ${f(ex.saliency.logit - ex.saliency.baselineLogit, 4)}. Strongest segments: ${esc(top.join('; '))}.</p>` +
        saliencyTrace(ex);
    })
    .join('');
}

/** Macro AUROC, macro AUPRC and the criteria over the labelled tasks, with their joint bootstrap CIs. */
function macroHtml(m: ClinicalMetrics): string {
  const macro = m.macro;
  if (!macro) return `<p id="macro">${esc(macroSummaryText(m)[0])}</p>`;
  const row = (name: string, v: number, c: [number, number]) => `<tr><th>${name}</th><td>${f(v)}</td><td>${ci(c)}</td></tr>`;
  return `<table id="macro"><thead><tr><th></th><th>Value</th><th>95% CI</th></tr></thead><tbody>` +
    row('Macro AUROC', macro.macroAuroc, macro.macroAurocCi) + row('Macro AUPRC', macro.macroAuprc, macro.macroAuprcCi) +
    row(`Criteria (Σ AUROC + Σ AUPRC, ${macro.tasks.length} tasks)`, macro.criteria, macro.criteriaCi) +
    `</tbody></table><p class="small">Over ${esc(macro.tasks.join(', '))}. Percentile bootstrap that resamples the records jointly for every task ` +
    `(${macro.used} of ${macro.resamples} resamples had both classes in every task).` +
    `${macro.skipped.length ? ` Left out: ${esc(macro.skipped.map((s) => `${s.task} (${s.reason})`).join(', '))}.` : ''}</p>`;
}

function overlapHtml(o: ClinicalMetrics['overlap']): string {
  const warn = Boolean(o && o.records > 0 && !o.excluded);
  return `<p${warn ? ' class="warn"' : ''} id="overlap">${esc(overlapText(o))}${o?.examples.length ? ` <span class="small">Examples: ${esc(o.examples.slice(0, 10).join(', '))}.</span>` : ''}</p>`;
}

export function renderClinicalReport(header: PackageHeader, metrics: ClinicalMetrics, examples: ExampleRecord[]): string {
  const p = header.provenance;
  const sum = metrics.summary;
  const kv = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${esc(k)}: ${v}`).join(', ');
  const prov = [
    ['Model file', metrics.model.path],
    ['Weights SHA-256', header.weightsSha256],
    ['Architecture', `ViT P${header.architecture.patch} D${header.architecture.dim} L${header.architecture.depth}, ${header.architecture.heads} heads, ${header.architecture.pooling} pooling`],
    ['Tasks', header.tasks.map((t) => t.name).join(', ')],
    ['Preprocessing', header.preprocessing.description],
    ['Training data', p.datasets.join('; ')],
    ['Split', p.split],
    ['Pre-trained encoder run', p.encoderRun ?? 'none (random initialisation)'],
    ['Seed', String(p.seed)],
    ['Training backend', p.backend],
    ['Exported', `${p.createdAt} by ${p.software}`],
    ['Calibration split', header.calibration.description],
    ['Inference engine', metrics.engine],
  ];
  const exportMetrics = JSON.stringify(header.metrics);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Clinical evaluation report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>
${resourceText('reports/clinical-report.css')}</style></head><body>
<h1>Clinical evaluation report</h1>
<p>${esc(metrics.cohort)}. Created ${esc(metrics.createdAt)}.</p>
<h2>Cohort summary</h2>
${(metrics.warnings ?? []).map((w) => `<p class="warn">${esc(w)}</p>`).join('')}
<p>Scored records: ${sum.scored}. Unreadable records: ${sum.unreadable}${sum.unreadable ? ' (listed below and in unreadable.csv; none were dropped silently)' : ''}.</p>
${overlapHtml(metrics.overlap)}
<p>Age bands: ${kv(sum.ageBands)}. Sex: ${kv(sum.sex)}. ${sum.labelled ? 'The cohort is labelled.' : 'The cohort has no labels for the model\'s tasks: predictions only.'}</p>
${sum.unreadableExamples.length ? `<table><thead><tr><th>Unreadable record</th><th>Problem</th></tr></thead><tbody>${sum.unreadableExamples.map((u) => `<tr><td>${esc(u.id)}</td><td>${esc(u.problem)}</td></tr>`).join('')}</tbody></table>` : ''}
<h2>Performance over the tasks</h2>
${macroHtml(metrics)}
<h2>Performance at the operating point</h2>
<p>Thresholds chosen on: <b${metrics.thresholdsChosenOn.includes('evaluated cohort') ? ' class="warn"' : ''}>${esc(metrics.thresholdsChosenOn)}</b>. A score ≥ threshold is a positive call. Intervals: AUROC/AUPRC percentile bootstrap 95 %; rates Wilson 95 %.</p>
${metricsTable(metrics.tasks)}
<h2>Curves and calibration</h2>
<p class="small">Red dots: the operating point on the ROC and PR curves. Reliability diagram: observed fraction of positives per predicted-probability bin (shaded bars: relative bin size).</p>
${metrics.tasks.map(taskCharts).join('')}
<h2>Subgroups</h2>
${subgroupTable(metrics.tasks)}
<h2>Example records with saliency</h2>
${examplesSection(examples)}
<h2>Model provenance</h2>
<table><tbody>${prov.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>
<p class="small">Metrics at export: ${esc(exportMetrics)}</p>
</body></html>`;
}

export interface ReportOptions {
  /** Example records per task (highest-scoring labelled positives first). */
  examplesPerTask?: number;
  saliencySteps?: number;
}

/** Writes `report.html` into a scored run folder; example records are re-read from the cohort for their saliency. */
export async function writeClinicalReport(outDir: string, modelPath: string, opts: ReportOptions = {}): Promise<string> {
  const metrics = JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8')) as ClinicalMetrics;
  const run = JSON.parse(readFileSync(join(outDir, RUN_FILE), 'utf8')) as { cohort: CohortSpec };
  const model = ClinicalModel.load(modelPath);
  const examples: ExampleRecord[] = [];
  try {
    if (model.header.weightsSha256 !== metrics.model.weightsSha256) {
      throw new Error(`${modelPath} is not the model that produced ${outDir}`);
    }
    const rows = readScores(outDir, model.tasks);
    const wanted = new Map<string, Array<{ task: number; score: number; label: number | null }>>();
    model.tasks.forEach((_, t) => {
      const ranked = [...rows].sort((a, b) => {
        const pa = a.labels[t] === 1 ? 1 : 0;
        const pb = b.labels[t] === 1 ? 1 : 0;
        return pb - pa || (b.scores[t] as number) - (a.scores[t] as number);
      });
      for (const r of ranked.slice(0, opts.examplesPerTask ?? 1)) {
        const list = wanted.get(r.id) ?? [];
        list.push({ task: t, score: r.scores[t] as number, label: r.labels[t] ?? null });
        wanted.set(r.id, list);
      }
    });
    if (wanted.size) {
      const cohort = await openCohort(run.cohort);
      for (const rec of cohort.records.filter((r) => wanted.has(r.id))) {
        const read = readCohortRecord(rec, model.header.preprocessing);
        if (!read.ok) continue;
        for (const w of wanted.get(rec.id) ?? []) {
          const saliency = await integratedGradients(model, read.signal, w.task, { steps: opts.saliencySteps ?? 32 });
          examples.push({ id: rec.id, task: model.tasks[w.task] as string, score: w.score, label: w.label, signal: read.signal, saliency });
        }
      }
    }
    const html = renderClinicalReport(model.header, metrics, examples);
    const path = join(outDir, 'report.html');
    writeFileSync(path, html);
    return path;
  } finally {
    model.dispose();
  }
}
