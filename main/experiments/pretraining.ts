/**
 * One recorded pre-training, whoever starts it (the Pre-train page, `ecgfm pretrain`, a study cell, a risk
 * decomposition): the run is a store row with its config, backend, engine, the records it read and its loss
 * history, and its folder holds the artefacts. A run whose folder already has a config resumes from its last
 * checkpoint. Stopping (pause or cancel) keeps the checkpoints written so far.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { PretrainConfigInput, PretrainResult, ProgressEvent, TrainingEvent } from '../../contract/training.js';
import { initBackend } from '../compute/backend.js';
import { nowIso, type Store } from '../store/store.js';
import type { DataUse, RunRecord } from '../store/types.js';
import { metricPoints, readMetricsFile } from '../training/metrics-file.js';
import { pretrain } from '../training/pretrain.js';
import { recordPretrainRun, runDirOf } from './run-record.js';
import { recordsRead, sourcesOf, validationOf } from './science.js';

export interface RecordedPretrainingOptions {
  store: Store;
  runId: string;
  name?: string;
  /**
   * Engine settings; the records come from `data`, never from here. A multi-source run may give `sources` for their
   * weights (their records still come from `data`).
   */
  input: Omit<PretrainConfigInput, 'indices' | 'validationIndices' | 'validationDataset' | 'runId' | 'resume'>;
  /** The records the science rule allows (science.ts `pretrainingUse`): written to the run row before a step is taken. */
  data: DataUse;
  studyId?: string | null;
  cellIndex?: number | null;
  parentRunId?: string | null;
  /** Aborted to stop at the next step; `signal.reason` 'cancel' marks the run cancelled, anything else paused. */
  signal?: AbortSignal;
  shouldPause?(): boolean;
  onProgress?(e: ProgressEvent): void;
  onEvent?(e: TrainingEvent): void;
}

export interface RecordedPretraining {
  run: RunRecord;
  /** Null when the run was stopped before its last step. */
  result: PretrainResult | null;
}

export { recordPretrainRun, runDirOf } from './run-record.js';

/**
 * The engine's input for the records of `data`: one dataset's indices, or every source with its records and the
 * weight `settings.sources` gives it.
 */
export function engineInput(settings: RecordedPretrainingOptions['input'], data: DataUse): PretrainConfigInput {
  // Monitored validation records (science.ts `monitoringIndices`) travel with the records, never with the settings.
  const val = validationOf(data);
  const monitored = val ? { validationIndices: val.indices, validationDataset: val.dataset } : {};
  if (!data.sources) {
    const { sources: _s, ...one } = settings;
    return { ...one, dataset: data.dataset, indices: data.indices, ...monitored };
  }
  const weights = new Map((settings.sources ?? []).map((s) => [s.dataset, s.weight]));
  const sources = data.sources.map((s) => {
    const weight = weights.get(s.dataset);
    return { dataset: s.dataset, indices: s.indices, ...(weight !== undefined ? { weight } : {}) };
  });
  return { ...settings, dataset: data.dataset, sources, ...monitored };
}

