/**
 * The in-page half of tests/e2e/charts.ts: an ECharts chart draws its legend, axis names and labels and colour-bar
 * labels inside its canvas, where element boxes cannot see them. This reads every line of text from the chart's
 * zrender display list (through the renderer's `globalThis.echarts` handle), with its box on the canvas, and finds
 * text that overlaps other text, runs off the canvas, wraps to many lines, or a legend lying over the plot.
 * Runs in Chromium (DOM types, checked by tsconfig.renderer.json), bundled by esbuild as `globalThis.ecgfmCharts`.
 */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface ZrRect extends Box {
  clone(): ZrRect;
  applyTransform(m: number[]): void;
}
/** The few zrender element fields read here (zrender's own types are not part of the renderer's build). */
interface ZrEl {
  type: string;
  ignore?: boolean;
  invisible?: boolean;
  parent?: ZrEl | null;
  transform?: number[] | null;
  style?: { text?: string; opacity?: number; font?: string };
  __clipPaths?: ZrEl[];
  getBoundingRect(): ZrRect;
  childrenRef?(): ZrEl[];
  getTextContent?(): ZrEl | null;
}
interface ComponentModel {
  coordinateSystem?: { getRect(): Box };
}
interface Chart {
  getWidth(): number;
  getHeight(): number;
  getZr(): { storage: { getDisplayList(update?: boolean): ZrEl[] } };
  getModel(): { getComponent(type: string, index?: number): ComponentModel | undefined };
  getViewOfComponentModel(m: ComponentModel): { group: ZrEl } | undefined;
}

export type TextRole = 'legend' | 'visualMap' | 'title' | 'other';
export interface ChartText {
  role: TextRole;
  text: string;
  box: Box;
}
export interface ChartLayout {
  /** The chart panel's test id and title. */
  chart: string;
  width: number;
  height: number;
  grid: Box | null;
  texts: ChartText[];
  problems: string[];
}

const globalBox = (el: ZrEl): Box | null => {
  const r = el.getBoundingRect().clone();
  if (el.transform) r.applyTransform(el.transform);
  // zrender takes a line's height from the glyph "国", which a browser without CJK fonts measures at about a third
  // of the font size: the box is the font size tall around the line's middle instead.
  const px = Number(/(\d+(?:\.\d+)?)px/.exec(el.style?.font ?? '')?.[1] ?? 12);
  const mid = r.y + r.height / 2;
  let [l, t, rt, b] = [r.x, Math.min(r.y, mid - px / 2), r.x + r.width, Math.max(r.y + r.height, mid + px / 2)];
  // A scrolling legend clips its items: only the part inside every clip path is drawn.
  for (const clip of el.__clipPaths ?? []) {
    const c = clip.getBoundingRect().clone();
    if (clip.transform) c.applyTransform(clip.transform);
    [l, t, rt, b] = [Math.max(l, c.x), Math.max(t, c.y), Math.min(rt, c.x + c.width), Math.min(b, c.y + c.height)];
  }
  return rt - l > 0.5 && b - t > 0.5 ? { x: l, y: t, width: rt - l, height: b - t } : null;
};
const overlap = (a: Box, b: Box) => Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x) > 2 && Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y) > 2;

function collect(el: ZrEl | null | undefined, into: Set<ZrEl>): void {
  if (!el) return;
  if (el.type === 'tspan') into.add(el);
  for (const c of el.childrenRef?.() ?? []) collect(c, into);
  collect(el.getTextContent?.(), into);
}

function chartOf(dom: Element): Chart | null {
  const handle = (globalThis as { echarts?: { getInstanceByDom(d: Element): unknown } }).echarts;
  return (handle?.getInstanceByDom(dom) as Chart | undefined) ?? null;
}

export function chartLayouts(rootSel: string): ChartLayout[] {
  const root = document.querySelector(rootSel);
  if (!root) return [];
  if (!(globalThis as { echarts?: unknown }).echarts) throw new Error('The renderer exposes no globalThis.echarts handle (renderer/src/lib/echarts.ts).');
  const out: ChartLayout[] = [];
  for (const dom of root.querySelectorAll('[_echarts_instance_]')) {
    const chart = chartOf(dom);
    const r = dom.getBoundingClientRect();
    if (!chart || r.width < 1 || r.height < 1) continue;
    const panel = dom.closest('[data-testid]');
    const name = `${panel?.getAttribute('data-testid') ?? 'chart'} “${panel?.querySelector('h3')?.textContent?.trim() ?? ''}”`;
    const model = chart.getModel();
    const roles = new Map<ZrEl, TextRole>();
    for (const role of ['legend', 'visualMap', 'title'] as const) {
      for (let i = 0; ; i++) {
        const m = model.getComponent(role, i);
        if (!m) break;
        const set = new Set<ZrEl>();
        collect(chart.getViewOfComponentModel(m)?.group, set);
        for (const el of set) roles.set(el, role);
      }
    }
    const grid = model.getComponent('grid', 0)?.coordinateSystem?.getRect() ?? null;
    const w = chart.getWidth();
    const h = chart.getHeight();
    const texts: (ChartText & { el: ZrEl })[] = [];
    for (const el of chart.getZr().storage.getDisplayList(true)) {
      if (el.type !== 'tspan' || el.invisible || !el.style?.text?.trim() || el.style.opacity === 0) continue;
      const box = globalBox(el);
      if (box) texts.push({ el, role: roles.get(el) ?? 'other', text: el.style.text.trim(), box });
    }
    const problems: string[] = [];
    const lines = new Map<ZrEl | null | undefined, string[]>();
    for (const t of texts) {
      if (t.box.x < -1 || t.box.y < -1 || t.box.x + t.box.width > w + 1 || t.box.y + t.box.height > h + 1) problems.push(`${name}: “${t.text}” runs off the ${w}×${h} canvas`);
      if (t.role === 'legend' && grid && overlap(t.box, grid)) problems.push(`${name}: legend “${t.text}” lies over the plot`);
      lines.set(t.el.parent, [...(lines.get(t.el.parent) ?? []), t.text]);
    }
    for (const [, ls] of lines) if (ls.length > 2) problems.push(`${name}: “${ls.join(' ')}” wraps to ${ls.length} lines`);
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i]!;
        const b = texts[j]!;
        if (a.el.parent !== b.el.parent && overlap(a.box, b.box)) problems.push(`${name}: ${a.role} “${a.text}” overlaps ${b.role} “${b.text}”`);
      }
    }
    out.push({ chart: name, width: w, height: h, grid, texts: texts.map(({ role, text, box }) => ({ role, text, box })), problems });
  }
  return out;
}
