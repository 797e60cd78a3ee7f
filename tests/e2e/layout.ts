/**
 * Layout checks run inside the page: text that overlaps other text, text cut off by its box, selects too narrow
 * for their chosen option, and a main panel wider than the window. Element boxes are compared, so this finds what
 * a screenshot shows without pixel baselines. Charts draw their text inside a canvas: `chartLayouts` reads it from
 * each chart's own display list instead.
 */
import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import type { Page } from 'playwright-core';

export interface LayoutProblem {
  kind: 'overlap' | 'clipped' | 'select' | 'overflow';
  what: string;
}

/** One line of text drawn in a chart's canvas (mirrors tests/e2e/chart-probe.ts). */
export interface ChartText {
  role: 'legend' | 'visualMap' | 'title' | 'other';
  text: string;
  box: { x: number; y: number; width: number; height: number };
}
export interface ChartLayout {
  /** The chart panel's test id and title. */
  chart: string;
  width: number;
  height: number;
  grid: ChartText['box'] | null;
  texts: ChartText[];
  problems: string[];
}

const bundled = new Map<string, string>();
/** A probe as a script for the page (it uses DOM types, so it lives in its own file, outside the Node build). */
function probeScript(file: string, globalName: string): string {
  let code = bundled.get(file);
  if (!code) {
    code = transformSync(readFileSync(new URL(file, import.meta.url), 'utf8'), { loader: 'ts', format: 'iife', globalName }).code + `\nglobalThis.${globalName} = ${globalName};`;
    bundled.set(file, code);
  }
  return code;
}

/** Problems in `root` (default the main panel). Text cut with an ellipsis counts unless the element has a title. */
export async function layoutProblems(page: Page, root = 'main.main'): Promise<LayoutProblem[]> {
  // Evaluated through the debugging protocol, which the page's CSP (no inline scripts) does not apply to.
  await page.evaluate(probeScript('./layout-probe.ts', 'ecgfmLayout'));
  return page.evaluate((sel) => (globalThis as unknown as { ecgfmLayout: { layoutProblems(s: string): LayoutProblem[] } }).ecgfmLayout.layoutProblems(sel), root);
}

/** Every chart drawn in `root`: its text lines with their boxes on the canvas, and what overlaps or is cut off. */
export async function chartLayouts(page: Page, root = 'main.main'): Promise<ChartLayout[]> {
  await page.evaluate(probeScript('./chart-probe.ts', 'ecgfmCharts'));
  return page.evaluate((sel) => (globalThis as unknown as { ecgfmCharts: { chartLayouts(s: string): ChartLayout[] } }).ecgfmCharts.chartLayouts(sel), root);
}
