/** Lead naming shared by the readers, and the limb leads that follow from I and II (Einthoven, Goldberger). */
import { matchLead } from '../standardise.js';
import type { Lead } from '../types.js';

/** "Lead I (Einthoven)", "MDC_ECG_LEAD_AVR", "ECG V1", "aVR" → canonical lead, or null. */
export function leadFromName(name: string): Lead | null {
  let n = name.trim().replace(/\(.*?\)/g, '').replace(/^MDC_ECG_LEAD_/i, '').replace(/^lead\s+/i, '').trim();
  if (/^(MDC_ECG_LEAD_)?AV([RLF])$/i.test(n)) n = `aV${n.slice(-1).toUpperCase()}`;
  return matchLead(n);
}

export const LIMB_FROM_I_II: [Lead, (i: number, ii: number) => number][] = [
  ['III', (i, ii) => ii - i],
  ['aVR', (i, ii) => -(i + ii) / 2],
  ['aVL', (i, ii) => i - ii / 2],
  ['aVF', (i, ii) => ii - i / 2],
];

/** Adds III, aVR, aVL and aVF computed from I and II when the record lacks them; returns the leads added. */
export function deriveLimbLeads(leads: string[], signals: Float64Array[]): Lead[] {
  const at = (l: Lead): number => leads.findIndex((n) => leadFromName(n) === l);
  const iI = at('I');
  const iII = at('II');
  if (iI < 0 || iII < 0) return [];
  const I = signals[iI]!;
  const II = signals[iII]!;
  const n = Math.min(I.length, II.length);
  const added: Lead[] = [];
  for (const [lead, f] of LIMB_FROM_I_II) {
    if (at(lead) >= 0) continue;
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) out[k] = f(I[k]!, II[k]!);
    leads.push(lead);
    signals.push(out);
    added.push(lead);
  }
  return added;
}
