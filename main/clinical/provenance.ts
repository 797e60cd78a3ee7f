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
 * The records a pre-training run read, from its config.json: each source's dataset and indices (every record of a
 * source that lists none). `dataset` is used where it is a source's dataset, else that dataset is opened from the
 * workspace. Null, with the reason, when a source's dataset is not in this workspace.
 */
export function encoderSeen(runDir: string, dataset?: CachedDataset): { seen: SeenRecords | null; note: string } {
  const cfg = readRunFolderConfig(runDir);
  if (!cfg) return { seen: null, note: `${runDir} has no config.json: the encoder's pre-training records are unknown` };
  const sources = cfg.input.sources?.length ? cfg.input.sources : [{ dataset: cfg.input.dataset, indices: cfg.input.indices }];
  const parts: SeenRecords[] = [];
  const counts: string[] = [];
  for (const src of sources) {
    let ds: CachedDataset;
    try {
      ds = dataset && dataset.name === src.dataset ? dataset : openDataset(src.dataset);
    } catch {
      return { seen: null, note: `the encoder was pre-trained on dataset "${src.dataset}", which is not in this workspace: its records are unknown` };
    }
    const indices = src.indices ?? Array.from({ length: ds.count }, (_, i) => i);
    parts.push(seenOf(ds, indices));
    counts.push(`${indices.length} records of ${src.dataset}`);
  }
  return { seen: mergeSeen(...parts), note: `encoder pre-trained on ${counts.join(' and ')}` };
}
