/** How record fields read on screen. */

/** PTB-XL codes sex as 0 (male) / 1 (female); other sources write M/F or words. */
export function sexText(v: string | number | null | undefined): string | null {
  if (v === null || v === undefined || v === '') return null;
  const s = String(v).trim().toLowerCase();
  if (s === '0' || s === 'm' || s === 'male') return 'male';
  if (s === '1' || s === 'f' || s === 'female') return 'female';
  return String(v);
}
