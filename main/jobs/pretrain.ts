/**
 * Pre-training job (the Pre-train page): the form's settings become the engine's config; the records come from
 * the science rule (the split's training part), and the run is recorded in the store as it trains.
 */
import { z } from 'zod';
import { pretrainRequestSchema, type RunProgress } from '../../contract/api.js';
import type { AugmentSettings, PretrainConfigInput } from '../../contract/training.js';
import { openDataset } from '../data/registry.js';
import { runRecordedPretraining } from '../experiments/pretraining.js';
import { pretrainingUse } from '../experiments/science.js';
import { defineJobKind } from './kind.js';

export type PretrainSettings = z.output<typeof pretrainRequestSchema>;

/** The form's augmentation names → the engine's strengths (0 switches one off, others keep their defaults). */
const AUG_KEYS: Record<string, keyof AugmentSettings> = { shift: 'shift', scale: 'scale', noise: 'noise', wander: 'wander', dropout: 'leadDropout' };

export function engineConfig(s: PretrainSettings, runId: string): PretrainConfigInput {
  const augment: AugmentSettings = {};
  for (const [name, key] of Object.entries(AUG_KEYS)) if (!s.augmentations.includes(name as PretrainSettings['augmentations'][number])) augment[key] = 0;
  return {
    runId,
    method: s.method,
    dataset: s.datasets.join('+'),
    ...(s.sourceWeights && s.datasets.length > 1 ? { sources: s.datasets.map((dataset) => ({ dataset, weight: s.sourceWeights![dataset]! })) } : {}),
    ...(s.patientPairRate !== undefined ? { patientPairRate: s.patientPairRate } : {}),
    ...(s.pairsPerBatch !== undefined ? { pairsPerBatch: s.pairsPerBatch } : {}),
    model: { patch: s.patch, depth: s.depth, dim: s.dim, ...(s.heads ? { heads: s.heads } : {}) },
    batchSize: s.batchSize,
    steps: s.steps,
    seed: s.seed,
    lr: s.lr,
    weightDecay: s.weightDecay,
    maskRatio: s.maskRatio,
    tau: s.tau,
    augment,
    patientAware: s.method !== 'gl',
    // The UI draws a curve: report every step for short runs, ~500 points for long ones.
    logEvery: Math.max(1, Math.floor(s.steps / 500)),
  };
}

export const pretrainJob = defineJobKind({
  kind: 'pretrain',
  payload: z.object({ runId: z.string(), name: z.string(), settings: pretrainRequestSchema }),
  async run(ctx, { runId, name, settings }) {
    const datasets = settings.datasets.map((n) => openDataset(n));
    const { use } = pretrainingUse(datasets, { split: settings.split ?? 'auto', seed: settings.seed, tasks: settings.tasks });
    const { runId: _r, resume: _s, ...input } = engineConfig(settings, runId);
    let backend: string | null = null;
    const { run } = await runRecordedPretraining({
      store: ctx.store,
      runId,
      name,
      input,
      data: use,
      signal: ctx.signal,
      onEvent: (e) => {
        if (e.type === 'notice') ctx.progress(null, e.message, true);
        else if (e.type === 'started') {
          backend = e.backend;
          ctx.progress(e.startStep / e.totalSteps, e.startStep ? `resumed at step ${e.startStep}` : 'started', true);
        } else if (e.type === 'progress') {
          const p: RunProgress = {
            step: e.step,
            totalSteps: e.totalSteps,
            epoch: e.epoch,
            losses: { ...e.losses } as Record<string, number>,
            samplesPerSec: e.samplesPerSec,
            etaSeconds: e.etaSeconds,
            memoryMB: e.memory.rssBytes / 2 ** 20,
            backend,
          };
          ctx.emit({ type: 'run.progress', runId, ...p });
          ctx.progress(e.step / e.totalSteps, `step ${e.step}/${e.totalSteps} loss ${e.losses.total.toFixed(4)}`);
        } else if (e.type === 'validation') {
          // The same names as metrics.jsonl and the store, so a live curve and a reloaded one match.
          const losses: Record<string, number> = { ln_batch: e.lnBatch };
          for (const [k, v] of Object.entries(e.losses)) if (typeof v === 'number' && Number.isFinite(v)) losses[`val_${k}`] = v;
          ctx.emit({ type: 'run.validation', runId, step: e.step, losses });
        }
      },
    });
    return run.id;
  },
});
