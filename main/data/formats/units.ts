/** Amplitude units as the hospital formats spell them (UCUM codes, MUSE words), strictly: an unknown unit is an error. */

const FACTORS: [RegExp, number][] = [
  [/^(u|µ|μ)v$|^microvolts?$|^uv$/i, 1e-3],
  [/^mv$|^millivolts?$/i, 1],
  [/^v$|^volts?$/i, 1e3],
  [/^nv$|^nanovolts?$/i, 1e-6],
];

/** Millivolts per unit, or null when the unit is not a voltage this reader knows. */
export function millivoltsPer(unit: string): number | null {
  const u = unit.trim().replace(/\s+/g, '');
  for (const [re, f] of FACTORS) if (re.test(u)) return f;
  return null;
}