export async function runRecordedPretraining(o: RecordedPretrainingOptions): Promise<RecordedPretraining> {
  const { store, runId } = o;
  const runDir = runDirOf(runId);
  const backend = await initBackend();
  const input = engineInput(o.input, o.data);
  // The row's config holds settings; the records go to data_use (indices never sit in the config).
  const { indices: _i, sources: _s, validationIndices: _v, ...settings } = input;
  const rowSettings = { ...settings, ...(input.sources ? { sources: input.sources.map(({ indices: _x, ...s }) => s) } : {}) };
  let run = recordPretrainRun(store, { ...o, input: rowSettings, backend: backend.description });
  if (run.status === 'succeeded') return { run, result: null };
  // The rule holds on resume too: a run continues only on the records it was started with.
  const recordsKey = (u: DataUse) => JSON.stringify(sourcesOf(u).map((s) => [s.dataset, s.indices]));
  if (run.dataUse && recordsKey(run.dataUse) !== recordsKey(o.data))
    throw new Error(`Run ${runId} was started on other records of ${run.dataUse.dataset} (${run.dataUse.split}); start a new run instead of resuming it.`);
  const resume = existsSync(join(runDir, 'config.json'));
  store.updateRun(runId, {
    status: 'running', startedAt: run.startedAt ?? nowIso(), error: null, backend: backend.description, dataUse: o.data,
    config: { ...run.config, ...rowSettings, split: o.data.split, records: recordsRead(o.data) },
  });
  const t0 = Date.now();
  const stopReason = () => (o.signal?.aborted ? String(o.signal.reason ?? 'pause') : null);
  try {
    const result = await pretrain(
      { ...input, runId, resume },
      {
        shouldStop: () => o.signal?.aborted === true,
        shouldPause: o.shouldPause,
        onProgress: (e) => o.onProgress?.(e),
        onEvent: (e) => {
          if (e.type === 'progress') {
            // Loss points reach the store as training goes: `runs show` and every page see a live curve.
            store.addMetrics(runId, metricPoints({ step: e.step, lr: e.lr, losses: { ...e.losses } as Record<string, number> }));
            store.updateRun(runId, { step: e.step });
          } else if (e.type === 'validation') {
            const losses = Object.fromEntries(Object.entries(e.losses).map(([k, v]) => [`val_${k}`, v as number]));
            store.addMetrics(runId, metricPoints({ step: e.step, lr: null, losses: { ...losses, ln_batch: e.lnBatch } }));
          } else if (e.type === 'checkpoint') store.updateRun(runId, { checkpointPath: e.path });
          else if (e.type === 'started' && e.startStep > 0) {
            // Keep a trace of every resumption: the step each one continued from.
            const current = store.getRun(runId)!;
            const resumedFrom = [...((current.config.resumedFrom as number[] | undefined) ?? []), e.startStep];
            store.updateRun(runId, { config: { ...current.config, resumedFrom } });
          }
          o.onEvent?.(e);
        },
      },
    );
    // One read of the file at the end makes the store's history equal to the folder's (a resume trims it).
    store.addMetrics(runId, readMetricsFile(join(runDir, 'metrics.jsonl')).flatMap(metricPoints));
    const elapsedMs = run.elapsedMs + (Date.now() - t0);
    if (result.status === 'cancelled') {
      const status = stopReason() === 'cancel' ? 'cancelled' : 'paused';
      run = store.updateRun(runId, { status, step: result.step, checkpointPath: result.lastCheckpoint, elapsedMs, ...(status === 'cancelled' ? { finishedAt: nowIso() } : {}) });
      return { run, result: null };
    }
    const checkpoint = result.bestCheckpoint ?? result.lastCheckpoint;
    run = store.updateRun(runId, {
      status: 'succeeded', step: result.step, checkpointPath: checkpoint, backend: result.backend, finishedAt: nowIso(), elapsedMs,
      ...(result.sampling ? { config: { ...store.getRun(runId)!.config, sampling: result.sampling } } : {}),
    });
    for (const f of [join(runDir, 'config.json'), join(runDir, 'metrics.jsonl'), ...(checkpoint ? [join(checkpoint, 'weights.ecgfmt')] : [])])
      if (existsSync(f) && statSync(f).isFile()) await store.recordArtifact({ path: f, kind: f.endsWith('.ecgfmt') ? 'checkpoint' : 'run-file', runId });
    return { run, result };
  } catch (err) {
    const reason = stopReason();
    store.updateRun(runId, { status: reason ? (reason === 'cancel' ? 'cancelled' : 'paused') : 'failed', error: (err as Error).message, elapsedMs: run.elapsedMs + (Date.now() - t0) });
    throw err;
  }
}
