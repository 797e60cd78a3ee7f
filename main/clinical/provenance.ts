/**
 * What a package saw, for the cohort-overlap check: the records (and patients) of its downstream training and
 * calibration parts, plus those its encoder read in pre-training. A cohort run leaves out every record that shares
 * a record id or a patient with them.
 */
import type { CachedDataset } from '../data/types.js';
import { openDataset } from '../data/registry.js';
import { readRunFolderConfig } from '../training/run-folder.js';

export interface SeenRecords {
  records: string[];
  patients: string[];
}

/** Record and patient ids of some records of a dataset. */
export function seenOf(dataset: CachedDataset, indices: readonly number[]): SeenRecords {
  const records: string[] = [];
  const patients = new Set<string>();
  for (const i of indices) {
    const m = dataset.meta(i);
    records.push(m.id);
    if (m.patientId !== '') patients.add(m.patientId);
  }
  return { records, patients: [...patients] };
}

export function mergeSeen(...parts: Array<SeenRecords | null | undefined>): SeenRecords {
  const records = new Set<string>();
  const patients = new Set<string>();
  for (const p of parts) {
    for (const r of p?.records ?? []) records.add(r);
    for (const q of p?.patients ?? []) patients.add(q);
  }
  return { records: [...records], patients: [...patients] };
}

/**
 * The records a pre-training run read, from its config.json (its dataset and indices; every record when it lists
 * none). `dataset` is used when it is the run's dataset, else the run's dataset is opened from the workspace.
 * Null, with the reason, when that dataset is not in this workspace.
 */
export function encoderSeen(runDir: string, dataset?: CachedDataset): { seen: SeenRecords | null; note: string } {
  const cfg = readRunFolderConfig(runDir);
  if (!cfg) return { seen: null, note: `${runDir} has no config.json: the encoder's pre-training records are unknown` };
  const name = cfg.input.dataset;
  let ds: CachedDataset;
  try {
    ds = dataset && dataset.name === name ? dataset : openDataset(name);
  } catch {
    return { seen: null, note: `the encoder was pre-trained on dataset "${name}", which is not in this workspace: its records are unknown` };
  }
  const indices = cfg.input.indices ?? Array.from({ length: ds.count }, (_, i) => i);
  return { seen: seenOf(ds, indices), note: `encoder pre-trained on ${indices.length} records of ${name}` };
}
