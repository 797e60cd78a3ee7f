/**
 * A minimal local stand-in for the data layer's PTB-XL CachedDataset, reading ../shared/data/ptbxl in place:
 * labels are PTB-XL superclasses (diagnostic_class of every diagnostic scp_code), signals are the 100 Hz records
 * (WFDB format 16, gain 1000/mV) linearly resampled to 250 Hz. Used by the evaluation tests so they do not depend
 * on the data helper's code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECG_SIZE, TARGET_SAMPLES, type CachedDataset, type RecordMeta } from '../../main/data/types.js';
import { parseCsv } from '../../main/evaluation/predictions-csv.js';
import { sharedData } from '../helpers/paths.js';

export const SUPERCLASSES = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];

export function openPtbxlStandin(limit?: number): CachedDataset {
  const dir = sharedData('ptbxl');
  const statements = parseCsv(readFileSync(join(dir, 'scp_statements.csv'), 'utf8'));
  const sh = statements[0] as string[];
  const diag = sh.indexOf('diagnostic');
  const cls = sh.indexOf('diagnostic_class');
  const classOf = new Map<string, string>();
  for (const r of statements.slice(1)) if (Number(r[diag]) === 1 && r[cls]) classOf.set(r[0] as string, r[cls] as string);

  const table = parseCsv(readFileSync(join(dir, 'ptbxl_database.csv'), 'utf8'));
  const h = table[0] as string[];
  const col = (name: string) => h.indexOf(name);
  const metas: RecordMeta[] = table.slice(1, limit === undefined ? undefined : limit + 1).map((r) => {
    const labels: Record<string, boolean> = Object.fromEntries(SUPERCLASSES.map((c) => [c, false]));
    for (const m of (r[col('scp_codes')] ?? '').matchAll(/'([^']+)'\s*:/g)) {
      const c = classOf.get(m[1] as string);
      if (c) labels[c] = true;
    }
    return {
      id: r[col('ecg_id')] as string,
      patientId: String(Math.round(Number(r[col('patient_id')]))),
      source: join(dir, r[col('filename_lr')] as string),
      labels,
      quality: { missingLeads: [], derivedLeads: [], hadNaN: false, padded: false },
      fields: { strat_fold: Number(r[col('strat_fold')]), age: Number(r[col('age')]) },
    };
  });

  return {
    name: 'ptbxl-standin',
    dir,
    kind: 'ptbxl',
    count: metas.length,
    labelNames: SUPERCLASSES,
    meta(i) {
      const m = metas[i];
      if (!m) throw new Error(`record ${i} out of range`);
      return m;
    },
    readSignal(i, out = new Float32Array(ECG_SIZE)) {
      const m = this.meta(i);
      const buf = readFileSync(`${m.source}.dat`);
      const raw = new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2);
      const n = raw.length / 12;
      for (let lead = 0; lead < 12; lead++) {
        for (let j = 0; j < TARGET_SAMPLES; j++) {
          const t = (j * n) / TARGET_SAMPLES;
          const k = Math.min(Math.floor(t), n - 1);
          const k1 = Math.min(k + 1, n - 1);
          const a = raw[k * 12 + lead] as number;
          const b = raw[k1 * 12 + lead] as number;
          out[lead * TARGET_SAMPLES + j] = (a + (b - a) * (t - k)) / 1000;
        }
      }
      return out;
    },
  };
}
