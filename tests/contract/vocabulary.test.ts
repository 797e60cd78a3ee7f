/** One vocabulary: the head count a form shows is what trains, and forms and the model refuse the same shapes. */
import { describe, expect, it } from 'vitest';
import { defaultHeads, modelShapeProblems, pretrainRequestSchema, studyRequestSchema, type ModelShape } from '../../contract/api.js';
import { PRESETS } from '../../main/api/service.js';
import { engineConfig } from '../../main/jobs/pretrain.js';
import { validateStudyConfig } from '../../main/experiments/grid.js';
import { resolveVitConfig } from '../../main/models/vit.js';
import { resolvePretrainConfig } from '../../main/training/config.js';

/** What PretrainForm.vue shows: the typed heads, else defaultHeads of the width. */
const formHeads = (f: { heads?: number | null; dim: number }) => f.heads ?? defaultHeads(f.dim);

describe('one vocabulary', () => {
  it('every Pre-train preset trains with the head count its form shows', () => {
    const shown: Record<string, number> = {};
    for (const preset of PRESETS.presets) {
      const settings = pretrainRequestSchema.parse({ ...PRESETS.defaults, ...preset.values });
      const trains = resolvePretrainConfig(engineConfig(settings, 'run')).model.heads;
      expect(trains, preset.label).toBe(formHeads(settings));
      shown[preset.label] = trains;
    }
    // The cases: the smoke test (D64) and a 768-wide model.
    expect(shown['Smoke test']).toBe(1);
    const wide = pretrainRequestSchema.parse({ ...PRESETS.defaults, dim: 768 });
    expect(formHeads(wide)).toBe(12);
    expect(resolvePretrainConfig(engineConfig(wide, 'run')).model.heads).toBe(12);
  });

  it('the request schema, the study grid and the model accept and refuse the same shapes', () => {
    const cases: [ModelShape, boolean][] = [
      [{ patch: 1250, depth: 2, dim: 64 }, true],
      [{ patch: 1251, depth: 2, dim: 64 }, false], // one patch per ECG
      [{ patch: 9, depth: 2, dim: 64 }, false],
      [{ patch: 125, depth: 25, dim: 64 }, false],
      [{ patch: 125, depth: 2, dim: 64, heads: 5 }, false],
      [{ patch: 125, depth: 2, dim: 30 }, true], // defaultHeads(30) = 1
      [{ patch: 60, depth: 1, dim: 48, heads: 3 }, true],
    ];
    for (const [shape, ok] of cases) {
      const label = JSON.stringify(shape);
      expect(modelShapeProblems(shape).length === 0, label).toBe(ok);
      expect(pretrainRequestSchema.safeParse({ ...PRESETS.defaults, ...shape }).success, `form ${label}`).toBe(ok);
      const model = () => resolveVitConfig(shape);
      if (ok) expect(model, `model ${label}`).not.toThrow();
      else expect(model, `model ${label}`).toThrow(/must be|fewer than|divisible/);
      if (shape.heads === undefined) {
        const study = { name: 's', dataset: 'd', tasks: ['MI'], methods: ['GL'], patches: [shape.patch], depths: [shape.depth], dims: [shape.dim], protocols: ['linear'], steps: 1, batchSize: 2, probeEpochs: 1, finetuneEpochs: 1 };
        expect(studyRequestSchema.safeParse(study).success, `study form ${label}`).toBe(ok);
        const grid = () => validateStudyConfig({ ...study, methods: ['GL'], protocols: ['linear'], baselines: [], seed: 0, pretrain: { steps: 1, batchSize: 2 }, downstream: {} });
        if (ok) expect(grid, `grid ${label}`).not.toThrow();
        else expect(grid, `grid ${label}`).toThrow();
      }
    }
  });
});
