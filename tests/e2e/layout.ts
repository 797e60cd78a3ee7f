/**
 * Layout checks run inside the page: text that overlaps other text, text cut off by its box, selects too narrow
 * for their chosen option, and a main panel wider than the window. Element boxes are compared, so this finds what
 * a screenshot shows without pixel baselines.
 */
import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import type { Page } from 'playwright-core';

export interface LayoutProblem {
  kind: 'overlap' | 'clipped' | 'select' | 'overflow';
  what: string;
}

let bundled: string | null = null;
/** The probe as a script for the page (it uses DOM types, so it lives in its own file, outside the Node build). */
function probeScript(): string {
  bundled ??= transformSync(readFileSync(new URL('./layout-probe.ts', import.meta.url), 'utf8'), { loader: 'ts', format: 'iife', globalName: 'ecgfmLayout' }).code + '\nglobalThis.ecgfmLayout = ecgfmLayout;';
  return bundled;
}

/** Problems in `root` (default the main panel). Text cut with an ellipsis counts unless the element has a title. */
export async function layoutProblems(page: Page, root = 'main.main'): Promise<LayoutProblem[]> {
  // Evaluated through the debugging protocol, which the page's CSP (no inline scripts) does not apply to.
  await page.evaluate(probeScript());
  return page.evaluate((sel) => (globalThis as unknown as { ecgfmLayout: { layoutProblems(s: string): LayoutProblem[] } }).ecgfmLayout.layoutProblems(sel), root);
}
