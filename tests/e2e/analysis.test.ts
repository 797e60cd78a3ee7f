/**
 * End to end for the analysis pages, in headless Chromium against the headless host on real PTB-XL (100 Hz):
 * run a smoke-scale study (GL, HL × patches 125, 250) and see its heatmaps fill; evaluate one encoder and see ROC/PR;
 * run a data-usage simulation and see its chart; compare two runs and see the differing setting highlighted; export
 * a table as CSV and a chart as PNG and SVG. Screenshots go to test-artifacts/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Service } from '../../main/api/service.js';
import { closeWorkstation, colourPixels, downloaded, importPtbxl, openWorkstation, serviceOnTempWorkspace, type Workstation } from './harness.js';
import { chartLayouts, layoutProblems } from './layout.js';

describe('analysis pages end to end', () => {
  let service: Service;
  let ui: Workstation;
  let page: Page;
  const shot = (name: string) => ui.shot(name);
  /** Every job message the host sent, for the progress lines. */
  const progress: string[] = [];

  beforeAll(async () => {
    ({ service } = serviceOnTempWorkspace('ecgfm-e2e-analysis-'));
    service.onEvent((e) => void (e.type === 'job.progress' && e.message && progress.push(e.message)));
    await importPtbxl(service);
    ui = await openWorkstation(service, { viewport: { width: 1280, height: 800 }, acceptDownloads: true, fullPage: false });
    page = ui.page;
  }, 120_000);

  afterAll(() => closeWorkstation(ui, service));

  it('runs a smoke study (GL, HL × P125, P250) and fills the heatmaps with the finished cells', async () => {
    await page.getByTestId('nav-studies').click();
    await expect.poll(() => page.getByTestId('study-preset').inputValue()).toBe('0');
    await page.getByTestId('study-name').fill('smoke');
    await expect.poll(() => page.getByTestId('study-dataset').inputValue()).toBe('ptbxl');
    expect(await page.getByTestId('study-patches').inputValue()).toBe('125, 250');
    await page.getByTestId('study-start').click();
    await page.getByTestId('study-cells').waitFor();
    expect(await page.locator('[data-cell]').count()).toBe(4);
    // While it runs, the Study card shows the terminal's line: the cell's step, rate and time left, then (once a cell
    // has finished) the study's estimate; the queue shows the same message whole.
    const cellLine = /^cell [1-4]\/4 \S+-P\d+-L1-D32 .*\d+\/\d+ · [\d.]+ [\w-]+\/s/;
    await expect.poll(() => page.getByTestId('study-progress-cell').textContent(), { timeout: 90_000, interval: 250 }).toMatch(cellLine);
    expect(await layoutProblems(page)).toEqual([]);
    await page.getByTestId('study-progress').scrollIntoViewIfNeeded();
    await shot('11-study-running');
    await expect.poll(() => page.getByTestId('study-progress-study').textContent(), { timeout: 120_000, interval: 250 }).toMatch(/^study [1-3]\/4 done, ~\d+ (s|min)[\s\S]* left \(\d+ %\)$/);
    await shot('11-study-estimate');
    await expect.poll(() => page.locator('[data-cell][data-status="succeeded"]').count(), { timeout: 150_000, interval: 1000 }).toBe(4);
    expect(progress.some((m) => cellLine.test(m) && / samples\/s · \d+ s left │ study /.test(m))).toBe(true);
    expect(await page.getByTestId('study-progress').count()).toBe(0);
    await expect.poll(() => page.getByTestId('study-heatmaps').getAttribute('data-filled'), { timeout: 15_000 }).toBe('4');
    // Two heatmaps (one per method), each with its two cells drawn in colour.
    const maps = page.getByTestId('study-heatmap');
    expect(await maps.count()).toBe(2);
    for (let i = 0; i < 2; i++) expect(colourPixels(await maps.nth(i).locator('canvas').first().screenshot())).toBeGreaterThan(3000);
    // The colour bar (one scale for both maps) is labelled with the highest and lowest value any cell shows.
    const charts = await chartLayouts(page, '[data-testid="study-heatmaps"]');
    expect(charts).toHaveLength(2);
    const cellValues = charts.flatMap((c) => c.texts.filter((t) => t.role === 'other' && /^\d\.\d{3}$/.test(t.text)).map((t) => Number(t.text)));
    expect(cellValues).toHaveLength(4);
    for (const c of charts) {
      const bar = c.texts.filter((t) => t.role === 'visualMap');
      expect(bar.map((t) => t.text).sort()).toEqual([Math.min(...cellValues).toFixed(3), Math.max(...cellValues).toFixed(3)]);
      for (const t of bar) expect(t.box.y).toBeGreaterThan(c.grid!.y + c.grid!.height);
      expect(c.problems).toEqual([]);
    }
    await shot('12-study-heatmaps');
    // Loss heatmap too: every SSL cell has a pre-training loss.
    await page.getByTestId('metric-loss').click();
    await expect.poll(() => page.getByTestId('study-heatmaps').getAttribute('data-filled')).toBe('4');
    // The appendix tables are there and sortable.
    const t4 = page.getByTestId('table-table4_linear_probing');
    await t4.waitFor();
    await page.getByTestId('study-heatmaps').scrollIntoViewIfNeeded();
    await page.getByTestId('metric-auroc').click();
    await page.getByTestId('study-lines').scrollIntoViewIfNeeded();
    await shot('13-study-lines-tables');
  }, 300_000);

  it('evaluates an encoder run with a linear probe and shows CIs and ROC/PR curves', async () => {
    await page.getByTestId('nav-evaluate').click();
    await expect.poll(() => page.locator('[data-testid="source-run"] option').count()).toBeGreaterThan(4);
    await page.getByTestId('source-run').selectOption('smoke-HL-P125-L1-D32');
    await page.getByTestId('eval-epochs').fill('3');
    await page.getByTestId('eval-start').click();
    const table = page.getByTestId('eval-table');
    await table.waitFor({ timeout: 60_000 });
    const text = (await table.textContent()) ?? '';
    for (const t of ['MI', 'STTC', 'CD', 'HYP']) expect(text).toContain(t);
    expect(text).toMatch(/0\.\d{3}–0\.\d{3}/);
    expect(colourPixels(await page.getByTestId('eval-roc').locator('canvas').first().screenshot())).toBeGreaterThan(500);
    await shot('14-evaluate');
  });

  it('runs a data-usage simulation and draws criteria against the percentage', async () => {
    await page.getByTestId('nav-simulations').click();
    await expect.poll(() => page.locator('[data-testid="source-run"] option').count()).toBeGreaterThan(4);
    await page.getByTestId('source-run').selectOption('smoke-GL-P125-L1-D32');
    await page.getByTestId('sim-percents').fill('25, 50, 100');
    await page.getByTestId('sim-repeats').fill('2');
    await page.getByTestId('sim-epochs').fill('3');
    await page.getByTestId('sim-start').click();
    const chart = page.getByTestId('sim-chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 90_000, interval: 1000 }).toBe(3);
    expect(colourPixels(await chart.locator('canvas').first().screenshot())).toBeGreaterThan(500);
    const table = (await page.getByTestId('sim-table').textContent()) ?? '';
    expect(table).toMatch(/0\.\d{3} ± 0\.\d{3}/);
    await shot('15-simulation');
    // At 1024×700 the titles stay on one line, and the legend sits above the plot without touching the axis names.
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.waitForTimeout(400);
    const charts = await chartLayouts(page);
    expect(charts.map((c) => c.chart)).toEqual(expect.arrayContaining([expect.stringMatching(/^sim-chart/), expect.stringMatching(/^sim-auroc/), expect.stringMatching(/^sim-auprc/)]));
    for (const c of charts) {
      expect(c.problems).toEqual([]);
      const legend = c.texts.filter((t) => t.role === 'legend');
      expect(legend.map((t) => t.text)).toEqual([expect.stringMatching(/^GL P125/)]);
      for (const t of legend) expect(t.box.y + t.box.height).toBeLessThanOrEqual(c.grid!.y);
    }
    // One line of 14 px text is about 20 px high.
    const titleHeights = await page.locator('.chart-panel h3').evaluateAll((hs) => hs.map((h) => h.getBoundingClientRect().height));
    expect(titleHeights.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...titleHeights)).toBeLessThan(26);
    expect(await layoutProblems(page)).toEqual([]);
    await shot('15-simulation-1024');
    // The check is live: a legend moved onto the y axis's name is found (then put back).
    const moveLegend = (legend: Record<string, number | string>) =>
      page.getByTestId('sim-chart').locator('[_echarts_instance_]').evaluate((el, l) => {
        const handle = (globalThis as unknown as { echarts: { getInstanceByDom(e: unknown): { setOption(o: unknown): void } } }).echarts;
        handle.getInstanceByDom(el).setOption({ legend: l });
      }, legend);
    await moveLegend({ top: 14, left: 30 });
    expect((await chartLayouts(page, '[data-testid="sim-chart"]'))[0]!.problems.join('\n')).toMatch(/legend “GL P125 D32 L1” overlaps other “criteria”|other “criteria” overlaps legend “GL P125 D32 L1”/);
    await moveLegend({ top: 0, left: 'center' });
    expect((await chartLayouts(page, '[data-testid="sim-chart"]'))[0]!.problems).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
    const png = await downloaded(page, chart.getByTestId('export-png'));
    expect(png.name).toMatch(/\.png$/);
    expect(png.body.readUInt32BE(0)).toBe(0x89504e47);
    const svg = await downloaded(page, chart.getByTestId('export-svg'));
    expect(svg.name).toMatch(/\.svg$/);
    expect(svg.body.toString('utf8')).toMatch(/^<svg[\s\S]*<path[\s\S]*<\/svg>$/);
  });

  it('decomposes the risk of an encoder run into four components per task', async () => {
    await page.getByTestId('nav-risk').click();
    await expect.poll(() => page.locator('[data-testid="source-run"] option').count()).toBeGreaterThan(4);
    await page.getByTestId('source-run').selectOption('smoke-HL-P125-L1-D32');
    await page.getByTestId('risk-probe-epochs').fill('3');
    await page.getByTestId('risk-supervised-epochs').fill('1');
    await page.getByTestId('risk-start').click();
    const table = page.getByTestId('risk-table');
    await table.waitFor({ timeout: 120_000 });
    const text = (await table.textContent()) ?? '';
    expect(text).toContain('HL');
    expect(text).toContain('Approximation MI');
    expect(colourPixels(await page.getByTestId('risk-chart').locator('canvas').first().screenshot())).toBeGreaterThan(1000);
    await shot('19-risk');
  });

  it('compares two runs with the differing setting highlighted and exports the table as CSV', async () => {
    await page.getByTestId('nav-compare').click();
    await page.getByTestId('compare-pick-smoke-GL-P125-L1-D32').check();
    await page.getByTestId('compare-pick-smoke-GL-P250-L1-D32').check();
    await page.getByTestId('compare-go').click();
    const config = page.getByTestId('compare-config');
    await config.waitFor();
    const diffs = await config.locator('td.diff').allTextContents();
    expect(diffs).toContain('model.patch');
    const patchRow = config.locator('tr', { has: page.locator('td.diff', { hasText: /^model\.patch$/ }) });
    expect((await patchRow.textContent())?.replace(/\s+/g, ' ')).toMatch(/125.*250/);
    // Shared settings are not highlighted.
    expect(diffs).not.toContain('dataset');
    expect(Number(await page.getByTestId('compare-losses').getAttribute('data-points'))).toBeGreaterThan(4);
    await shot('16-compare');
    await page.getByTestId('only-diff').check();
    await shot('17-compare-differences');
    const csv = await downloaded(page, config.getByTestId('export-csv'));
    expect(csv.name).toBe('configuration.csv');
    expect(csv.body.toString('utf8')).toMatch(/^Setting,smoke-GL-P125-L1-D32|^Setting,GL-P125-L1-D32/);
    expect(csv.body.toString('utf8')).toContain('model.patch,125,250');
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('nav-studies').click();
    await page.getByTestId('study-heatmaps').waitFor();
    await shot('18-studies-dark');
    await page.getByTestId('theme-toggle').click();
    expect(ui.pageErrors).toEqual([]);
  });

  // Text drawn inside the charts' canvases (legends, axis names, labels, colour bars), which the first-day layout
  // walk cannot see, with every chart filled.
  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 1024, height: 700 },
  ]) {
    it(`draws every chart at ${viewport.width}×${viewport.height} without overlapping or cut-off text`, async () => {
      await page.setViewportSize(viewport);
      const problems: string[] = [];
      let charts = 0;
      for (const p of ['studies', 'simulations', 'risk', 'compare']) {
        await page.getByTestId(`nav-${p}`).click();
        await page.waitForTimeout(500);
        const layouts = await chartLayouts(page);
        charts += layouts.length;
        for (const c of layouts) problems.push(...c.problems);
        for (const x of await layoutProblems(page)) problems.push(`${p}: ${x.kind}: ${x.what}`);
        await shot(`analysis-${viewport.width}-${p}`);
      }
      expect(charts).toBeGreaterThanOrEqual(8);
      expect(problems).toEqual([]);
    });
  }
});
