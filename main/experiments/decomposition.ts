/**
 * The risk decomposition (paper Table 8, after Dubois et al. 2023), set up once for the study pipeline, the Risk
 * page and `ecgfm decompose`. U, the unlabelled pre-training set, is the protocol split's training part (the
 * science rule, science.ts); the second encoder is the same pre-training on U plus the test inputs (never their
 * labels). Both pre-trainings are recorded runs; the decomposition is a `decompose` run with one metric row per
 * component and task.
 */
import type { PretrainConfigInput } from '../../contract/training.js';
import { RISK_COMPONENT_NAMES, riskMetricName } from '../../contract/vocabulary.js';
import { initBackend } from '../compute/backend.js';
import type { CachedDataset } from '../data/types.js';
import { riskDecomposition, type RiskDecomposition, type RiskMetric } from '../evaluation/risk.js';
import type { Split } from '../evaluation/splits.js';
import { loadEncoder } from '../models/encoder.js';
import { codeVersion } from '../store/code-version.js';
import { nowIso, type Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';
import { runRecordedPretraining } from './pretraining.js';
import { pretrainingIndices } from './science.js';

export interface DecomposeOptions {
  store: Store;
  dataset: CachedDataset;
  tasks: string[];
  /** The protocol's split (science.ts `protocolSplit`). */
  split: Split;
  seed: number;
  /** The encoder pre-trained on U, as a run folder; null pre-trains it here with `settings`. */
  encoderU: { runId: string; dir: string } | null;
  /** An existing encoder pre-trained on U ∪ test inputs; null pre-trains it here with `settings`. */
  encoderWithTest?: { runId: string; dir: string } | null;
  /** Pre-training settings for the runs made here (method, model, steps or epochs…). */
  settings: Omit<PretrainConfigInput, 'dataset' | 'indices' | 'runId' | 'resume'>;
  /** Run ids of the pre-trainings made here. */
  runIds: { u: string; withTest: string };
  /** The `decompose` run's record. */
  record: { name: string; method: string; studyId?: string | null; parentRunId?: string | null };
  probeEpochs?: number;
  supervisedEpochs?: number;
  metric?: RiskMetric;
  batchSize?: number;
  resamples?: number;
  signal?: AbortSignal;
  onProgress?(message: string, fraction: number | null): void;
}

export interface Decomposed {
  run: RunRecord;
  result: RiskDecomposition;
}

export class DecompositionInterrupted extends Error {
  constructor() {
    super('The risk decomposition was interrupted during a pre-training; run it again to continue from the checkpoint.');
  }
}

export async function decompose(o: DecomposeOptions): Promise<Decomposed> {
  const { store, dataset, split } = o;
  const u = pretrainingIndices(split);
  const backend = await initBackend();
  const run = store.createRun({
    kind: 'decompose',
    name: o.record.name,
    studyId: o.record.studyId ?? null,
    parentRunId: o.record.parentRunId ?? o.encoderU?.runId ?? null,
    dataset: dataset.name,
    seed: o.seed,
    backend: backend.description,
    codeVersion: codeVersion(),
    status: 'running',
    config: { method: o.record.method, tasks: o.tasks, split: split.description, metric: o.metric ?? 'auroc' },
  });
  store.updateRun(run.id, { startedAt: nowIso() });
  const t0 = Date.now();

  const pretrainOn = async (runId: string, indices: number[], note: string) => {
    const { run: r } = await runRecordedPretraining({
      store,
      runId,
      name: `${o.record.name}: encoder on ${note}`,
      input: { ...o.settings, dataset: dataset.name, seed: o.settings.seed ?? o.seed },
      data: { dataset: dataset.name, indices, split: `${split.description}; ${note}` },
      studyId: o.record.studyId ?? null,
      parentRunId: o.encoderU?.runId ?? null,
      signal: o.signal,
      onProgress: (e) => o.onProgress?.(`pre-training ${runId} step ${e.step}/${e.totalSteps}`, null),
    });
    if (r.status !== 'succeeded' || !r.dir) throw new DecompositionInterrupted();
    return loadEncoder(r.dir);
  };

  try {
    const result = await riskDecomposition({
      dataset,
      tasks: o.tasks,
      split,
      seed: o.seed,
      metric: o.metric,
      probeEpochs: o.probeEpochs,
      supervisedEpochs: o.supervisedEpochs,
      batchSize: o.batchSize,
      resamples: o.resamples,
      onProgress: (p) => o.onProgress?.(`setting ${p.setting}: ${p.title}`, (p.setting - 1) / 4),
      pretrainEncoder: async (extra) => {
        if (!extra) return o.encoderU ? loadEncoder(o.encoderU.dir) : pretrainOn(o.runIds.u, u, 'the training part (U)');
        if (o.encoderWithTest) return loadEncoder(o.encoderWithTest.dir);
        return pretrainOn(o.runIds.withTest, [...u, ...extra].sort((a, b) => a - b), 'U plus the test inputs (risk decomposition)');
      },
    });
    store.addEvaluations(
      run.id,
      RISK_COMPONENT_NAMES.flatMap((c) => o.tasks.map((task, t) => ({ task, protocol: 'decompose', metric: riskMetricName(c), value: result.components[c][t] ?? null }))),
    );
    const done = store.updateRun(run.id, { status: 'succeeded', finishedAt: nowIso(), elapsedMs: Date.now() - t0, config: { ...run.config, settings: result.settings } });
    return { run: done, result };
  } catch (err) {
    const stopped = o.signal?.aborted === true;
    store.updateRun(run.id, { status: stopped ? 'cancelled' : 'failed', error: (err as Error).message, elapsedMs: Date.now() - t0 });
    throw err;
  }
}
