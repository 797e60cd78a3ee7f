import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { openStore, type Store } from '../../main/store/store.js';
import { createStudy, runStudy } from '../../main/experiments/study.js';
import { writeReport } from '../../main/reports/report.js';
import { tempWorkspace } from '../helpers/paths.js';
import { TINY_GRID, recordedExecutor } from '../experiments/fixtures/recorded.js';

let store: Store;
let workspace: string;

beforeAll(async () => {
  workspace = tempWorkspace();
  process.env.ECGFM_WORKSPACE = workspace;
  store = openStore(join(workspace, 'ecgfm.sqlite'));
  createStudy(store, TINY_GRID);
  await runStudy(store, 'tiny', recordedExecutor({ oomKey: 'GL-P125-L2-D128' }));
});
afterAll(() => store.close());

const readCsv = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(','));

describe('paper-shaped report', () => {
  it("writes the paper's tables as CSV from the store", async () => {
    const report = await writeReport(store, 'tiny');
    expect(report.dir).toBe(join(workspace, 'reports', 'tiny'));
    const names = report.csv.map((p) => p.slice(report.dir.length + 1));
    expect(names).toEqual([
      'table3_pretraining_losses.csv',
      'appendix_table1_CL_pretraining.csv',
      'appendix_table2_GL_pretraining.csv',
      'appendix_table3_HL_pretraining.csv',
      'table4_linear_probing.csv',
      'table5_fine_tuning.csv',
      'appendix_table4_CL_linear_probing.csv',
      'appendix_table5_GL_linear_probing.csv',
      'appendix_table6_HL_linear_probing.csv',
      'appendix_table7_CL_fine_tuning.csv',
      'appendix_table8_GL_fine_tuning.csv',
      'appendix_table9_HL_fine_tuning.csv',
      'table6_data_usage.csv',
      'table7_case_ratio.csv',
      'table8_risk_decomposition.csv',
    ]);

    // Table 3: the lowest final loss per method (the recorded losses fall with width, so D128; patch 125 beats 250).
    const t3 = readCsv(join(report.dir, 'table3_pretraining_losses.csv'));
    expect(t3[0]).toEqual(['Method', 'Patch', 'Depth', 'Dim', 'Total loss', 'Patient loss', 'Sample loss', 'Reconstruction loss']);
    expect(t3.slice(1).map((r) => r.slice(0, 4))).toEqual([
      ['CL (Contrastive Learning)', '125', '2', '128'],
      ['GL (Generative Learning)', '125', '2', '64'], // its D128 cell ran out of memory
      ['HL (Hybrid Learning)', '125', '2', '128'],
    ]);
    // The final loss is the mean of the last 10 steps: 10 + 2 - 2 + 1 + 5·mean(exp(-s/5), s = 10…19).
    const expectedHl = 11 + (5 * Array.from({ length: 10 }, (_, i) => Math.exp(-(i + 10) / 5)).reduce((a, b) => a + b)) / 10;
    expect(Number(t3[3]![4])).toBeCloseTo(expectedHl, 3);
    expect(t3[1]![7]).toBe(''); // CL has no reconstruction loss
    expect(t3[2]![5]).toBe(''); // GL has no contrastive losses

    const gl = readCsv(join(report.dir, 'appendix_table2_GL_pretraining.csv'));
    expect(gl).toHaveLength(5);
    expect(gl[2]!.slice(0, 5)).toEqual(['1', '125', '2', '128', 'OOM']);

    // Table 4: Random Init first, then each method's best cell by the criteria score (Σ AUROC + Σ AUPRC).
    const t4 = readCsv(join(report.dir, 'table4_linear_probing.csv'));
    expect(t4[0]).toEqual(['Method', 'Patch', 'Depth', 'Dim', 'AUROC MI', 'AUROC CD', 'AUPRC MI', 'AUPRC CD', 'Criteria']);
    expect(t4[1]![0]).toBe('Random Initialization (Baseline)');
    const hl = t4.find((r) => r[0]!.startsWith('HL'))!;
    const sum = hl.slice(4, 8).map(Number).reduce((a, b) => a + b, 0);
    expect(Number(hl[8])).toBeCloseTo(sum, 3);
    expect(hl.slice(1, 4)).toEqual(['125', '2', '128']);
    const t5 = readCsv(join(report.dir, 'table5_fine_tuning.csv'));
    expect(t5[1]![0]).toBe('SL (Supervised Learning) (Baseline)');
    expect(t5.filter((r) => r[0]!.startsWith('SL')).length).toBeGreaterThanOrEqual(1);

    const t6 = readCsv(join(report.dir, 'table6_data_usage.csv'));
    expect(t6.slice(1).map((r) => `${r[0]} ${r[1]} ${r[2]}`)).toEqual(['SL 50% 2', 'SL 10% 2', 'CL 50% 2', 'CL 10% 2', 'GL 50% 2', 'GL 10% 2', 'HL 50% 2', 'HL 10% 2']);
    expect(Number(t6[1]![3])).toBeCloseTo(0.855, 4); // mean of 0.85 and 0.86
    expect(Number(t6[1]![3 + 5])).toBeCloseTo(Math.SQRT1_2 * 0.01, 4); // sd of the AUROC MI column
    const t8 = readCsv(join(report.dir, 'table8_risk_decomposition.csv'));
    expect(t8.slice(1).map((r) => r[0])).toEqual(['CL', 'GL', 'HL']);
    expect(t8[1]!.slice(1, 4).map(Number)).toEqual([0.1, 0.1, 0.1]);
  });

  it('rebuilds the same report from the store after the folder is deleted', async () => {
    const first = await writeReport(store, 'tiny');
    const before = first.csv.map((p) => readFileSync(p, 'utf8'));
    rmSync(first.dir, { recursive: true });
    const again = await writeReport(store, 'tiny');
    expect(again.csv.map((p) => readFileSync(p, 'utf8'))).toEqual(before);
    expect(existsSync(again.html)).toBe(true);
    const artifact = store.artifacts({ studyId: again.studyId }).find((a) => a.path === again.html);
    expect(artifact?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes an HTML page that draws its figures offline', async () => {
    const { html } = await writeReport(store, 'tiny');
    const text = readFileSync(html, 'utf8');
    expect(text).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']https?:/);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const requests: string[] = [];
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (!url.startsWith('file:')) requests.push(url);
        return url.startsWith('file:') ? route.continue() : route.abort();
      });
      await page.goto(pathToFileURL(html).href);
      const drawn: number[] = [];
      for (const id of ['figure3', 'figure4', 'figure5', 'figure6', 'figure7', 'figure8']) drawn.push(await page.locator(`#${id} .chart svg`).count());
      expect(drawn).toEqual([3, 3, 3, 3, 3, 3]);
      expect(await page.locator('#loss-curves svg').count()).toBe(1);
      expect(await page.locator('section.table').count()).toBe(15);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
