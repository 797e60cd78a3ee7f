/**
 * End to end in headless Chromium: a folder of hospital ECG files (a real GE MUSE export, the published HL7 aECG
 * example, pydicom's DICOM 12-lead ECG, an EDF, and two broken files) imported through the wizard, which recognises
 * it by content and lists the broken files; each record then opens in the viewer with 12 leads, raw and standardised.
 * A second folder joins the dataset only when "Add to it" is ticked.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Service } from '../../main/api/service.js';
import { closeWorkstation, openWorkstation, serviceOnTempWorkspace, type Workstation } from './harness.js';
import { PYDICOM_CT, PYDICOM_ECG, ptbxl, tempDir, unpack, writeEdf } from '../formats/helpers.js';

describe('hospital formats end to end', () => {
  let service: Service;
  let ui: Workstation;
  let page: Page;
  let folder: string;

  beforeAll(async () => {
    ({ service } = serviceOnTempWorkspace('ecgfm-e2e-formats-'));
    folder = tempDir('ecgfm-hospital-');
    unpack('muse-mac5500.xml.gz', folder, 'muse_mac5500.xml');
    unpack('hl7-aecg-example.xml.gz', folder, 'hl7_aecg_example.xml');
    copyFileSync(PYDICOM_ECG, join(folder, 'ecg_12lead.dcm'));
    const rec = ptbxl(7);
    writeEdf(join(folder, 'ptbxl_7.edf'), rec.names.map((n, i) => ({ label: `ECG ${n}`, unit: 'uV', digital: rec.digital[i]!, physMin: -32768, physMax: 32767, digMin: -32768, digMax: 32767 })), 500);
    copyFileSync(PYDICOM_CT, join(folder, 'ct_image.dcm'));
    writeFileSync(join(folder, 'broken.xml'), '<?xml version="1.0"?>\n<RestingECG><Waveform><WaveformType>Rhythm</WaveformType>');
    ui = await openWorkstation(service, { viewport: { width: 1280, height: 800 } });
    page = ui.page;
  });

  afterAll(() => closeWorkstation(ui, service));

  it('the wizard recognises the folder, imports four records and lists the two broken files', async () => {
    await page.getByTestId('tab-import').click();
    await page.getByTestId('import-path').fill(folder);
    await page.getByTestId('import-detect').click();
    await expect.poll(() => page.getByTestId('import-name').inputValue()).not.toBe('');
    await page.getByTestId('import-name').fill('hospital');
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-report').waitFor({ timeout: 90_000 });
    const report = (await page.getByTestId('import-report').textContent()) ?? '';
    expect(report).toContain('ct_image.dcm');
    expect(report).toMatch(/not a waveform/);
    expect(report).toContain('broken.xml');
    expect(report).toMatch(/malformed XML/);
    await ui.shot('formats-01-import-report');
  });

  it('opens every record with 12 leads drawn, standardised and raw', async () => {
    await page.getByTestId('tab-library').click();
    const row = page.locator('tr[data-dataset="hospital"]');
    await expect.poll(() => row.textContent()).toContain('ecg-files');
    await row.getByRole('button', { name: 'Browse' }).click();
    await page.getByTestId('record-row').first().waitFor();
    expect(await page.getByTestId('record-row').count()).toBe(4);
    for (let i = 0; i < 4; i++) {
      await page.getByTestId('record-row').nth(i).click();
      await page.getByTestId('view-standardised').click();
      await page.locator('[data-testid="ecg-viewer"][data-rendered="yes"][data-leads-drawn="12"]').waitFor({ timeout: 30_000 });
      const id = ((await page.getByTestId('record-row').nth(i).textContent()) ?? `r${i}`).trim().split('patient')[0]!.trim().replace(/[^A-Za-z0-9_-]+/g, '_');
      await ui.shot(`formats-02-${id}-standardised`);
      await page.getByTestId('view-raw').click();
      await expect.poll(() => page.locator('.note').textContent(), { timeout: 15_000 }).toMatch(/Source file .* at (500|1000) Hz/);
      await page.locator('[data-testid="ecg-viewer"][data-rendered="yes"][data-leads-drawn="12"]').waitFor({ timeout: 30_000 });
      await ui.shot(`formats-03-${id}-raw`);
    }
    expect(ui.pageErrors).toEqual([]);
  });

  it('appends a second folder to the dataset only when asked, and the dataset then lists both folders', async () => {
    const second = tempDir('ecgfm-hospital-more-');
    const rec = ptbxl(8);
    writeEdf(join(second, 'ptbxl_8.edf'), rec.names.map((n, i) => ({ label: `ECG ${n}`, unit: 'uV', digital: rec.digital[i]!, physMin: -32768, physMax: 32767, digMin: -32768, digMax: 32767 })), 500);
    await page.getByTestId('tab-import').click();
    await page.getByRole('button', { name: 'Import another' }).click();
    await page.getByTestId('import-path').fill(second);
    await page.getByTestId('import-detect').click();
    await expect.poll(() => page.getByTestId('import-name').inputValue()).not.toBe('');
    await page.getByTestId('import-name').fill('hospital');
    // The same name alone is refused in words, with the way to append offered beside it.
    await expect.poll(() => page.getByTestId('import-wizard').textContent()).toContain('A dataset named "hospital" already exists');
    expect(await page.getByTestId('import-start').isDisabled()).toBe(true);
    expect(await page.getByTestId('import-wizard').textContent()).toContain('(4 records now)');
    // A lone EDF is detected as edf; appending reads it with the dataset's own reader (ecg-files reads EDF too).
    expect(await page.getByTestId('import-kind').inputValue()).toBe('edf');
    await page.getByTestId('import-append').check();
    expect(await page.getByTestId('import-kind').inputValue()).toBe('ecg-files');
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-report').waitFor({ timeout: 90_000 });
    await expect.poll(() => page.getByTestId('import-appended').textContent()).toContain('"hospital" now holds 5 records from 2 folders');
    await ui.shot('formats-04-appended');
    const hospital = (await service.handlers.listDatasets({})).find((d) => d.name === 'hospital');
    expect(hospital?.count).toBe(5);
    expect(hospital?.sources?.map((x) => x.records)).toEqual([4, 1]);
    expect(ui.pageErrors).toEqual([]);
  });
});

