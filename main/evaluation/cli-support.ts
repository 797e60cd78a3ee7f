/** What the evaluate / simulate / decompose commands share: run lookup, option parsing, progress lines. */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { CachedDataset } from '../data/types.js';
import { loadEncoder } from '../models/encoder.js';
import type { Encoder } from '../models/types.js';
import type { VitConfigInput } from '../models/vit.js';
import { findCheckpoint } from '../training/checkpoint.js';
import { workspaceDir } from '../workspace.js';
import type { EmbeddingCache } from './embeddings.js';
import type { EvaluationProgress } from './evaluate.js';
import { parseSplitSpec, type SplitSpec } from './splits.js';

/** A run id under <workspace>/runs/, or a path to a run folder. */
export function resolveRunDir(ref: string): string {
  const candidates = [join(workspaceDir(), 'runs', ref), resolve(ref)];
  const found = candidates.find((p) => existsSync(join(p, 'config.json')));
  if (!found) {
    throw new Error(
      `no pre-training run "${ref}": looked for config.json in ${candidates.join(' and ')} (list runs with \`ecgfm runs\`)`,
    );
  }
  return found;
}

export interface LoadedRun {
  encoder: Encoder;
  runDir: string;
  runId: string;
  /** Checkpoint folder name the weights came from. */
  checkpoint: string;
  /** Its path ('' when unknown). */
  checkpointPath: string;
}

export async function loadRun(ref: string): Promise<LoadedRun> {
  const runDir = resolveRunDir(ref);
  const ckpt = findCheckpoint(runDir, 'best') ?? findCheckpoint(runDir, 'last');
  const encoder = await loadEncoder(runDir);
  return { encoder, runDir, runId: basename(runDir), checkpoint: ckpt ? basename(ckpt) : 'unknown', checkpointPath: ckpt ?? '' };
}

/** Embedding cache of a run's encoder on a dataset; the key changes when the checkpoint or the dataset does. */
export function runEmbeddingCache(run: LoadedRun, dataset: CachedDataset): EmbeddingCache {
  let stamp = 0;
  try {
    stamp = Math.round(statSync(join(dataset.dir, 'manifest.json')).mtimeMs);
  } catch {
    // A dataset without a manifest file is keyed by name and size only.
  }
  return { dir: join(run.runDir, 'evaluations', 'embeddings'), key: `${run.checkpoint}-${dataset.name}-${dataset.count}-${stamp}` };
}

export function intOption(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

export function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
  return n;
}

export function listOption(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new Error('an empty list was given');
  return items;
}

export function splitOption(value: string | undefined, seed: number): SplitSpec {
  return parseSplitSpec(value ?? 'strat_fold', seed);
}

/** `--model 125,2,64` (patch, depth, dim) for random-init baselines without a run. */
export function modelOption(value: string | undefined): VitConfigInput | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`--model must be PATCH,DEPTH,DIM such as 125,2,64; got "${value}"`);
  }
  const [patch, depth, dim] = parts as [number, number, number];
  return { patch, depth, dim };
}

/** One stderr line per epoch and embedding pass, so long runs show life in logs too. */
export function progressLines(prefix: string, quiet: boolean): (p: EvaluationProgress) => void {
  return (p) => {
    if (quiet) return;
    if (p.phase === 'embedding' && p.done === p.total) process.stderr.write(`${prefix}[${p.protocol}] embedded ${p.total} ECGs\n`);
    if (p.phase === 'training' && p.epoch) {
      const e = p.epoch;
      // Probes run many cheap epochs: every tenth is enough to show progress.
      const probe = p.protocol === 'linear' || p.protocol === 'random-linear';
      if (probe && e.epoch % 10 !== 0 && e.epoch !== p.total) return;
      const group = p.tasks.length === 1 ? ` ${p.tasks[0]}` : '';
      process.stderr.write(
        `${prefix}[${p.protocol}${group}] epoch ${e.epoch}/${p.total} loss ${e.trainLoss.toFixed(4)} ` +
          `val AUROC ${Number.isFinite(e.valMeanAuroc) ? e.valMeanAuroc.toFixed(4) : 'n/a'} (${e.seconds.toFixed(1)} s)\n`,
      );
    }
  };
}

export function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}
