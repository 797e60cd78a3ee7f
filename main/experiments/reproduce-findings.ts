/**
 * The paper's findings from Tables 4–7 and its discussion, each written as a contrast of models whose sign the paper
 * claims: Σ weight · metric(model) > 0. The same contrast is computed on the paper's own figures (the claim must
 * hold there; tests check it) and on ours, where a paired bootstrap decides the verdict (reproduce-verdicts.ts).
 * Table 8 (risk decomposition) is shown beside ours but has no verdict: its components are differences between
 * models trained on different data, not a paired comparison on the same test records.
 */
import { paperRow, paperValue } from './paper-figures.js';

/** A model of the protocol: method (CL/GL/HL or a baseline), downstream protocol, simulation condition. */
export interface Arm {
  method: string;
  protocol: string;
  /** '' (full training data), `usage=10`, `case=1`, … as the store spells conditions. */
  condition: string;
}

export type FindingMetric = 'criteria' | 'auroc' | 'auprc';

export interface Finding {
  id: string;
  table: 4 | 5 | 6 | 7;
  claim: string;
  metric: FindingMetric;
  /** For AUROC/AUPRC findings. */
  task?: string;
  /** The paper claims Σ weight · metric(arm) > 0. `pairedWith` picks Table 5's SL row of that method's architecture. */
  terms: { arm: Arm; weight: number; pairedWith?: string }[];
}

export const armKey = (a: Arm): string => `${a.method}/${a.protocol}${a.condition ? `/${a.condition}` : ''}`;

const lp = (method: string): Arm => ({ method, protocol: method === 'RAND' ? 'random-linear' : 'linear', condition: '' });
const ft = (method: string, condition = ''): Arm => ({ method, protocol: method === 'SL' ? 'supervised' : 'finetune', condition });

function beats(id: string, table: Finding['table'], claim: string, a: Arm, b: Arm, metric: FindingMetric = 'criteria', task?: string): Finding {
  return { id, table, claim, metric, task, terms: [{ arm: a, weight: 1 }, { arm: b, weight: -1, pairedWith: a.method }] };
}

const SSL = ['HL', 'CL', 'GL'] as const;

export const FINDINGS: readonly Finding[] = [
  // Table 4: linear probing against the random-init encoder.
  ...SSL.map((m) => beats(`t4-${m.toLowerCase()}-vs-rand`, 4, `${m} linear probing beats Random Init (criteria)`, lp(m), lp('RAND'))),
  beats('t4-hl-vs-rand-mi', 4, 'HL linear probing beats Random Init on MI AUROC', lp('HL'), lp('RAND'), 'auroc', 'MI'),
  beats('t4-hl-vs-rand-cd', 4, 'HL linear probing beats Random Init on CD AUROC', lp('HL'), lp('RAND'), 'auroc', 'CD'),
  beats('t4-hl-vs-cl', 4, 'HL linear probing beats CL linear probing (criteria)', lp('HL'), lp('CL')),
  beats('t4-hl-vs-gl', 4, 'HL linear probing beats GL linear probing (criteria)', lp('HL'), lp('GL')),
  // Table 5: fine-tuning against SL.
  ...SSL.map((m) => beats(`t5-${m.toLowerCase()}-vs-sl`, 5, `fine-tuned ${m} beats SL (criteria)`, ft(m), ft('SL'))),
  beats('t5-hl-vs-sl-mi', 5, 'fine-tuned HL beats SL on MI AUROC', ft('HL'), ft('SL'), 'auroc', 'MI'),
  beats('t5-hl-vs-sl-cd', 5, 'fine-tuned HL beats SL on CD AUROC', ft('HL'), ft('SL'), 'auroc', 'CD'),
  beats('t5-hl-vs-cl', 5, 'fine-tuned HL beats fine-tuned CL (criteria)', ft('HL'), ft('CL')),
  beats('t5-hl-ft-vs-lp', 5, 'fine-tuning HL beats linear probing HL (criteria)', ft('HL'), lp('HL')),
  // Table 6: limited labelled data.
  ...[10, 25, 50].map((u) => beats(`t6-hl-vs-sl-${u}`, 6, `fine-tuned HL keeps its advantage over SL at ${u} % data usage (criteria)`, ft('HL', `usage=${u}`), ft('SL', `usage=${u}`))),
  beats('t6-cl-vs-sl-10', 6, 'fine-tuned CL beats SL at 10 % data usage (criteria)', ft('CL', 'usage=10'), ft('SL', 'usage=10')),
  beats('t6-gl-vs-sl-10', 6, 'fine-tuned GL beats SL at 10 % data usage (criteria)', ft('GL', 'usage=10'), ft('SL', 'usage=10')),
  {
    id: 't6-sl-declines-more',
    table: 6,
    claim: 'SL loses more than HL from 100 % to 10 % data usage (criteria)',
    metric: 'criteria',
    terms: [
      { arm: ft('SL'), weight: 1, pairedWith: 'HL' },
      { arm: ft('SL', 'usage=10'), weight: -1 },
      { arm: ft('HL'), weight: -1 },
      { arm: ft('HL', 'usage=10'), weight: 1 },
    ],
  },
  // Table 7: few cases.
  ...[1, 2, 5].map((c) => beats(`t7-hl-vs-sl-${c}`, 7, `fine-tuned HL beats SL at ${c} % case ratio (criteria)`, ft('HL', `case=${c}`), ft('SL', `case=${c}`))),
  beats('t7-cl-vs-sl-1', 7, 'fine-tuned CL beats SL at 1 % case ratio (criteria)', ft('CL', 'case=1'), ft('SL', 'case=1')),
  beats('t7-gl-vs-sl-1', 7, 'fine-tuned GL beats SL at 1 % case ratio (criteria)', ft('GL', 'case=1'), ft('SL', 'case=1')),
  {
    id: 't7-hl-declines-less-mi',
    table: 7,
    claim: "HL's MI AUROC falls less than CL's from 5 % to 1 % case ratio",
    metric: 'auroc',
    task: 'MI',
    terms: [
      { arm: ft('CL', 'case=5'), weight: 1 },
      { arm: ft('CL', 'case=1'), weight: -1 },
      { arm: ft('HL', 'case=5'), weight: -1 },
      { arm: ft('HL', 'case=1'), weight: 1 },
    ],
  },
];

/** The arms a set of findings needs. */
export function findingArms(findings: readonly Finding[] = FINDINGS): Arm[] {
  const seen = new Map<string, Arm>();
  for (const f of findings) for (const t of f.terms) seen.set(armKey(t.arm), t.arm);
  return [...seen.values()];
}

/** The contrast on the paper's own figures (Table 5's SL row paired by architecture); null if a figure is missing. */
export function paperContrast(f: Finding): number | null {
  let sum = 0;
  for (const t of f.terms) {
    const row = paperRow(t.arm.method, t.arm.protocol, t.arm.condition, t.pairedWith);
    const v = row ? paperValue(row, f.metric, f.task) : null;
    if (v === null) return null;
    sum += t.weight * v;
  }
  return sum;
}
