/** Adapts the training launcher (protocol in contract/training.ts) to the service's TrainingPort. */
import type { AugmentSettings, PretrainConfigInput, PretrainResult, TrainingEvent } from '../../contract/training.js';
import type { PretrainSettings, TrainingCallbacks, TrainingHandle, TrainingPort } from './ports.js';

/** What a launcher gives back: the child-process one, or Electron's utilityProcess one. */
export interface LauncherHandle {
  pause(): void;
  resume(): void;
  cancel(): void;
  done: Promise<PretrainResult>;
}
export type Launch = (config: PretrainConfigInput, options: { onEvent(e: TrainingEvent): void }) => LauncherHandle;

/** The form's augmentation names → the engine's strengths (0 switches one off, others keep their defaults). */
const AUG_KEYS: Record<string, keyof AugmentSettings> = { shift: 'shift', scale: 'scale', noise: 'noise', wander: 'wander', dropout: 'leadDropout' };

export function engineConfig(s: PretrainSettings, runId: string): PretrainConfigInput {
  const augment: AugmentSettings = {};
  for (const [name, key] of Object.entries(AUG_KEYS)) if (!s.augmentations.includes(name as PretrainSettings['augmentations'][number])) augment[key] = 0;
  return {
    runId,
    method: s.method,
    dataset: s.datasets[0] ?? '',
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

/** Loss components as metrics.jsonl spells them (one flat line per step). */
const LOSS_NAMES = ['total', 'recon', 'patient', 'sample'] as const;

/** Numeric loss fields of a metrics/progress record: a `losses` object, or top-level numbers named like losses. */
export function lossesOf(e: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  const nested = e.losses;
  if (nested && typeof nested === 'object') {
    for (const [k, v] of Object.entries(nested as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  for (const k of LOSS_NAMES) {
    const v = e[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] ??= v;
  }
  if (typeof e.loss === 'number' && Number.isFinite(e.loss)) out.total ??= e.loss;
  return out;
}

export function trainingPortFromLauncher(launch: Launch): TrainingPort {
  return {
    start(settings: PretrainSettings, runId: string, cb: TrainingCallbacks): TrainingHandle {
      let backend: string | null = null;
      const worker = launch(engineConfig(settings, runId), {
        onEvent(e) {
          if (e.type === 'started') backend = e.backend;
          else if (e.type === 'progress') {
            cb.onProgress({
              step: e.step,
              totalSteps: e.totalSteps,
              epoch: e.epoch,
              losses: { ...e.losses } as Record<string, number>,
              samplesPerSec: e.samplesPerSec,
              etaSeconds: e.etaSeconds,
              memoryMB: e.memory.rssBytes / 2 ** 20,
              backend,
            });
          } else if (e.type === 'state') cb.onState(e.state);
        },
      });
      return {
        runId,
        pause: () => worker.pause(),
        resume: () => worker.resume(),
        cancel: () => worker.cancel(),
        done: worker.done.then((r) => r.status),
      };
    },
  };
}
