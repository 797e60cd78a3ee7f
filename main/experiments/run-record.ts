/** A pre-training run's store row and folder, without the engine: hosts create rows when they queue a run. */
import { join } from 'node:path';
import type { PretrainConfigInput } from '../../contract/training.js';
import { codeVersion } from '../store/code-version.js';
import type { Store } from '../store/store.js';
import type { DataUse, RunRecord } from '../store/types.js';
import { workspaceDir } from '../workspace.js';

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
    config: { ...o.input, ...(o.data ? { split: o.data.split, records: o.data.indices.length } : {}) },
    dataUse: o.data ?? null,
    status: o.status ?? 'created',
  });
}
