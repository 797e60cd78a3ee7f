/**
 * The cluster seam: which executor runs a study's cells. A study once submitted to Slurm keeps running there
 * (resume, a recovered job, the host), with the settings of its latest submission unless new ones are given.
 */
import { slurmSettingsSchema, type SlurmSettingsInput } from '../../contract/cluster.js';
import type { Store } from '../store/store.js';
import { pipelineExecutor } from '../experiments/pipeline.js';
import type { CellExecutor } from '../experiments/study.js';
import { slurmExecutor, type SlurmExecutorOptions } from './executor.js';
import { latestSettings } from './records.js';

export { slurmExecutor, submitCells, refresh, cancelStudyTasks, clusterCellViews } from './executor.js';
export { runCellTask, CellBusy } from './cell.js';
export { latestSettings } from './records.js';
export { Slurm, SlurmMissing } from './slurm.js';

/** True once any of the study's cells was submitted to Slurm. */
export function onSlurm(store: Store, studyId: string): boolean {
  return latestSettings(store, studyId) !== null;
}

/** The executor for a study: Slurm when asked (or when it was submitted there before), else this machine. */
export function studyExecutor(
  store: Store,
  studyId: string,
  request: { executor?: 'local' | 'slurm'; settings?: SlurmSettingsInput } & Omit<SlurmExecutorOptions, 'settings'> = {},
): CellExecutor {
  const previous = latestSettings(store, studyId);
  if (request.executor === 'local' || (!previous && request.executor !== 'slurm')) return pipelineExecutor();
  const settings = slurmSettingsSchema.parse({ ...(previous ?? {}), ...stripUndefined(request.settings ?? {}) });
  return slurmExecutor({ slurm: request.slurm, pollMs: request.pollMs, node: request.node, entry: request.entry, settings });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
