/** CardioSoft sample decoding: "12,14,-3,…" → integers. */

export function decodeCounts(textIn: string, lead: string): Float64Array {
  const parts = textIn.split(',').map((s) => s.trim());
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  const out = new Float64Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const v = Number(parts[i]);
    if (parts[i] === '' || !Number.isInteger(v)) throw new Error(`lead ${lead}: sample ${i + 1} ("${parts[i]!.slice(0, 20)}") is not an integer`);
    out[i] = v;
  }
  return out;
}
