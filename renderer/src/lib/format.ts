/** Numbers as tables show them: fixed decimals where they read, scientific where fixed would print 0.0000. */
export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  // 1e-5 (weight decay) printed with 4 decimals is "0.0000"; 3 significant digits in e-notation keep it.
  if (a !== 0 && (a < 10 ** -(digits - 1) || a >= 1e9)) return Number(v.toPrecision(3)).toExponential().replace('e+', 'e');
  return v.toFixed(digits);
}

/** "0.812 ± 0.031" from several repeats; the mean alone when there is one repeat (no spread to show). */
export function meanSd(mean: number | null, sd: number | null, repeats: number, digits = 3): string | null {
  if (mean === null) return null;
  if (repeats < 2 || sd === null) return mean.toFixed(digits);
  return `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
}
