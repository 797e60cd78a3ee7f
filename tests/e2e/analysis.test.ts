/**
 * End to end for the analysis pages, in headless Chromium against the headless host on real PTB-XL (100 Hz):
 * run a smoke-scale study (GL, HL × patches 125, 250) and see its heatmaps fill; evaluate one encoder and see ROC/PR;
 * run a data-usage simulation and see its chart; compare two runs and see the differing setting highlighted; export
 * a table as CSV and a chart as PNG and SVG. Screenshots go to test-artifacts/e2e/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { createService, type Service } from '../../main/api/service.js';
import { startHost, type RunningHost } from '../../main/host/server.js';
import { decodePng } from './png.js';
import { REPO_ROOT, sharedData, tempWorkspace } from '../helpers/paths.js';

const RENDERER = join(REPO_ROOT, 'dist', 'renderer');
const SHOTS = join(REPO_ROOT, 'test-artifacts', 'e2e');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Strongly coloured pixels (heatmap cells, curves), as opposed to the white/grey chart furniture. */
function colourPixels(png: Buffer): number {
  const { data, width, height } = decodePng(png);
  let n = 0;
  for (let i = 0; i < width * height; i++) {
    const r = data[i * 4]!;
    const g = data[i * 4 + 1]!;
    const b = data[i * 4 + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 80) n++;
  }
  return n;
}

async function downloaded(page: Page, button: Locator): Promise<{ name: string; body: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), body: readFileSync(path) };
}

describe('analysis pages end to end', () => {
  let service: Service;
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

  beforeAll(async () => {
    if (!existsSync(join(RENDERER, 'index.html'))) throw new Error(`The renderer is not built (${RENDERER} is missing): run \`npm run build:renderer\` (npm test does it first).`);
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH.`);
    mkdirSync(SHOTS, { recursive: true });
    const workspace = tempWorkspace('ecgfm-e2e-analysis-');
    // The study pipeline writes run folders under $ECGFM_WORKSPACE.
    process.env.ECGFM_WORKSPACE = workspace;
    service = createService({ host: 'http', workspace });
    // The wizard has its own e2e; import straight through the service here.
    const imported = new Promise<void>((ok, fail) =>
      service.onEvent((e) => (e.type === 'import.finished' ? ok() : e.type === 'import.failed' ? fail(new Error(e.message)) : undefined)),
    );
    await service.handlers.importDataset({ path: sharedData('ptbxl'), kind: 'ptbxl', name: 'ptbxl', rate: 100 });
    await imported;
    host = await startHost({ service, staticDir: RENDERER });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(host.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.dispose();
    await host?.close();
  });

  it('runs a smoke study (GL, HL × P125, P250) and fills the heatmaps with the finished cells', async () => {
    await page.getByTestId('nav-studies').click();
    await expect.poll(() => page.getByTestId('study-preset').inputValue()).toBe('0');
    await page.getByTestId('study-name').fill('smoke');
    await expect.poll(() => page.getByTestId('study-dataset').inputValue()).toBe('ptbxl');
    expect(await page.getByTestId('study-patches').inputValue()).toBe('125, 250');
    await page.getByTestId('study-start').click();
    await page.getByTestId('study-cells').waitFor();
    expect(await page.locator('[data-cell]').count()).toBe(4);
    await shot('11-study-running');
    await expect.poll(() => page.locator('[data-cell][data-status="succeeded"]').count(), { timeout: 150_000, interval: 1000 }).toBe(4);
    await expect.poll(() => page.getByTestId('study-heatmaps').getAttribute('data-filled'), { timeout: 15_000 }).toBe('4');
    // Two heatmaps (one per method), each with its two cells drawn in colour.
    const maps = page.getByTestId('study-heatmap');
    expect(await maps.count()).toBe(2);
    for (let i = 0; i < 2; i++) expect(colourPixels(await maps.nth(i).locator('canvas').first().screenshot())).toBeGreaterThan(3000);
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
  });

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
    expect(pageErrors).toEqual([]);
  });
});
