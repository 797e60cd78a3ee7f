/** A pre-training run's store row and folder, without the engine: hosts create rows when they queue a run. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PretrainConfigInput } from '../../contract/training.js';
import { codeVersion } from '../store/code-version.js';
import type { Store } from '../store/store.js';
import type { DataUse, RunRecord } from '../store/types.js';
import { metricPoints, readMetricsFile } from '../training/metrics-file.js';
import { readRunFolderConfig } from '../training/run-folder.js';
import { workspaceDir } from '../workspace.js';
import { recordsRead } from './science.js';

export function runDirOf(runId: string): string {
  return join(workspaceDir(), 'runs', runId);
}

export interface PretrainRunRow {
  runId: string;
  name?: string;
  input: Omit<PretrainConfigInput, 'indices' | 'runId' | 'resume'>;
  /** Known once the worker has computed the split; a queued run may not have it yet. */
  data?: DataUse | null;
  studyId?: string | null;
  cellIndex?: number | null;
  parentRunId?: string | null;
  status?: RunRecord['status'];
  backend?: string;
}

/** Creates (or finds) the run row; the config holds the engine settings, the records go to data_use. */
export function recordPretrainRun(store: Store, o: PretrainRunRow): RunRecord {
  return store.createRun({
    id: o.runId,
    kind: 'pretrain',
    name: o.name ?? o.runId,
    studyId: o.studyId ?? null,
    cellIndex: o.cellIndex ?? null,
    parentRunId: o.parentRunId ?? null,
    dataset: o.input.dataset,
    seed: o.input.seed ?? 0,
    dir: runDirOf(o.runId),
    backend: o.backend ?? '',
    codeVersion: codeVersion(),
    engine: 'tfjs',
    config: { ...o.input, ...(o.data ? { split: o.data.split, records: recordsRead(o.data) } : {}) },
    dataUse: o.data ?? null,
    status: o.status ?? 'created',
  });
}

/**
 * Run folders that have no store row (made before every run was recorded, or copied in from another workspace)
 * become rows once, so every list reads the store alone. Returns how many were adopted.
 */
export function adoptRunFolders(store: Store, runsDir: string): number {
  if (!existsSync(runsDir)) return 0;
  let adopted = 0;
  for (const id of readdirSync(runsDir)) {
    const dir = join(runsDir, id);
    if (store.getRun(id)?.id === id || !existsSync(join(dir, 'config.json'))) continue;
    let saved;
    try {
      saved = readRunFolderConfig(dir);
    } catch {
      continue; // Not a pre-training folder: left alone.
    }
    if (!saved) continue;
    const lines = readMetricsFile(join(dir, 'metrics.jsonl'));
    const last = lines.at(-1)?.step ?? 0;
    const steps = saved.input.steps;
    const { indices, runId: _r, resume: _s, ...input } = saved.input;
    recordPretrainRun(store, {
      runId: id,
      input,
      data: indices ? { dataset: saved.input.dataset, indices, split: 'indices from config.json' } : null,
      status: steps !== undefined && last >= steps ? 'succeeded' : 'paused',
      backend: saved.backend ?? '',
    });
    store.updateRun(id, { step: last, ...(saved.createdAt ? { startedAt: saved.createdAt } : {}) });
    store.addMetrics(id, lines.flatMap(metricPoints));
    adopted++;
  }
  return adopted;
}
