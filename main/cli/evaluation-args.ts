/** CLI side of the evaluate / simulate / decompose commands: shared options, input resolution and result output. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CachedDataset } from '../data/types.js';
import { openDataset } from '../data/registry.js';
import {
  intOption,
  listOption,
  loadRun,
  modelOption,
  numberOption,
  runEmbeddingCache,
  splitOption,
  type LoadedRun,
} from '../evaluation/cli-support.js';
import { DEFAULT_TASKS, PROTOCOLS, type EvaluateOptions, type Protocol } from '../evaluation/evaluate.js';
import { parseEngine } from '../training/engine-name.js';
import { workspacePath } from '../workspace.js';
import { CliError, EXIT } from './command.js';
import { LR_SCHEDULES, usesEncoder, type LrSchedule } from '../../contract/vocabulary.js';

/** parseArgs options of the downstream training settings that the evaluation commands share. */
export const TRAINING_ARGS = {
  tasks: { type: 'string' },
  split: { type: 'string' },
  epochs: { type: 'string' },
  'probe-epochs': { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'probe-lr': { type: 'string' },
  'resnet-lr': { type: 'string' },
  patience: { type: 'string' },
  'warmup-epochs': { type: 'string' },
  schedule: { type: 'string' },
  'min-lr-ratio': { type: 'string' },
  'layer-decay': { type: 'string' },
  seed: { type: 'string' },
  resamples: { type: 'string' },
  engine: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

export interface TrainingArgValues {
  model?: string;
  tasks?: string;
  split?: string;
  epochs?: string;
  'probe-epochs'?: string;
  'batch-size'?: string;
  lr?: string;
  'probe-lr'?: string;
  'resnet-lr'?: string;
  patience?: string;
  'warmup-epochs'?: string;
  schedule?: string;
  'min-lr-ratio'?: string;
  'layer-decay'?: string;
  seed?: string;
  resamples?: string;
  engine?: string;
}

export type TrainingOptions = ReturnType<typeof trainingOptions>;

/** Parses the shared settings; throws plain errors, so call it inside `usageErrors`. */
export function trainingOptions(values: TrainingArgValues) {
  const seed = intOption('seed', values.seed, 0) ?? 0;
  return {
    seed,
    tasks: listOption(values.tasks, DEFAULT_TASKS),
    split: splitOption(values.split, seed),
    model: modelOption(values.model),
    epochs: intOption('epochs', values.epochs),
    probeEpochs: intOption('probe-epochs', values['probe-epochs']),
    batchSize: intOption('batch-size', values['batch-size']),
    lr: numberOption('lr', values.lr),
    probeLr: numberOption('probe-lr', values['probe-lr']),
    resnetLr: numberOption('resnet-lr', values['resnet-lr']),
    patience: intOption('patience', values.patience),
    warmupEpochs: numberOption('warmup-epochs', values['warmup-epochs']),
    schedule: scheduleOption(values.schedule),
    minLrRatio: numberOption('min-lr-ratio', values['min-lr-ratio']),
    layerDecay: numberOption('layer-decay', values['layer-decay']),
    resamples: intOption('resamples', values.resamples),
    engine: parseEngine(values.engine),
  };
}

function scheduleOption(v: string | undefined): LrSchedule | undefined {
  if (v !== undefined && !(LR_SCHEDULES as readonly string[]).includes(v)) throw new Error(`--schedule must be ${LR_SCHEDULES.join(' or ')}, got "${v}"`);
  return v as LrSchedule | undefined;
}

/** Usage lines of the fine-tuning recipe options, shared by the commands that take them. */
export const RECIPE_USAGE = `  --warmup-epochs X      end-to-end: linear warm-up epochs (default 1), then --schedule cosine|constant (default
                         cosine) down to --min-lr-ratio X × lr (default 0.01); probes keep a constant rate
  --layer-decay X        fine-tuning a pre-trained ViT: block i of L at lr·X^(L−i), patch embedding lowest, head at
                         lr (default 0.75; 1 = off; supervised from random init trains at one rate)
  --patience N           early stopping: epochs without a better validation mean AUROC (default 4; probes 20); the
                         best epoch's weights are kept`;

/** Runs `parse`, reporting what it throws as a usage error. */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), EXIT.usage);
  }
}

function notFound(err: unknown): CliError {
  return new CliError(err instanceof Error ? err.message : String(err), EXIT.notFound);
}

export function openDatasetOrExit(name: string): CachedDataset {
  try {
    return openDataset(name);
  } catch (err) {
    throw notFound(err);
  }
}

export async function loadRunOrExit(ref: string | undefined): Promise<LoadedRun | null> {
  if (!ref) return null;
  try {
    return await loadRun(ref);
  } catch (err) {
    throw notFound(err);
  }
}

export function checkProtocols(protocols: string[]): Protocol[] {
  for (const p of protocols) if (!(PROTOCOLS as readonly string[]).includes(p)) throw new Error(`unknown protocol "${p}": use ${PROTOCOLS.join(', ')}`);
  return protocols as Protocol[];
}

/** Linear probing and fine-tuning start from pre-trained weights; the baselines do not. */
export function requireEncoderFor(protocols: readonly string[], encoder: string | undefined): void {
  if (!encoder && protocols.some(usesEncoder)) {
    throw new CliError('linear and finetune need a pre-trained encoder: give --encoder RUN', EXIT.usage);
  }
}

/** The `evaluate()` inputs of one protocol: probes take the probe epochs and learning rate. */
export function protocolInputs(
  o: TrainingOptions,
  run: LoadedRun | null,
  dataset: CachedDataset,
  protocol: Protocol,
): Omit<EvaluateOptions, 'resamples' | 'onProgress'> {
  const probe = protocol === 'linear' || protocol === 'random-linear';
  // The CNN baseline keeps its own learning rate (1e-3): --lr is the ViT's fine-tuning rate.
  const learningRate = probe ? o.probeLr : protocol === 'resnet1d' ? o.resnetLr : o.lr;
  return {
    encoder: run?.encoder ?? null,
    config: o.model,
    protocol,
    dataset,
    tasks: o.tasks,
    split: o.split,
    seed: o.seed,
    epochs: probe ? o.probeEpochs : o.epochs,
    batchSize: o.batchSize,
    learningRate,
    patience: o.patience,
    ...(probe ? {} : { warmupEpochs: o.warmupEpochs, schedule: o.schedule, minLrRatio: o.minLrRatio, layerDecay: o.layerDecay }),
    engine: o.engine,
    embeddingCache: run ? runEmbeddingCache(run, dataset) : undefined,
  };
}

/** Results go beside the run they evaluate, else under <workspace>/evaluations. */
export function evaluationDir(run: LoadedRun | null, name: string): string {
  return join(run ? join(run.runDir, 'evaluations') : workspacePath('evaluations'), name);
}

export function writeResult(outDir: string, summary: unknown): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'result.json'), JSON.stringify(summary, null, 2));
}

export function printFooter(backend: string, saved: string): void {
  console.log('');
  console.log(`backend: ${backend}`);
  console.log(`saved: ${saved}`);
}
