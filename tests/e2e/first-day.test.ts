/**
 * The first day, in headless Chromium against the headless host: an empty workspace offers the demo cohort,
 * each step points to the next, the rough edges of the first walk-through stay fixed, and every page at 1440×900
 * and 1024×700 has no overlapping or clipped text in its main panel, no console error and no 5xx answer.
 * Screenshots go to test-artifacts/e2e/first-day-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Service } from '../../main/api/service.js';
import { closeWorkstation, openWorkstation, serviceOnTempWorkspace, type Workstation } from './harness.js';
import { layoutProblems } from './layout.js';

const PAGES = ['datasets', 'pretrain', 'evaluate', 'studies', 'simulations', 'risk', 'compare', 'clinical'] as const;

describe('the first day', () => {
  let service: Service;
  let ui: Workstation;
  let page: Page;
  const consoleErrors: string[] = [];
  const serverErrors: string[] = [];
  const shot = (name: string) => ui.shot(`first-day-${name}`);
  const go = async (p: string) => {
    await page.getByTestId(`nav-${p}`).click();
    await page.waitForTimeout(150);
  };

  beforeAll(async () => {
    ({ service } = serviceOnTempWorkspace('ecgfm-firstday-'));
    ui = await openWorkstation(service, {
      viewport: { width: 1440, height: 900 },
      watch: (p) => {
        p.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
        p.on('response', (r) => void (r.status() >= 500 && serverErrors.push(`${r.status()} ${r.url()}`)));
      },
    });
    page = ui.page;
  });

  afterAll(() => closeWorkstation(ui, service));

  it('offers the demo cohort or an import on an empty workspace, then points to pre-training', async () => {
    await page.getByTestId('first-run').waitFor();
    expect(await page.getByTestId('first-run-import').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('sidebar-backend').textContent(), { timeout: 60_000 }).toMatch(/(wasm|cpu|tfjs|webgpu)[\s\S]*(CPU|GPU)/);
    // The doctor's advice, from the first screen: every backend with what to install (here: no libtensorflow).
    expect(await page.getByTestId('first-run-compute').textContent()).toMatch(/Jobs run on (wasm|cpu|webgpu|tfjs-node)/);
    await page.getByTestId('doctor-run').click();
    const checks = page.getByTestId('doctor-checks');
    await checks.waitFor({ timeout: 90_000 });
    expect(await checks.locator('[data-check="wasm"]').getAttribute('data-status')).toBe('works');
    expect(await checks.locator('[data-check="tfjs-node-gpu"]').getAttribute('data-status')).toBe('unavailable');
    expect(await checks.locator('[data-check="tfjs-node-gpu"]').textContent()).toMatch(/npm run setup/);
    expect(await page.getByTestId('doctor-selected').textContent()).toMatch(/^Runs here use: (wasm|cpu|webgpu)/);
    await checks.locator('[data-check="tfjs-node-gpu"] summary').click();
    expect(await layoutProblems(page)).toEqual([]);
    await shot('01-empty-workspace');
    await page.getByTestId('first-run-demo').click();
    await page.getByTestId('dataset-list').locator('[data-dataset="demo-synthetic"]').waitFor({ timeout: 90_000 });
    await expect.poll(() => page.getByTestId('next-step').getAttribute('data-next')).toBe('pretrain');
    await shot('02-demo-cohort');
  });

  it('shows source file names, sex in words, the calibration pulse and ruler, and stays whole at 200 %', async () => {
    await page.getByTestId('tab-records').click();
    await page.getByTestId('record-browser').getByLabel('Dataset').selectOption('demo-synthetic');
    await page.getByTestId('record-row').first().click();
    await page.locator('[data-testid="ecg-viewer"][data-rendered="yes"]').waitFor();
    expect(await page.getByTestId('record-sex').textContent()).toMatch(/^(male|female)$/);
    expect(await page.getByTestId('ecg-scale').textContent()).toContain('calibration pulse 1 mV');
    await page.getByTitle('Zoom in').click();
    await page.getByTitle('Zoom in').click();
    expect(await page.getByTitle('Fit the width').textContent()).toBe('200%');
    await page.waitForTimeout(300);
    // The canvas follows the zoomed size: nothing of the 4 rows is cut off.
    const sizes = await page.getByTestId('ecg-canvas').evaluate((el) => {
      const c = el.querySelector('canvas')!;
      return { box: [el.clientWidth, el.clientHeight], canvas: [c.clientWidth, c.clientHeight] };
    });
    expect(sizes.canvas).toEqual(sizes.box);
    expect(sizes.box[0]).toBeGreaterThan(1500);
    await shot('03-record-200pct');
  });

  it('pre-trains with presets that set every field, remembers the dataset, asks before cancelling', async () => {
    await go('pretrain');
    await page.locator('[data-preset="Coarse & wide"]').click();
    expect(await page.getByTestId('f-depth').inputValue()).toBe('8');
    await page.locator('[data-preset="MAE only (GL)"]').click();
    // A preset starts from the defaults: the previous preset's depth 8 and width 1024 are gone.
    expect([await page.getByTestId('f-depth').inputValue(), await page.getByTestId('f-dim').inputValue()]).toEqual(['4', '512']);
    await page.getByTestId('f-batch').fill('');
    await page.getByTestId('f-batch').pressSequentially('abc');
    await page.getByTestId('launch').click();
    await expect.poll(() => page.locator('.pform .error-text').allTextContents()).toContain('Batch size must be a whole number from 2 to 1,024.');
    await page.locator('[data-preset="Smoke test"]').click();
    // Fewer steps than the preset's 20 keep this test short on a loaded machine.
    await page.getByTestId('f-steps').fill('8');
    await page.getByTestId('f-datasets').locator('[data-dataset="demo-synthetic"]').click();
    await page.getByTestId('launch').click();
    await page.getByTestId('run-cancel').waitFor();
    await page.getByTestId('run-cancel').click();
    await page.getByTestId('run-cancel-keep').click();
    await expect.poll(() => page.getByTestId('run-rate').textContent(), { timeout: 120_000 }).toMatch(/\d/);
    await expect.poll(() => page.getByTestId('run-eta').textContent()).toMatch(/\d+ s|min|—/);
    // A second run beside it (straight through the API), for Compare below.
    await service.handlers.startPretrain({ method: 'gl', patch: 250, dim: 64, depth: 2, maskRatio: 0.75, augmentations: ['shift'], tau: 0.1, batchSize: 8, lr: 1e-4, weightDecay: 1e-5, steps: 4, datasets: ['demo-synthetic'], seed: 1 });
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 240_000 }).toBe('completed');
    await expect.poll(async () => (await service.handlers.listRuns({})).filter((r) => r.status === 'completed').length, { timeout: 240_000 }).toBe(2);
    await shot('04-pretrain-done');
    await page.reload();
    await go('pretrain');
    await expect.poll(() => page.getByTestId('f-datasets').locator('[data-dataset="demo-synthetic"].on').count()).toBe(1);
    await expect.poll(() => page.getByTestId('next-step').getAttribute('data-next')).toBe('evaluate');
  }, 600_000);

  it('says why a study has 0 cells and names the field of a bad number', async () => {
    await go('studies');
    await page.getByTestId('study-patches').fill('');
    expect(await page.getByTestId('study-cell-count').textContent()).toContain('0 cells: enter patch sizes as whole numbers');
    expect(await page.getByTestId('study-start').isDisabled()).toBe(true);
    await page.getByTestId('study-patches').fill('125, 2x');
    await expect.poll(() => page.getByTestId('study-issues').textContent()).toContain('Patch sizes: “125, 2x” is not a comma-separated list of whole numbers');
    await page.getByTestId('study-patches').fill('125');
    await page.getByTestId('study-steps').fill('0');
    await expect.poll(() => page.getByTestId('study-issues').textContent()).toContain('Pre-train for at least 1 step.');
    await page.getByTestId('study-steps').fill('4');
  });

  it('compares two runs showing weight decay 1e-5, and offers pre-trained encoders to clinical fine-tuning', async () => {
    await go('compare');
    await page.locator('[data-testid^="compare-pick-"]').first().waitFor();
    const picks = page.locator('[data-testid^="compare-pick-"]');
    await picks.nth(0).check();
    await picks.nth(1).check();
    await page.getByTestId('compare-go').click();
    await expect.poll(() => page.getByTestId('compare-config').textContent()).toContain('1e-5');
    expect(await page.getByTestId('compare-config').textContent()).not.toContain('0.0000');
    await go('clinical');
    await page.getByTestId('clinical-finetune-toggle').click();
    await expect.poll(() => page.getByTestId('clinical-ft-encoder').locator('option').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^pre-trained: /)]));
    expect(await page.getByTestId('clinical-seen').inputValue()).toBe('exclude');
  });

  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 1024, height: 700 },
  ]) {
    it(`lays out every page at ${viewport.width}×${viewport.height} without overlapping or clipped text`, async () => {
      await page.setViewportSize(viewport);
      const problems: string[] = [];
      for (const p of PAGES) {
        await go(p);
        await page.waitForTimeout(400);
        for (const x of await layoutProblems(page)) problems.push(`${p}: ${x.kind}: ${x.what}`);
        await shot(`${viewport.width}-${p}`);
      }
      for (const tab of ['import', 'library']) {
        await go('datasets');
        await page.getByTestId(`tab-${tab}`).click();
        await page.waitForTimeout(200);
        for (const x of await layoutProblems(page)) problems.push(`datasets/${tab}: ${x.kind}: ${x.what}`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('met no console error, no page error and no 5xx', () => {
    expect(consoleErrors).toEqual([]);
    expect(ui.pageErrors).toEqual([]);
    expect(serverErrors).toEqual([]);
  });
});
