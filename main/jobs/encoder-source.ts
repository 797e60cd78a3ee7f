/**
 * An encoder run as a job reads it: its folder, architecture and the records its pre-training read, from the
 * store row when there is one, else from the folder's config.json (validated). Loading the weights is left to the
 * caller, so reading an architecture never builds a model.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import type { DataUse } from '../store/types.js';
import { readRunFolderConfig } from '../training/run-folder.js';
import { workspaceDir } from '../workspace.js';
import type { Split } from '../evaluation/splits.js';
import { openDataset } from '../data/registry.js';
import type { ShardedCache } from '../data/cache.js';
import { assertUnseen, protocolSplit, TestLeakError, type SplitPlan } from '../experiments/science.js';

export interface EncoderSource {
  runId: string;
  dir: string;
  method: string | null;
  model: { patch: number; depth: number; dim: number; heads?: number };
  dataUse: DataUse | null;
  /** The dataset of a legacy run that read all its records (no indices recorded). */
  seenAll: string | null;
}

export function encoderSource(store: Store, runId: string): EncoderSource {
  const rec = store.getRun(runId);
  const dir = rec?.dir ?? join(workspaceDir(), 'runs', runId);
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`Run ${runId} has no pre-training folder with a config.json, so it has no encoder.`);
  const saved = readRunFolderConfig(dir)!;
  // A folder from before runs recorded their records: its config's indices, or every record when it has none.
  const indices = saved.input.indices;
  const sources = saved.input.sources;
  const fromFolder: DataUse | null = sources?.every((s) => s.indices)
    ? { dataset: saved.input.dataset, indices: [], split: 'indices from config.json', sources: sources.map((s) => ({ dataset: s.dataset, indices: s.indices!, split: 'indices from config.json' })) }
    : indices ? { dataset: saved.input.dataset, indices, split: 'indices from config.json' } : null;
  const dataUse: DataUse | null = rec?.dataUse ?? fromFolder;
  return { runId: rec?.id ?? runId, dir, method: saved.input.method, model: saved.model, dataUse, seenAll: !dataUse ? saved.input.dataset : null };
}

/** The science rule for an encoder: refuse it when its pre-training read any of the evaluation's test records. */
export function checkEncoder(src: EncoderSource, dataset: string, split: Pick<Split, 'test'>): void {
  if (src.seenAll === dataset)
    throw new TestLeakError(`Encoder ${src.runId} was pre-trained on every record of ${dataset}, test records included; pre-train it again (it now reads the training part only).`);
  assertUnseen(src.runId, src.dataUse, dataset, split);
}

/** What an evaluation-style job starts from: its dataset, the protocol's split, and the encoder, checked against the split. */
export function protocolInputs(
  store: Store,
  req: SplitPlan & { dataset: string; runId?: string | null },
): { ds: ShardedCache; split: Split; src: EncoderSource | null } {
  const ds = openDataset(req.dataset);
  const split = protocolSplit(ds, { split: req.split, seed: req.seed, tasks: req.tasks });
  const src = req.runId ? encoderSource(store, req.runId) : null;
  if (src) checkEncoder(src, ds.name, split);
  return { ds, split, src };
}
