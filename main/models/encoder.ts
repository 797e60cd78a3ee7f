/** The downstream engine's entry points to foundation models. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FoundationModel } from './foundation.js';
import type { Encoder } from './types.js';
import { resolveVitConfig, type VitConfigInput } from './vit.js';
import { findCheckpoint } from '../training/checkpoint.js';

/** A fresh encoder (no decoder or head) with weights drawn from `seed`. */
export function createEncoder(config: VitConfigInput, seed: number): Encoder {
  return new FoundationModel(resolveVitConfig(config), seed, { decoder: false, head: false });
}

/** The encoder of a pre-training run: its best checkpoint, else its last. */
export async function loadEncoder(runDir: string): Promise<Encoder> {
  const configPath = join(runDir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`${runDir} is not a pre-training run: config.json is missing`);
  let model: VitConfigInput;
  try {
    model = (JSON.parse(readFileSync(configPath, 'utf8')) as { model: VitConfigInput }).model;
  } catch (err) {
    throw new Error(`${configPath}: unreadable (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!model || typeof model.patch !== 'number') throw new Error(`${configPath}: no model settings`);
  const ckpt = findCheckpoint(runDir, 'best') ?? findCheckpoint(runDir, 'last');
  if (!ckpt) throw new Error(`${runDir} has no checkpoints yet: pre-train it first`);
  const encoder = new FoundationModel(resolveVitConfig(model), 0, { decoder: false, head: false });
  try {
    encoder.load(join(ckpt, 'weights.ecgfmt'), ['enc.']);
  } catch (err) {
    encoder.dispose();
    throw err;
  }
  return encoder;
}
