/**
 * The clinical evaluation back end's public API (CLI and, later, the Clinical evaluation page call these).
 * `evaluateCohort` is the whole cohort path: load the package, pick the engine, stream the cohort (resumable),
 * score it at the operating point and write the offline report.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CohortSpec } from './cohort.js';
import { selectScorer, type EngineChoice } from './engine.js';
import type { OperatingRule } from './metrics.js';
import { ClinicalModel } from './model.js';
import { writeClinicalReport } from './report.js';
import { runCohort, type CohortProgress, type CohortRunSummary, type Scorer } from './run.js';
import { scoreCohortRun, type ClinicalMetrics, type ThresholdSource } from './score.js';
import { clinicalOnnx, createOrtSession } from '../onnx/runtime.js';
import { verifyOnnx } from '../onnx/verify.js';

export { COHORT_KINDS, limitRecords, openCohort, parseWhere, checkCohortCompatibility, resolveCohortKind, type CohortKind, type CohortKindChoice, type CohortSpec } from './cohort.js';
export { selectScorer, type EngineChoice } from './engine.js';
export { exportClinicalModel, type ExportOptions } from './export.js';
export { fineTuneClinical, readClinicalRun, type ClinicalRunRecord, type FineTuneOptions } from './finetune.js';
export * from './metrics.js';
export { ClinicalModel } from './model.js';
export { inspectModelPackage, readModelPackage, writeModelPackage, type ModelPackage, type PackageHeader } from './package.js';
export { renderClinicalReport, writeClinicalReport } from './report.js';
export { runCohort, type CohortProgress, type CohortRunSummary, type Scorer } from './run.js';
export { integratedGradients, type Saliency, type SaliencyOptions } from './saliency.js';
export { macroSummaryText, readScores, scoreCohortRun, type ClinicalMetrics, type ClinicalTaskResult, type ThresholdSource } from './score.js';

export interface EvaluateCohortOptions {
  modelPath: string;
  cohort: CohortSpec;
  outDir: string;
  rule?: OperatingRule;
  thresholdsOn?: ThresholdSource;
  engine?: EngineChoice;
  batchSize?: number;
  /** Stop after this many newly scored records (the run stays resumable); the subset scored is `cohort.limit`. */
  stopAfter?: number;
  /** Records the package saw in training or calibration: left out unless 'include'. */
  seen?: 'exclude' | 'include';
  resamples?: number;
  report?: boolean;
  onProgress?(p: CohortProgress): void;
  signal?: AbortSignal;
}

export interface EvaluateCohortResult {
  run: CohortRunSummary;
  /** Null while the run is incomplete (stopped, limited): rerun with the same options to resume. */
  metrics: ClinicalMetrics | null;
  report: string | null;
}

export async function evaluateCohort(opts: EvaluateCohortOptions): Promise<EvaluateCohortResult> {
  const model = ClinicalModel.load(opts.modelPath);
  let scorer: Scorer | null = null;
  try {
    scorer = await selectScorer(model, opts.engine ?? 'auto');
    const run = await runCohort({
      header: model.header,
      modelPath: opts.modelPath,
      scorer,
      cohort: opts.cohort,
      outDir: opts.outDir,
      batchSize: opts.batchSize,
      stopAfter: opts.stopAfter,
      seen: opts.seen,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    if (!run.complete) return { run, metrics: null, report: null };
    const metrics = scoreCohortRun(run.outDir, model.header, { rule: opts.rule, thresholdsOn: opts.thresholdsOn, resamples: opts.resamples });
    const report = opts.report === false ? null : await writeClinicalReport(run.outDir, opts.modelPath);
    return { run, metrics, report };
  } finally {
    scorer?.dispose();
    model.dispose();
  }
}

/** Writes the model's ONNX (opset 17) file; with `verify`, returns ORT's max |Δlogit| against tfjs. */
export async function exportOnnx(modelPath: string, outPath: string, verify = false): Promise<{ path: string; bytes: number; maxAbsDiff: number | null }> {
  const model = ClinicalModel.load(modelPath);
  try {
    const bytes = clinicalOnnx(model);
    writeFileSync(outPath, bytes);
    const maxAbsDiff = verify ? await verifyOnnx(model, bytes, (b) => createOrtSession(b)) : null;
    return { path: resolve(outPath), bytes: bytes.length, maxAbsDiff };
  } finally {
    model.dispose();
  }
}
