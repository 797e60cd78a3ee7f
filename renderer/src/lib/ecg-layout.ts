/**
 * The standard printed 12-lead layout at 25 mm/s and 10 mm/mV: three rows of four 2.5 s columns
 * (I/aVR/V1/V4, II/aVL/V2/V5, III/aVF/V3/V6) and a 10 s lead II rhythm strip.
 */
export const MM_PER_S = 25;
export const MM_PER_MV = 10;
export const SECONDS = 10;
export const ROW_MV: [number, number] = [-1.5, 2.0];
export const COLUMNS = [
  ['I', 'II', 'III'],
  ['aVR', 'aVL', 'aVF'],
  ['V1', 'V2', 'V3'],
  ['V4', 'V5', 'V6'],
] as const;
export const RHYTHM_LEAD = 'II';
/** Margin before each row for the calibration pulse, mm. */
export const CAL_MM = 10;

/** The standard 1 mV, 0.2 s calibration pulse as [mm from the row's left edge, mV] vertices. */
export function calibrationPulse(): [number, number][] {
  const start = 2;
  const width = 0.2 * MM_PER_S;
  return [
    [0.5, 0],
    [start, 0],
    [start, 1],
    [start + width, 1],
    [start + width, 0],
    [CAL_MM - 0.5, 0],
  ];
}

/** Ruler ticks every 0.2 s (a large square), labelled every second: `0 s` … `10 s`. */
export function rulerTicks(): { seconds: number; label: string | null }[] {
  const out: { seconds: number; label: string | null }[] = [];
  for (let i = 0; i <= SECONDS * 5; i++) out.push({ seconds: i / 5, label: i % 5 === 0 ? `${i / 5} s` : null });
  return out;
}

export interface Segment {
  lead: string;
  row: number;
  t0: number;
  t1: number;
  /** [seconds, mV] pairs. */
  points: [number, number][];
}

/** Lead names compare case-insensitively (PTB-XL writes AVR). */
function findLead(leads: string[], name: string): number {
  const want = name.toLowerCase();
  return leads.findIndex((l) => l.toLowerCase() === want);
}

export function layoutSegments(leads: string[], data: number[][], fs: number): { segments: Segment[]; missing: string[] } {
  const segments: Segment[] = [];
  const missing: string[] = [];
  const colSeconds = SECONDS / COLUMNS.length;
  const slice = (li: number, t0: number, t1: number): [number, number][] => {
    const d = data[li] ?? [];
    const out: [number, number][] = [];
    const i0 = Math.round(t0 * fs);
    const i1 = Math.min(d.length - 1, Math.round(t1 * fs));
    for (let i = i0; i <= i1; i++) out.push([i / fs, d[i] ?? 0]);
    return out;
  };
  COLUMNS.forEach((col, c) => {
    col.forEach((lead, r) => {
      const li = findLead(leads, lead);
      if (li < 0) {
        missing.push(lead);
        return;
      }
      const t0 = c * colSeconds;
      segments.push({ lead, row: r, t0, t1: t0 + colSeconds, points: slice(li, t0, t0 + colSeconds) });
    });
  });
  const rl = findLead(leads, RHYTHM_LEAD);
  if (rl >= 0) segments.push({ lead: RHYTHM_LEAD, row: 3, t0: 0, t1: SECONDS, points: slice(rl, 0, SECONDS) });
  return { segments, missing };
}
