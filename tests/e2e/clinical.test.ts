/**
 * End to end for the Clinical evaluation page, in headless Chromium against the headless host on real PTB-XL
 * (100 Hz): a tiny model fine-tuned on folds 1–8 (fold 9 calibrates) and packaged through the back-end API is
 * imported on the page, run on fold 10 with a target-sensitivity rule, and its metrics, ROC with the operating point,
 * calibration, subgroups, one record with integrated-gradients saliency and the offline report are checked.
 * Screenshots go to test-artifacts/e2e/.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Service } from '../../main/api/service.js';
import { exportClinicalModel, fineTuneClinical } from '../../main/clinical/index.js';
import { openDataset } from '../../main/data/registry.js';
import { decodePng } from './png.js';
import { sharedData } from '../helpers/paths.js';
import { closeWorkstation, colourPixels, downloaded, importPtbxl, openWorkstation, serviceOnTempWorkspace, SHOTS, type Workstation } from './harness.js';

const TASKS = ['MI', 'STTC', 'CD', 'HYP'];

describe('clinical evaluation page end to end', () => {
  let service: Service;
  let app: Workstation;
  let page: Page;
  let packagePath: string;
  let workspace: string;
  const requests: string[] = [];
  const shot = (name: string) => app.shot(name);

  beforeAll(async () => {
    ({ service, workspace } = serviceOnTempWorkspace('ecgfm-e2e-clinical-'));
    await importPtbxl(service);
    // The package is made through the back-end API (folds 1–8 train, 9 calibrates) and lives outside the workspace,
    // so the page's import path is what brings it in.
    const runDir = join(workspace, 'finetune-run');
    await fineTuneClinical({ encoder: null, config: { patch: 125, depth: 1, dim: 32 }, dataset: openDataset('ptbxl'), tasks: TASKS, epochs: 2, batchSize: 32, learningRate: 1e-3, seed: 0, outDir: runDir });
    packagePath = join(workspace, 'tiny.ecgfm');
    exportClinicalModel(runDir, packagePath);
    app = await openWorkstation(service, {
      viewport: { width: 1400, height: 900 },
      acceptDownloads: true,
      fullPage: true,
      watch: (p) => p.on('request', (r) => requests.push(r.url())),
    });
    page = app.page;
  }, 150_000);

  afterAll(() => closeWorkstation(app, service));

  it('imports a package and shows its provenance, tasks, thresholds and preprocessing', async () => {
    await page.getByTestId('nav-clinical').click();
    await page.getByTestId('clinical-import-path').fill(packagePath);
    await page.getByTestId('clinical-import').click();
    const prov = page.getByTestId('clinical-provenance');
    await prov.waitFor({ timeout: 20_000 });
    const text = (await prov.textContent()) ?? '';
    expect(text).toContain('P125 D32 L1');
    expect(text).toContain('250 Hz');
    expect(text).toMatch(/ptbxl/);
    const tasks = (await page.getByTestId('clinical-package-tasks').textContent()) ?? '';
    for (const t of TASKS) expect(tasks).toContain(t);
    expect(await page.getByTestId('clinical-package-rules').textContent()).toMatch(/Youden index on the validation split/);
    await expect.poll(() => page.getByTestId('clinical-model-select').inputValue()).toMatch(/tiny\.ecgfm$/);
  });

  it('runs fold 10 at sensitivity ≥ 0.9 as a job and shows metrics, the confusion matrix and ROC with the operating point', async () => {
    await page.getByTestId('clinical-filter').fill('strat_fold=10');
    await page.getByTestId('clinical-rule').selectOption('sensitivity');
    await page.getByTestId('clinical-rule-value').fill('0.9');
    // A mistyped cohort folder is refused, naming it; once corrected, the very first click on Run starts the run
    // (the correction's change event used to re-lay the form under the pointer and swallow that click).
    const runJobs = async () => (await service.handlers.listJobs({})).filter((j) => j.kind === 'clinical-run').length;
    await page.getByTestId('clinical-cohort-path').fill(`${sharedData('ptbxl')}-typo`);
    await page.getByTestId('clinical-run').click();
    await expect.poll(() => page.getByTestId('clinical-error').textContent()).toMatch(/Nothing exists at \S*ptbxl-typo/);
    expect(await runJobs()).toBe(0);
    await page.getByTestId('clinical-cohort-path').fill(sharedData('ptbxl'));
    await page.getByTestId('clinical-run').click();
    await expect.poll(runJobs, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('clinical-detected').textContent()).toMatch(/ptbxl_database\.csv/);
    expect(await page.getByTestId('clinical-cohort-kind').inputValue()).toBe('ptbxl');
    const metrics = page.getByTestId('clinical-metrics');
    await metrics.waitFor({ timeout: 120_000 });
    const text = (await metrics.textContent()) ?? '';
    for (const t of TASKS) expect(text).toContain(t);
    expect(text).toMatch(/0\.\d{3}–[01]\.\d{3}/);
    const summary = (await page.getByTestId('clinical-summary').textContent()) ?? '';
    expect(summary).toMatch(/strat_fold=10/);
    expect(summary).toMatch(/calibration split/);
    // Sensitivity ≥ 0.9 chosen on fold 9: on fold 10 the confusion matrix has both rows filled.
    const confusion = await page.getByTestId('clinical-confusion').locator('td').allTextContents();
    const [tp, fp, fn, tn] = confusion.map(Number);
    expect(tp! + fp! + fn! + tn!).toBeGreaterThan(30);
    expect(tp! + fn!).toBeGreaterThan(0);
    const roc = page.getByTestId('clinical-roc');
    expect(Number(await roc.getAttribute('data-points'))).toBeGreaterThan(5);
    await roc.scrollIntoViewIfNeeded();
    const rocPng = await roc.locator('canvas').first().screenshot();
    expect(colourPixels(rocPng)).toBeGreaterThan(300);
    // The operating point is the red dot (#d62728).
    const { data, width, height } = decodePng(rocPng);
    let red = 0;
    for (let i = 0; i < width * height; i++) if (data[i * 4]! > 180 && data[i * 4 + 1]! < 80 && data[i * 4 + 2]! < 80) red++;
    expect(red).toBeGreaterThan(20);
    await page.screenshot({ path: join(SHOTS, '33-clinical-curves.png') });
    expect(await page.getByTestId('clinical-reliability').textContent()).toMatch(/Brier 0\.\d{3}, ECE 0\.\d{3}/);
    expect(await page.getByTestId('clinical-subgroups').textContent()).toMatch(/male|female/);
    await page.getByTestId('clinical-summary').scrollIntoViewIfNeeded();
    await shot('31-clinical-run');
  }, 240_000);

  it('opens a record with its integrated-gradients saliency over the 12-lead viewer', async () => {
    const first = page.getByTestId('clinical-records').locator('tr[data-record]').first();
    await first.click();
    const rec = page.getByTestId('clinical-record');
    await rec.waitFor({ timeout: 60_000 });
    const viewer = rec.getByTestId('ecg-viewer');
    await expect.poll(() => viewer.getAttribute('data-leads-drawn')).toBe('12');
    expect(Number(await viewer.getAttribute('data-saliency-bands'))).toBeGreaterThan(10);
    expect(await rec.textContent()).toMatch(/Integrated gradients/);
    await rec.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, '32-clinical-saliency.png') });
  });

  it('downloads the self-contained report and exports a table and a chart; nothing leaves the host', async () => {
    const report = await downloaded(page, page.getByTestId('clinical-report-download'));
    expect(report.name).toMatch(/\.html$/);
    const html = report.body.toString('utf8');
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/(src|href)=["']https?:/);
    const csv = await downloaded(page, page.getByTestId('clinical-metrics').getByTestId('export-csv'));
    expect(csv.body.toString('utf8')).toMatch(/^Task,n,Positives,AUROC/);
    const svg = await downloaded(page, page.getByTestId('clinical-roc').getByTestId('export-svg'));
    expect(svg.body.toString('utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    const origin = new URL(app.host.url).origin;
    expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });

  it('fine-tunes and exports a package from the page, then exports it to ONNX checked against tfjs', async () => {
    await page.getByTestId('clinical-model').scrollIntoViewIfNeeded();
    await page.getByTestId('clinical-finetune-toggle').click();
    await page.getByTestId('clinical-ft-name').fill('page-model');
    await page.getByTestId('clinical-ft-depth').fill('1');
    await page.getByTestId('clinical-ft-dim').fill('32');
    await page.getByTestId('clinical-ft-epochs').fill('2');
    const messages: string[] = [];
    const off = service.onEvent((e) => void (e.type === 'job.progress' && e.message && messages.push(e.message)));
    await page.getByTestId('clinical-ft-start').click();
    // A second fine-tune under the same package name is refused, on the page and by the host, while the first runs…
    const again = { dataset: 'ptbxl', tasks: ['MI'], model: { patch: 125, depth: 1, dim: 32 }, epochs: 1, batchSize: 16, seed: 0, name: 'page-model' };
    await expect.poll(async () => (await service.handlers.listJobs({})).some((j) => j.kind === 'clinical-finetune' && j.resultId === 'page-model.ecgfm')).toBe(true);
    await expect(service.handlers.startClinicalFinetune(again)).rejects.toThrow(/A fine-tune that exports "page-model\.ecgfm" is already queued or running/);
    await expect.poll(() => page.getByTestId('clinical-ft-issues').textContent()).toContain('already queued or running');
    expect(await page.getByTestId('clinical-ft-start').isDisabled()).toBe(true);
    // …and its progress reads as the terminal's: epoch, loss, validation AUROC, samples/s and time left.
    const rate = /epoch 1\/2\b.* · [\d.]+ samples\/s · (\d+ s|\d+ min \d+ s) left/;
    await expect.poll(() => page.getByTestId('jobs-queue').locator('[data-status="running"]').textContent(), { timeout: 60_000, interval: 200 }).toMatch(rate);
    await expect.poll(() => page.getByTestId('clinical-model-select').inputValue(), { timeout: 60_000 }).toMatch(/page-model\.ecgfm$/);
    off();
    expect(messages.some((m) => rate.test(m))).toBe(true);
    expect(await page.getByTestId('clinical-provenance').textContent()).toContain('P125 D32 L1');
    // Once written, the name stays taken: the page says so and the host refuses; the first package is untouched.
    const written = readFileSync(join(workspace, 'models', 'page-model.ecgfm'));
    await expect.poll(() => page.getByTestId('clinical-ft-issues').textContent()).toContain('A package named “page-model” already exists');
    expect(await page.getByTestId('clinical-ft-start').isDisabled()).toBe(true);
    await expect(service.handlers.startClinicalFinetune(again)).rejects.toThrow(/A model package named "page-model" already exists/);
    expect(readFileSync(join(workspace, 'models', 'page-model.ecgfm')).equals(written)).toBe(true);
    expect(readdirSync(join(workspace, 'models')).filter((f) => f.startsWith('page-model'))).toEqual(['page-model.ecgfm']);
    await page.getByTestId('clinical-onnx').click();
    const onnx = page.getByTestId('clinical-onnx-result');
    await onnx.waitFor({ timeout: 60_000 });
    const text = (await onnx.textContent()) ?? '';
    expect(text).toMatch(/page-model\.onnx/);
    const diff = Number(/\|Δlogit\| (\S+)/.exec(text)?.[1]);
    expect(diff).toBeLessThanOrEqual(1e-4);
    expect(existsSync(join(workspace, 'models', 'page-model.onnx'))).toBe(true);
    await page.getByTestId('clinical-model').screenshot({ path: join(SHOTS, '34-clinical-package.png') });
  });

  it('resumes a run cut short by a kill, keeping the scored records and re-scoring only the rest', async () => {
    const [run] = await service.handlers.listClinicalRuns({});
    const dir = join(workspace, 'clinical', 'runs', run!.id);
    const lines = readFileSync(join(dir, 'scores.csv'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(67);
    // What a kill mid-append leaves: 10 complete lines and a torn one; the page's note says the run did not finish.
    writeFileSync(join(dir, 'scores.csv'), [...lines.slice(0, 11), lines[11]!.slice(0, 7)].join('\n'));
    const ui = JSON.parse(readFileSync(join(dir, 'workstation.json'), 'utf8')) as { complete: boolean };
    writeFileSync(join(dir, 'workstation.json'), JSON.stringify({ ...ui, complete: false }));
    await page.getByTestId('clinical-runs').locator('tr').first().click();
    await page.getByTestId('clinical-resume').click();
    await expect.poll(async () => (await page.getByTestId('clinical-summary').textContent()) ?? '', { timeout: 60_000 }).toMatch(/66 scored/);
    await page.getByTestId('clinical-metrics').waitFor();
    expect(await page.getByTestId('clinical-resume').count()).toBe(0);
    const after = readFileSync(join(dir, 'scores.csv'), 'utf8').split('\n').filter(Boolean);
    expect(after).toHaveLength(67);
    expect(new Set(after.map((l) => l.split(',')[0])).size).toBe(67);
    expect(after.slice(0, 11)).toEqual(lines.slice(0, 11));
    expect(app.pageErrors).toEqual([]);
  });
});
