/** The demo's grid varies a structure setting, so the report's Figures 3–8 draw a trend per method. */
import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, demoStudyConfig } from '../../main/experiments/demo.js';
import { studyCells } from '../../main/experiments/grid.js';

describe('the demo study', () => {
  it('pre-trains every SSL method at two patch sizes, with the baselines at both', () => {
    const config = demoStudyConfig('demo', 'demo-synthetic', DEMO_DEFAULTS.steps, DEMO_DEFAULTS.seed, 'patient:0.2');
    expect(config.patches).toEqual([125, 250]);
    const cells = studyCells(config);
    for (const m of ['CL', 'GL', 'HL', 'RAND', 'SL']) expect(cells.filter((c) => c.method === m).map((c) => c.patch)).toEqual([125, 250]);
    // Figures 3–8 plot AUROC against patch size per method: two points make a line.
    expect(new Set(cells.map((c) => c.patch)).size).toBeGreaterThan(1);
  });
});
