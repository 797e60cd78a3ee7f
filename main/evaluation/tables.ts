/** Plain-text tables in the shape of the paper's Tables 4–8, for the CLI. */
import type { Interval, TaskMetrics } from './metrics.js';

export function fmt(value: number, digits = 4): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function fmtCi(ci: Interval, digits = 3): string {
  return `[${fmt(ci[0], digits)}, ${fmt(ci[1], digits)}]`;
}

/** mean ± sd, the form the simulations report over seeds. */
export function fmtMeanSd(values: number[], digits = 4): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return 'n/a';
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  if (finite.length === 1) return fmt(mean, digits);
  const sd = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1));
  return `${fmt(mean, digits)}±${fmt(sd, digits)}`;
}

/**
 * Aligned text: the first header row names column groups (spanning), the second names columns.
 * `groups` is a list of [title, span]; columns are right-aligned except the first `left` ones.
 */
export function renderTable(groups: Array<[string, number]>, header: string[], rows: string[][], left = 1): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const cell = (text: string, c: number) => (c < left ? text.padEnd(widths[c] ?? 0) : text.padStart(widths[c] ?? 0));
  const lines: string[] = [];
  if (groups.some(([title]) => title)) {
    let col = 0;
    const parts: string[] = [];
    for (const [title, span] of groups) {
      const w = widths.slice(col, col + span).reduce((a, b) => a + b, 0) + 2 * (span - 1);
      parts.push(title.padEnd(w));
      col += span;
    }
    lines.push(parts.join('  ').trimEnd());
  }
  lines.push(header.map(cell).join('  ').trimEnd());
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) lines.push(header.map((_, c) => cell(r[c] ?? '', c)).join('  ').trimEnd());
  return lines.join('\n');
}

export interface PaperRow {
  /** Leading key cells, e.g. method name and Patch/Depth/Dim, or data usage %. */
  keys: string[];
  /** Per-task cells for AUROC and AUPRC, in `tasks` order, already formatted. */
  auroc: string[];
  auprc: string[];
  criteria: string;
}

/** Tables 4–7: keys | AUROC per task | AUPRC per task | Criteria. */
export function paperTable(keyHeaders: string[], tasks: string[], rows: PaperRow[]): string {
  const header = [...keyHeaders, ...tasks, ...tasks, 'Criteria'];
  return renderTable(
    [
      ['', keyHeaders.length],
      ['AUROC', tasks.length],
      ['AUPRC', tasks.length],
      ['', 1],
    ],
    header,
    rows.map((r) => [...r.keys, ...r.auroc, ...r.auprc, r.criteria]),
    keyHeaders.length,
  );
}

/** Per-task detail with 95 % CIs, F1 at the validation-chosen threshold and counts. */
export function ciTable(metrics: TaskMetrics[]): string {
  return renderTable(
    [],
    ['Task', 'AUROC', '95% CI', 'AUPRC', '95% CI', 'F1', 'threshold', 'n', 'pos'],
    metrics.map((m) => [
      m.task,
      fmt(m.auroc),
      fmtCi(m.aurocCi),
      fmt(m.auprc),
      fmtCi(m.auprcCi),
      fmt(m.f1),
      fmt(m.threshold, 3) + (m.thresholdSource === 'self' ? '*' : ''),
      String(m.n),
      String(m.positives),
    ]),
  );
}

/** Table 8: one block per error component, each task plus the average (AVR.). */
export function riskTable(
  components: Array<{ title: string; rows: Array<{ label: string; values: number[]; average: number }> }>,
  tasks: string[],
): string {
  return components
    .map((c) =>
      renderTable(
        [
          ['', 1],
          [c.title, tasks.length + 1],
        ],
        ['', ...tasks, 'AVR.'],
        c.rows.map((r) => [r.label, ...r.values.map((v) => fmt(v)), fmt(r.average)]),
      ),
    )
    .join('\n\n');
}
