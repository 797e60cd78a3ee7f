/** ECharts, registered once with only the parts the workstation draws (SVG renderer too, for SVG export). */
import { getInstanceByDom, use } from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GraphicComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';

use([
  CanvasRenderer,
  SVGRenderer,
  LineChart,
  BarChart,
  HeatmapChart,
  ScatterChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DataZoomComponent,
  GraphicComponent,
  TitleComponent,
  VisualMapComponent,
  MarkPointComponent,
  MarkLineComponent,
]);

export const PALETTE = ['#3b82f6', '#e4572e', '#17b890', '#a855f7', '#f5a623', '#64748b', '#0ea5e9', '#d946ef'];

/** Axis and text colours per theme, shared by every chart. */
export function chartColors(dark: boolean) {
  return { text: dark ? '#c9d3df' : '#3b4250', line: dark ? '#2c323c' : '#e6e9ee', background: dark ? '#171b22' : '#ffffff' };
}

export function axis(dark: boolean, extra: Record<string, unknown> = {}) {
  const c = chartColors(dark);
  return { axisLine: { lineStyle: { color: c.line } }, splitLine: { lineStyle: { color: c.line } }, axisLabel: { color: c.text }, nameTextStyle: { color: c.text }, ...extra };
}

/**
 * A chart's titles, legend and labels are drawn inside its canvas, where the DOM cannot see them. Developer tools and
 * the browser tests read a chart's rendered layout through this handle (ECharts' own UMD build exposes `echarts`
 * the same way).
 */
(globalThis as { echarts?: { getInstanceByDom: typeof getInstanceByDom } }).echarts ??= { getInstanceByDom };
