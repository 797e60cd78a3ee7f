/**
 * End to end in headless Chromium against the headless host, on real PTB-XL records: import at 100 Hz through the
 * wizard, open a record and see 12 leads drawn, launch a tiny pre-training, watch its loss curve grow, cancel it, and
 * see a run that cannot start fail with its reason.
 * Serves the built renderer (`npm test` runs `vite build` first). Screenshots go to test-artifacts/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Service } from '../../main/api/service.js';
import { decodePng } from './png.js';
import { sharedData } from '../helpers/paths.js';
import { closeWorkstation, openWorkstation, serviceOnTempWorkspace, type Workstation } from './harness.js';

/** Pixels darker than the paper's grid in a PNG screenshot (the trace is near-black on light paper). */
function darkPixels(png: Buffer): number {
  const { data, width, height } = decodePng(png);
  let n = 0;
  for (let i = 0; i < width * height; i++) if (data[i * 4]! < 80 && data[i * 4 + 1]! < 80 && data[i * 4 + 2]! < 80) n++;
  return n;
}

describe('workstation end to end', () => {
  let service: Service;
  let ui: Workstation;
  let page: Page;
  const shot = (name: string) => ui.shot(name);

  beforeAll(async () => {
    ({ service } = serviceOnTempWorkspace('ecgfm-e2e-'));
    ui = await openWorkstation(service, { viewport: { width: 1280, height: 800 } });
    page = ui.page;
  });

  afterAll(() => closeWorkstation(ui, service));

  it('imports PTB-XL at 100 Hz through the wizard and shows the report', async () => {
    await page.getByTestId('tab-import').click();
    await page.getByTestId('import-path').fill(sharedData('ptbxl'));
    await page.getByTestId('import-detect').click();
    await expect.poll(() => page.getByTestId('import-detected').textContent()).toContain('PTB-XL');
    await page.getByTestId('import-rate').selectOption('100');
    await expect.poll(() => page.getByTestId('import-name').inputValue()).toBe('ptbxl');
    await shot('01-import-options');
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-report').waitFor({ timeout: 90_000 });
    const report = await page.getByTestId('import-report').textContent();
    expect(report).toContain('500');
    expect(report).toContain('records imported');
    expect(report).toContain('466'); // patients in the 500-record subset
    expect(report).toMatch(/MI 14\.6%/);
    await shot('02-import-report');
  });

  it('lists the dataset and opens a record with all 12 leads drawn', async () => {
    await page.getByTestId('tab-library').click();
    const row = page.locator('tr[data-dataset="ptbxl"]');
    await expect.poll(() => row.textContent()).toContain('500');
    await shot('03-library');
    await row.getByRole('button', { name: 'Browse' }).click();
    await page.getByTestId('record-row').first().waitFor();
    expect(await page.getByTestId('record-row').count()).toBe(50);
    // Records go by their source file's name (PTB-XL's 00008_lr), with the numeric id on hover.
    const names = await page.getByTestId('record-name').allTextContents();
    expect(names.every((n) => /^\d{5}_(lr|hr)$/.test(n.trim()))).toBe(true);
    expect(await page.getByTestId('record-name').first().getAttribute('title')).toMatch(/^record id \d+$/);
    await page.getByTestId('record-row').nth(7).click();
    const viewer = page.locator('[data-testid="ecg-viewer"][data-rendered="yes"]');
    await viewer.waitFor({ timeout: 30_000 });
    expect(await viewer.getAttribute('data-leads-drawn')).toBe('12');
    // Ink on the paper: count trace-coloured pixels on the chart canvas.
    const canvas = page.locator('[data-testid="ecg-viewer"] canvas').first();
    const png = await canvas.screenshot();
    const ink = darkPixels(png);
    expect(ink).toBeGreaterThan(2000);
    await shot('04-record-standardised');
    await page.getByTestId('view-raw').click();
    await expect.poll(() => page.locator('.note').textContent(), { timeout: 15_000 }).toContain('100 Hz');
    await page.locator('[data-testid="ecg-viewer"][data-rendered="yes"][data-leads-drawn="12"]').waitFor();
    await shot('05-record-raw');
    await page.getByTestId('theme-toggle').click();
    await shot('06-record-dark');
    await page.getByTestId('theme-toggle').click();
  });

  it('launches a tiny pre-training, watches its loss curve gain points, and cancels it', async () => {
    await page.getByTestId('nav-pretrain').click();
    await page.getByTestId('method-gl').click();
    await page.getByTestId('f-patch').fill('125');
    await page.getByTestId('f-dim').fill('32');
    await page.getByTestId('f-depth').fill('1');
    await page.getByTestId('f-batch').fill('4');
    // Far more steps than the test watches (a quiet machine ran 5000 in under two minutes, and the run must still be
    // running when it is cancelled); the UI logs every steps/500, so 20000 steps give a point every 40.
    await page.getByTestId('f-steps').fill('20000');
    // The form validates before it sends: a masking ratio of 1 is refused in words.
    await page.getByTestId('f-mask').fill('1');
    await page.getByTestId('launch').click();
    await expect.poll(() => page.getByTestId('pretrain-form').textContent()).toContain('Masking ratio must be below 1.');
    await page.getByTestId('f-mask').fill('0.75');
    await page.getByTestId('launch').click();
    const chart = page.getByTestId('loss-chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 90_000 }).toBeGreaterThanOrEqual(3);
    const first = Number(await chart.getAttribute('data-points'));
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(first + 2);
    // The validation batches' terms join the curve live (dashed), beside ln(batch), without a reload.
    await expect.poll(async () => (await chart.getAttribute('data-series'))?.split(','), { timeout: 60_000 }).toEqual(expect.arrayContaining(['total', 'recon', 'val_recon', 'val_total']));
    expect(await page.getByTestId('run-status').textContent()).toBe('running');
    expect(await page.getByTestId('run-monitor').textContent()).toContain('wasm');
    await shot('07-pretrain-running');
    await page.getByTestId('run-cancel').click();
    // Cancel asks first; "Keep running" leaves the run alone.
    await page.getByTestId('run-cancel-keep').click();
    expect(await page.getByTestId('run-status').textContent()).not.toMatch(/cancel/);
    await page.getByTestId('run-cancel').click();
    await page.getByTestId('run-cancel-confirm').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 60_000 }).toBe('cancelled');
    await expect.poll(() => page.getByTestId('runs-list').textContent()).toContain('cancelled');
    await shot('08-pretrain-cancelled');
    expect(ui.pageErrors).toEqual([]);
  }, 420_000);

  it('shows a run that fails before its first loss as failed, with its reason, not as waiting for losses', async () => {
    // Folds 1-8 of the 500 imported records hold about 400 ECGs, fewer than one batch of 1000: the worker refuses it.
    // With one dataset imported, the form neither says to import one nor offers Ctrl-click to add another.
    expect(await page.getByTestId('f-datasets-none').count()).toBe(0);
    expect(await page.getByTestId('f-datasets-hint').count()).toBe(0);
    await page.getByTestId('f-batch').fill('1000');
    await page.getByTestId('f-steps').fill('10');
    await page.getByTestId('launch').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 120_000 }).toBe('failed');
    const monitor = page.getByTestId('run-monitor');
    await expect.poll(() => monitor.textContent()).toMatch(/fewer than one batch of 1000: lower the batch size/);
    expect(await page.getByTestId('run-no-losses').textContent()).toContain('failed before it logged a loss value');
    expect(await monitor.textContent()).not.toContain('Waiting for the first loss values');
    await shot('09-pretrain-failed');
    expect(ui.pageErrors).toEqual([]);
  }, 240_000);
});
