/** aECG sample decoding: the whitespace-separated digits of an SLIST_PQ sequence → numbers. */

export function decodeDigits(digits: string, code: string): Float64Array {
  const parts = digits.trim().split(/\s+/).filter((s) => s !== '');
  const out = new Float64Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const v = Number(parts[i]);
    if (!Number.isFinite(v)) throw new Error(`sequence ${code}: digit ${i + 1} ("${parts[i]!.slice(0, 20)}") is not a number`);
    out[i] = v;
  }
  return out;
}
