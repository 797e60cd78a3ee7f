/**
 * The offline report page: one HTML file with ECharts, the data and the tables inlined, so it opens from disk with
 * no network. Figures follow the paper's Figures 3–8: AUROC per task (and the foundation-model loss on a second
 * axis) against patch size, depth and embedding size, one panel per SSL method.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resourceText } from '../resources.js';
import type { Store } from '../store/store.js';
import type { StudyData, Table } from './tables.js';

const require = createRequire(import.meta.url);

/** ECharts' minified browser build (line and bar charts with the SVG renderer). */
export function echartsSource(): string {
  let path: string;
  try {
    path = require.resolve('echarts/dist/echarts.common.min.js');
  } catch {
    throw new Error('The report needs the `echarts` package (npm install echarts).');
  }
  return readFileSync(path, 'utf8');
}

export interface FigurePanel {
  method: string;
  x: number[];
  series: { name: string; data: (number | null)[]; axis: 0 | 1 }[];
}

export interface Figure {
  id: string;
  title: string;
  param: 'patch' | 'depth' | 'dim';
  protocol: 'linear' | 'finetune';
  panels: FigurePanel[];
}

const PARAM_LABEL = { patch: 'Patch size', depth: 'Block depth', dim: 'Embedding size' } as const;

function meanOf(xs: (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? Number((v.reduce((a, b) => a + b, 0) / v.length).toFixed(4)) : null;
}

export function paperFigures(d: StudyData): Figure[] {
  const figures: Figure[] = [];
  const specs = [
    ['figure3', 'patch', 'linear'],
    ['figure4', 'patch', 'finetune'],
    ['figure5', 'depth', 'linear'],
    ['figure6', 'depth', 'finetune'],
    ['figure7', 'dim', 'linear'],
    ['figure8', 'dim', 'finetune'],
  ] as const;
  for (const [id, param, protocol] of specs) {
    const panels: FigurePanel[] = [];
    for (const method of d.config.methods ?? []) {
      const cells = d.cells.filter((c) => c.cell.method === method);
      if (!cells.length) continue;
      const x = [...new Set(cells.map((c) => c.cell[param]))].sort((a, b) => a - b);
      const at = (v: number) => cells.filter((c) => c.cell[param] === v);
      const series: FigurePanel['series'] = d.tasks.map((task) => ({
        name: `${task} AUROC`,
        axis: 0 as const,
        data: x.map((v) => meanOf(at(v).map((c) => c.scores[protocol]?.auroc[task]))),
      }));
      series.push({ name: 'FM Loss', axis: 1, data: x.map((v) => meanOf(at(v).map((c) => c.losses?.total))) });
      panels.push({ method, x, series });
    }
    const n = Number(id.replace('figure', ''));
    figures.push({
      id,
      param,
      protocol,
      title: `Figure ${n}: Impact of ${PARAM_LABEL[param].toLowerCase()} on the ${protocol === 'linear' ? 'linear probing' : 'fine-tuning'} models (mean over the other structure settings)`,
      panels,
    });
  }
  return figures;
}

export interface LossCurve {
  run: string;
  label: string;
  points: [number, number][];
}

/** Total-loss curves of every pre-training, thinned to at most 200 points each. */
export function lossCurves(store: Store, d: StudyData): LossCurve[] {
  const curves: LossCurve[] = [];
  for (const c of d.cells) {
    const pre = c.runs.find((r) => r.kind === 'pretrain');
    if (!pre) continue;
    const names = store.metricNames(pre.id);
    const name = names.find((n) => /^(loss|total|loss[._/-]?total|total[._/-]?loss)$/i.test(n)) ?? names[0];
    if (!name) continue;
    const series = store.metricSeries(pre.id, name);
    const stride = Math.max(1, Math.ceil(series.length / 200));
    curves.push({ run: pre.id, label: c.cell.key, points: series.filter((_, i) => i % stride === 0 || i === series.length - 1).map((p) => [p.step, Number(p.value.toPrecision(5))]) });
  }
  return curves;
}

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function tableHtml(t: Table): string {
  const head = `<tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = t.rows.length
    ? t.rows.map((r) => `<tr>${r.map((v) => `<td>${v === null ? '' : escapeHtml(String(v))}</td>`).join('')}</tr>`).join('\n')
    : `<tr><td colspan="${t.columns.length}" class="empty">No results recorded for this table in the study.</td></tr>`;
  return `<section class="table" id="${t.id}"><h3>${escapeHtml(t.title)}</h3><p class="file">${t.id}.csv</p><div class="scroll"><table>${head}\n${body}</table></div></section>`;
}

/** Embeds JSON safely inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

export interface ReportMeta {
  generatedAt: string;
  dataset: string;
  backends: string[];
  codeVersions: string[];
  summary: string;
}

export function renderReportHtml(d: StudyData, tables: Table[], figures: Figure[], curves: LossCurve[], meta: ReportMeta): string {
  const charts = `
const data = JSON.parse(document.getElementById('report-data').textContent);
const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
function lineChart(el, option) { const c = echarts.init(el, null, { renderer: 'svg' }); c.setOption(option); window.addEventListener('resize', () => c.resize()); }
for (const fig of data.figures) {
  const host = document.getElementById(fig.id);
  // Lay out every panel before drawing: a lone grid item would stretch across the row while the first chart sizes itself.
  const boxes = fig.panels.map(() => { const b = document.createElement('div'); b.className = 'chart'; host.appendChild(b); return b; });
  fig.panels.forEach((p, i) => {
    const box = boxes[i];
    lineChart(box, {
      color: palette, animation: false,
      title: { text: p.method + ' (' + (fig.protocol === 'linear' ? 'linear probing' : 'fine-tuning') + ')', left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis' }, legend: { bottom: 0, itemWidth: 14, itemGap: 8, textStyle: { fontSize: 11 } },
      grid: { left: 50, right: 60, top: 40, bottom: 75 },
      xAxis: { type: 'category', name: fig.paramLabel, nameLocation: 'middle', nameGap: 25, data: p.x.map(String) },
      yAxis: [{ type: 'value', name: 'AUROC', scale: true }, { type: 'value', name: 'FM Loss', scale: true, splitLine: { show: false } }],
      series: p.series.map(s => ({ name: s.name, type: 'line', yAxisIndex: s.axis, data: s.data, connectNulls: false, symbolSize: 7,
        lineStyle: s.axis === 1 ? { type: 'dashed' } : undefined })),
    });
  });
  if (!fig.panels.length) host.textContent = 'No cells in this study.';
}
const lossBox = document.getElementById('loss-curves');
if (data.curves.length) lineChart(lossBox, {
  color: palette, animation: false, tooltip: { trigger: 'axis' }, legend: { bottom: 0, type: 'scroll' },
  grid: { left: 60, right: 20, top: 20, bottom: 60 },
  xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 25 }, yAxis: { type: 'log', name: 'loss (log)', logBase: 10 },
  series: data.curves.map(c => ({ name: c.label, type: 'line', showSymbol: false, data: c.points })),
}); else lossBox.textContent = 'No pre-training loss series recorded.';
`;
  const figData = figures.map((f) => ({ ...f, paramLabel: PARAM_LABEL[f.param] }));
  const cellsHtml = d.cells
    .map((c) => `<tr><td>${c.cell.index}</td><td>${escapeHtml(c.cell.key)}</td><td class="st-${c.cell.status}">${c.cell.status}</td><td>${escapeHtml(c.cell.error ?? '')}</td></tr>`)
    .join('\n');
  const runsHtml = d.runs
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.id)}</td><td>${escapeHtml(r.kind)}</td><td class="st-${r.status}">${escapeHtml(r.status)}</td><td>${r.step}</td>` +
        `<td>${(r.elapsedMs / 1000).toFixed(1)}</td><td>${r.seed}</td><td>${escapeHtml(r.parentRunId ?? '')}</td><td>${escapeHtml(r.codeVersion)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ECG-FM study ${escapeHtml(d.study.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
${resourceText('reports/study-report.css')}</style>
<script>${echartsSource().replace(/<\/script/gi, '<\\/script')}</script>
</head><body>
<h1>Study “${escapeHtml(d.study.name)}”</h1>
<p class="meta">Dataset <b>${escapeHtml(meta.dataset)}</b> · tasks ${escapeHtml(d.tasks.join(', '))} · ${escapeHtml(meta.summary)}<br>
Generated ${escapeHtml(meta.generatedAt)} from the experiment store · code ${meta.codeVersions.map((v) => `<code>${escapeHtml(v)}</code>`).join(', ') || 'n/a'}<br>
Backend ${meta.backends.map((b) => `<code>${escapeHtml(b)}</code>`).join('; ') || 'n/a'}</p>
<h2>Figures</h2>
${figures.map((f) => `<h3>${escapeHtml(f.title)}</h3><div class="figure" id="${f.id}"></div>`).join('\n')}
<h3>Pre-training loss curves</h3><div id="loss-curves" class="chart"></div>
<h2>Tables</h2>
${tables.map(tableHtml).join('\n')}
<h2>Cells</h2>
<div class="scroll"><table><tr><th>#</th><th>Cell</th><th>Status</th><th>Error</th></tr>
${cellsHtml}</table></div>
<h2>Runs</h2>
<div class="scroll"><table><tr><th>Run</th><th>Kind</th><th>Status</th><th>Step / epoch</th><th>Seconds</th><th>Seed</th><th>Encoder run</th><th>Code</th></tr>
${runsHtml}</table></div>
<script type="application/json" id="report-data">${scriptJson({ figures: figData, curves })}</script>
<script>${charts}</script>
</body></html>
`;
}
