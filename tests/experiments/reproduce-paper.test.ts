/**
 * The paper's figures resource against the paper's own text (../shared/paper), and the findings against the
 * figures: every finding the reproduction judges must be a claim the paper's tables support.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { paperFigures, paperRow } from '../../main/experiments/paper-figures.js';
import { FINDINGS, findingArms, paperContrast } from '../../main/experiments/reproduce-findings.js';
import { REPO_ROOT } from '../helpers/paths.js';

const PAPER = join(REPO_ROOT, '..', 'shared', 'paper', 'foundation-models-for-ecgs.txt');

function paperLines(): string[] {
  if (!existsSync(PAPER)) throw new Error(`The paper's text is missing: ${PAPER} (expected ../shared/paper beside the repository)`);
  return readFileSync(PAPER, 'utf8').split('\n');
}

/** The numbers of the first line starting with `prefix` after the line starting with `table`. */
function numbersAfter(lines: string[], table: string, prefix: string, skip = 0): number[] {
  const start = lines.findIndex((l) => l.startsWith(table));
  expect(start, `${table} in the paper`).toBeGreaterThan(0);
  const at = lines.findIndex((l, i) => i > start && l.startsWith(prefix));
  expect(at, `${prefix} after ${table}`).toBeGreaterThan(start);
  return (lines[at + skip] as string).split('\t').filter((x) => /^-?\d+(\.\d+)?%?$/.test(x)).map((x) => Number(x.replace('%', '')));
}

describe('the paper figures resource', () => {
  const lines = paperLines();
  const t = ['MI', 'STTC', 'CD', 'HYP'] as const;
  const asRow = (r: NonNullable<ReturnType<typeof paperRow>>) => [...t.map((k) => r.auroc[k]), ...t.map((k) => r.auprc[k]), r.criteria];

  it('matches the text of Tables 4–7 in sampled rows', () => {
    expect(asRow(paperRow('RAND', 'random-linear')!)).toEqual(numbersAfter(lines, 'Table 4:', 'Random Initialization'));
    expect([250, 8, 256, ...asRow(paperRow('CL', 'linear')!)]).toEqual(numbersAfter(lines, 'Table 4:', 'CL (Contrastive'));
    expect([125, 4, 512, ...asRow(paperRow('HL', 'finetune')!)]).toEqual(numbersAfter(lines, 'Table 5:', 'HL (Hybrid'));
    // Table 5's third SL row is the one of HL's architecture.
    expect([125, 4, 512, ...asRow(paperRow('SL', 'supervised', '', 'HL')!)]).toEqual(numbersAfter(lines, 'Table 5:', 'SL (Supervised', 2));
    expect([10, ...asRow(paperRow('GL', 'finetune', 'usage=10')!)]).toEqual(numbersAfter(lines, 'Table 6:', 'GL (Generative', 2));
    expect([1, ...asRow(paperRow('SL', 'supervised', 'case=1')!)]).toEqual(numbersAfter(lines, 'Table 7:', 'SL\t', 2));
    expect([5, ...asRow(paperRow('HL', 'finetune', 'case=5')!)]).toEqual(numbersAfter(lines, 'Table 7:', 'HL\t'));
  });

  it('matches Table 8 in sampled cells', () => {
    const t8 = paperFigures().table8;
    const hl = numbersAfter(lines, 'Table 8:', 'HL\t');
    expect([t8.approximation.HL!.MI, t8.approximation.HL!.AVR, t8.usability.HL!.AVR]).toEqual([hl[0], hl[4], hl[9]]);
    const glProbe = numbersAfter(lines, 'Table 8:', 'GL\t', 5);
    expect([t8.probeGeneralization.GL!.STTC, t8.encoderGeneralization.GL!.HYP]).toEqual([glProbe[1], glProbe[8]]);
  });

  it('has every row the paper has, and criteria that are the sums (the paper rounds two of them differently)', () => {
    const rows = paperFigures().rows;
    expect(rows.filter((r) => r.table === 4)).toHaveLength(4);
    expect(rows.filter((r) => r.table === 5)).toHaveLength(6);
    expect(rows.filter((r) => r.table === 6)).toHaveLength(12);
    expect(rows.filter((r) => r.table === 7)).toHaveLength(12);
    const off = rows.filter((r) => Math.abs(Object.values(r.auroc).reduce((a, b) => a + b, 0) + Object.values(r.auprc).reduce((a, b) => a + b, 0) - r.criteria) > 5e-4);
    // As printed: Table 4's CL (5.4628, cells sum to 5.4588) and Table 5's first SL row (6.9715 vs 6.9705).
    expect(off.map((r) => `${r.table}:${r.method}:${r.criteria}`)).toEqual(['4:CL:5.4628', '5:SL:6.9715']);
  });
});

describe("the paper's findings", () => {
  it('each holds on the paper\'s own figures', () => {
    for (const f of FINDINGS) {
      const c = paperContrast(f);
      expect(c, f.id).not.toBeNull();
      expect(c!, `${f.id}: ${f.claim}`).toBeGreaterThan(0);
    }
  });

  it('cover Tables 4–7 with unique ids, and every arm is one the reproduction runs', () => {
    expect(new Set(FINDINGS.map((f) => f.id)).size).toBe(FINDINGS.length);
    expect(new Set(FINDINGS.map((f) => f.table))).toEqual(new Set([4, 5, 6, 7]));
    for (const a of findingArms()) {
      expect(['RAND', 'SL', 'CL', 'GL', 'HL']).toContain(a.method);
      expect(a.condition).toMatch(/^(|usage=(10|25|50)|case=(1|2|5))$/);
    }
    // A sample against the paper's numbers: HL linear probe vs Random Init on MI AUROC, 0.8318 − 0.6469.
    expect(paperContrast(FINDINGS.find((f) => f.id === 't4-hl-vs-rand-mi')!)).toBeCloseTo(0.1849, 10);
    // SL paired with HL's architecture in Table 5: 7.0744 − 7.0023.
    expect(paperContrast(FINDINGS.find((f) => f.id === 't5-hl-vs-sl')!)).toBeCloseTo(0.0721, 10);
  });
});
