/** Exports generated in the renderer: CSV text for tables, PNG/SVG for charts, saved through a blob link. */
import { init, type EChartsCoreOption, type EChartsType } from 'echarts/core';

export type CsvCell = string | number | null | undefined;

export function toCsv(columns: string[], rows: CsvCell[][]): string {
  const esc = (v: CsvCell) => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns, ...rows].map((r) => r.map(esc).join(',')).join('\n') + '\n';
}

/** A file name from a title: letters, digits and dashes. */
export function fileStem(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'export';
}

export function download(name: string, data: Blob | string, type = 'text/plain'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function dataUrlBlob(url: string): Blob {
  const [head, body] = url.split(',', 2);
  const type = /data:([^;]+)/.exec(head ?? '')?.[1] ?? 'application/octet-stream';
  if ((head ?? '').endsWith(';base64')) {
    const bin = atob(body ?? '');
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type });
  }
  return new Blob([decodeURIComponent(body ?? '')], { type });
}

export function chartPng(chart: EChartsType, background: string): Blob {
  return dataUrlBlob(chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: background }));
}

/** The same option drawn once more by the SVG renderer off screen: real vector output, not an embedded bitmap. */
export function chartSvg(option: EChartsCoreOption, width: number, height: number, background: string): string {
  const host = document.createElement('div');
  const chart = init(host, undefined, { renderer: 'svg', width, height });
  try {
    chart.setOption({ ...option, animation: false, backgroundColor: background });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
