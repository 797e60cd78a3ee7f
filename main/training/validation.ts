/**
 * Pre-training's validation batches: the loss terms (reconstruction, sample- and patient-level InfoNCE) on records
 * the run never trains on, so a curve shows whether the encoder learns or memorises. The records are the split's
 * validation part (science.ts `monitoringIndices`), read for monitoring only: nothing is chosen from them here.
 *
 * The batches are fixed once per run: the same records, composed as training composes its batches (patient-aware
 * where the method needs patient pairs), and the same views and masks, drawn from their own PRNG stream. Every
 * evaluation then sees identical inputs, so points along the curve differ only by the weights. ln(batch) is the
 * InfoNCE of an encoder that cannot tell the batch's ECGs apart (chance level).
 */
import { planEpoch } from '../data/loader.js';
import type { CachedDataset } from '../data/types.js';
import { ECG_SIZE } from '../data/types.js';
import { Rng } from '../ssl/rng.js';
import type { LossValues, ValidationLosses } from '../../contract/training.js';
import type { PretrainConfig } from './config.js';
import { prepareStep, type PreparedStep } from './methods.js';

export interface ValidationBatches {
  prepared: PreparedStep[];
  /** Records in the batches (whole batches only, at most `validationBatches` of them). */
  records: number;
  batchSize: number;
}

/** Means over the batches; `patient` over the batches that hold a patient pair (absent when none does). */
export type ValidationResult = ValidationLosses;

/** The fixed validation batches of a run, or null when the run has no validation records or too few for a batch. */
export function validationBatches(ds: CachedDataset, cfg: PretrainConfig): ValidationBatches | null {
  const v = cfg.validation;
  if (!v || v.indices.length < cfg.batchSize) return null;
  const plan = planEpoch(
    v.indices,
    0,
    { batchSize: cfg.batchSize, seed: cfg.seed, shuffle: true, dropLast: true, patientAware: cfg.patientAware },
    (i) => ds.meta(i).patientId,
  ).slice(0, v.batches);
  const rng = new Rng((cfg.seed ^ 0x7a11d) >>> 0);
  const prepared = plan.map((indices) => {
    const signals = new Float32Array(indices.length * ECG_SIZE);
    indices.forEach((i, k) => ds.readSignal(i, signals.subarray(k * ECG_SIZE, (k + 1) * ECG_SIZE)));
    return prepareStep(cfg, { signals, size: indices.length, patientIds: indices.map((i) => ds.meta(i).patientId) }, rng);
  });
  return { prepared, records: prepared.length * cfg.batchSize, batchSize: cfg.batchSize };
}

/** The mean loss terms of the validation batches under `evaluate` (the stepper's forward pass). */
export async function validationLosses(
  batches: ValidationBatches,
  step: number,
  evaluate: (p: PreparedStep) => Promise<LossValues>,
): Promise<ValidationResult> {
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const p of batches.prepared) {
    const l = await evaluate(p);
    for (const [k, x] of Object.entries(l)) {
      if (typeof x !== 'number') continue;
      sums[k] = (sums[k] ?? 0) + x;
      counts[k] = (counts[k] ?? 0) + 1;
    }
  }
  const losses: Record<string, number> = {};
  for (const k of Object.keys(sums)) losses[k] = sums[k]! / counts[k]!;
  return {
    step,
    losses: { ...losses, total: losses.total ?? NaN } as LossValues,
    batches: batches.prepared.length,
    patientBatches: counts.patient ?? 0,
    lnBatch: Math.log(batches.batchSize),
  };
}

/** The metrics.jsonl fields of a validation result (`val_<term>`, and ln(batch) beside them). */
export function validationFields(v: ValidationResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v.losses)) if (typeof x === 'number' && Number.isFinite(x)) out[`val_${k}`] = x;
  out.val_batches = v.batches;
  out.val_patient_batches = v.patientBatches;
  out.ln_batch = v.lnBatch;
  return out;
}
