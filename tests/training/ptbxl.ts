/** PTB-XL helpers for training tests. */
import { openDataset } from '../../main/data/registry.js';

export { ptbxlWorkspace } from '../helpers/ptbxl.js';

/**
 * A small training subset: every ECG of the patients with several ECGs, topped up with single-ECG patients.
 * 100 steps then revisit each batch often enough that the patient-level loss can fall too.
 */
export function patientRichSubset(size: number): number[] {
  const ds = openDataset('ptbxl');
  const byPatient = new Map<string, number[]>();
  for (let i = 0; i < ds.count; i++) {
    const p = ds.meta(i).patientId;
    byPatient.set(p, [...(byPatient.get(p) ?? []), i]);
  }
  const multi = [...byPatient.values()].filter((g) => g.length > 1).flat();
  const singles = [...byPatient.values()].filter((g) => g.length === 1).flat();
  return [...multi, ...singles].slice(0, size).sort((a, b) => a - b);
}

export interface MetricLine {
  step: number;
  total: number;
  recon?: number;
  patient?: number;
  sample?: number;
}
