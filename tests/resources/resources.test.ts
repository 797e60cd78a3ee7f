/** resources/: every bundled asset loads and validates, the code reads it from there, and packaging includes it. */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, tempWorkspace } from '../helpers/paths.js';

const RES = join(REPO_ROOT, 'resources');

describe('resources/', () => {
  afterEach(() => {
    delete process.env.ECGFM_RESOURCES;
    vi.resetModules();
  });

  it('holds the presets, the paper grid, the cohort parameters, the report styles and the icon, all valid', async () => {
    const r = await import('../../main/resources.js');
    expect(r.resourcesDir()).toBe(RES.replace(/\/$/, ''));
    const pre = r.pretrainPresets();
    expect(pre.grid.patch).toEqual([60, 125, 250]);
    expect(pre.presets.map((p) => p.label)).toContain('Smoke test');
    expect(r.studyPresets().find((p) => p.cells === 81)?.config.dims).toEqual([256, 512, 1024]);
    expect(r.paperGrid()).toEqual({ methods: ['CL', 'GL', 'HL'], patches: [60, 125, 250], depths: [2, 4, 8], dims: [256, 512, 1024] });
    expect(r.syntheticCohortParameters().prevalence.MI).toBeCloseTo(0.3);
    expect(r.resourceText('reports/study-report.css')).toContain('.figure');
    const png = readFileSync(r.iconPath());
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('is what the service, the grid and the synthetic cohort use', async () => {
    const json = JSON.parse(readFileSync(join(RES, 'presets', 'pretrain.json'), 'utf8'));
    const { PRESETS } = await import('../../main/api/service.js');
    expect(PRESETS.presets).toEqual(json.presets);
    const { STUDY_PRESETS } = await import('../../main/api/analysis.js');
    expect(STUDY_PRESETS).toEqual(JSON.parse(readFileSync(join(RES, 'presets', 'studies.json'), 'utf8')));
    const { DEFAULT_PREVALENCE } = await import('../../main/data/synthetic.js');
    expect(DEFAULT_PREVALENCE).toEqual(JSON.parse(readFileSync(join(RES, 'synthetic', 'cohort.json'), 'utf8')).prevalence);
  });

  it('refuses an edited file with a message naming it and the bad field', async () => {
    const dir = join(tempWorkspace('ecgfm-res-'), 'resources');
    cpSync(RES, dir, { recursive: true });
    const file = join(dir, 'presets', 'pretrain.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.presets[0].values.patch = 3;
    writeFileSync(file, JSON.stringify(json));
    writeFileSync(join(dir, 'synthetic', 'cohort.json'), '{ not json');
    process.env.ECGFM_RESOURCES = dir;
    const r = await import('../../main/resources.js');
    expect(() => r.pretrainPresets()).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*Smoke test.*patch`));
    expect(() => r.syntheticCohortParameters()).toThrow(/cohort\.json is not valid JSON/);
  });

  it('is packaged by electron-builder, icons included', () => {
    const cfg = JSON.parse(readFileSync(join(REPO_ROOT, 'build', 'electron-builder.json'), 'utf8'));
    expect(cfg.files).toContain('resources/**');
    for (const os of ['linux', 'win', 'mac']) expect(cfg[os].icon).toBe('resources/icons/icon.png');
  });
});
