/**
 * Checkpoints of a pre-training run: <runDir>/checkpoints/step-NNNNNNNN/ with the weights, the AdamW moments
 * (by parameter name), and state.json (step, data position, RNG state, config). index.json names the last N
 * and the best; older ones are deleted. A checkpoint folder is written under a temporary name and renamed, so a
 * kill mid-save never leaves a partial checkpoint that resume could pick.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FoundationModel } from '../models/foundation.js';
import { loadTensorFile, saveTensorFile, type NamedArrays } from '../models/tensor-file.js';
import type { RngState } from '../ssl/rng.js';
import type { AdamW } from './adamw.js';

export interface CheckpointState {
  step: number;
  epoch: number;
  /** Batches of `epoch` already consumed. */
  batchInEpoch: number;
  rng: RngState;
  optimizerStep: number;
  /** Mean total loss since the previous checkpoint (what "best" compares). */
  loss: number;
  savedAt: string;
  config: unknown;
}

interface CheckpointIndex {
  last: string[];
  best: string | null;
  bestLoss: number | null;
}

const checkpointsDir = (runDir: string): string => join(runDir, 'checkpoints');

function readIndex(runDir: string): CheckpointIndex {
  const p = join(checkpointsDir(runDir), 'index.json');
  if (!existsSync(p)) return { last: [], best: null, bestLoss: null };
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as CheckpointIndex;
  } catch (err) {
    throw new Error(`${p}: unreadable checkpoint index (${err instanceof Error ? err.message : String(err)})`);
  }
}

function writeIndex(runDir: string, index: CheckpointIndex): void {
  const p = join(checkpointsDir(runDir), 'index.json');
  writeFileSync(`${p}.tmp`, JSON.stringify(index, null, 2));
  renameSync(`${p}.tmp`, p);
}

/** Folder of the best or the last checkpoint, or null when the run has none. */
export function findCheckpoint(runDir: string, which: 'best' | 'last'): string | null {
  const root = checkpointsDir(runDir);
  const complete = (name: string | null | undefined): string | null =>
    name && existsSync(join(root, name, 'state.json')) ? join(root, name) : null;
  if (which === 'best') return complete(readIndex(runDir).best);
  // The folder, not index.json, is the truth for "last": a kill between the folder's rename and the index update
  // must not lose that checkpoint. Folders only appear complete (written under a temporary name, then renamed).
  const steps = readdirNames(root).filter((n) => /^step-\d+$/.test(n)).sort();
  for (let i = steps.length - 1; i >= 0; i--) {
    const dir = complete(steps[i]);
    if (dir) return dir;
  }
  return null;
}

export interface SavedCheckpoint {
  path: string;
  best: boolean;
}

export async function saveCheckpoint(runDir: string, model: FoundationModel, optimizer: AdamW, state: CheckpointState, keepLast: number): Promise<SavedCheckpoint> {
  const root = checkpointsDir(runDir);
  mkdirSync(root, { recursive: true });
  const name = `step-${String(state.step).padStart(8, '0')}`;
  const dir = join(root, name);
  const tmp = join(root, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  await model.save(join(tmp, 'weights.ecgfmt'));
  const moments: NamedArrays = new Map();
  for (const [pname, variable] of model.params.vars) {
    const { m, v } = await optimizer.readMoments(variable);
    moments.set(`m:${pname}`, { shape: [...variable.shape], data: m });
    moments.set(`v:${pname}`, { shape: [...variable.shape], data: v });
  }
  saveTensorFile(join(tmp, 'optimizer.ecgfmt'), moments);
  writeFileSync(join(tmp, 'state.json'), JSON.stringify(state, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);

  const index = readIndex(runDir);
  index.last = [...index.last.filter((n) => n !== name), name];
  const best = Number.isFinite(state.loss) && (index.bestLoss === null || state.loss < index.bestLoss);
  if (best) {
    index.best = name;
    index.bestLoss = state.loss;
  }
  const drop = index.last.slice(0, Math.max(0, index.last.length - keepLast));
  index.last = index.last.slice(drop.length);
  writeIndex(runDir, index);
  for (const old of drop) if (old !== index.best) rmSync(join(root, old), { recursive: true, force: true });
  // A former best that fell out of the last N is deleted once it is no longer the best.
  for (const n of readdirNames(root)) {
    if (n.startsWith('step-') && n !== index.best && !index.last.includes(n)) rmSync(join(root, n), { recursive: true, force: true });
  }
  return { path: dir, best };
}

function readdirNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Restore weights and optimizer moments into a freshly built model/optimizer; returns the saved state. */
export function loadCheckpoint(dir: string, model: FoundationModel, optimizer: AdamW): CheckpointState {
  const statePath = join(dir, 'state.json');
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as CheckpointState;
  } catch (err) {
    throw new Error(`${statePath}: unreadable checkpoint state (${err instanceof Error ? err.message : String(err)})`);
  }
  model.load(join(dir, 'weights.ecgfmt'));
  const moments = loadTensorFile(join(dir, 'optimizer.ecgfmt'));
  for (const [pname, variable] of model.params.vars) {
    const m = moments.get(`m:${pname}`);
    const v = moments.get(`v:${pname}`);
    if (!m || !v) throw new Error(`${dir}: optimizer state for ${pname} is missing`);
    optimizer.writeMoments(variable, m.data, v.data);
  }
  optimizer.step = state.optimizerStep;
  return state;
}
