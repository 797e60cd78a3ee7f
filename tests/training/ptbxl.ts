/** A PTB-XL workspace for training tests: the shared records imported once into a temporary workspace. */
import { importDataset } from '../../main/data/import.js';
import { openDataset } from '../../main/data/registry.js';
import { sharedData, tempWorkspace } from '../helpers/paths.js';

export async function ptbxlWorkspace(): Promise<string> {
  const ws = tempWorkspace('ecgfm-train-');
  process.env.ECGFM_WORKSPACE = ws;
  await importDataset({ kind: 'ptbxl', path: sharedData('ptbxl'), name: 'ptbxl' });
  return ws;
}

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
