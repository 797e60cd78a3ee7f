/**
 * A pre-training run folder's config.json as pretrain.ts writes it (`{ runId, createdAt, backend, input, resolved,
 * model }`), read back in one place and validated: a folder from another tool or a damaged file gives a clear
 * error naming the file, not a cast that fails later.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SSL_METHODS } from '../../contract/vocabulary.js';
import type { PretrainConfigInput } from '../../contract/training.js';

const shape = z.object({ patch: z.number().int(), depth: z.number().int(), dim: z.number().int() }).passthrough();
const configFileSchema = z
  .object({
    runId: z.string().optional(),
    createdAt: z.string().optional(),
    backend: z.object({ description: z.string().optional() }).passthrough().optional(),
    input: z.object({ method: z.enum(SSL_METHODS), dataset: z.string(), model: shape, indices: z.array(z.number().int()).optional() }).passthrough(),
    model: shape.optional(),
  })
  .passthrough();

export interface RunFolderConfig {
  runId: string | null;
  createdAt: string | null;
  backend: string | null;
  /** The engine input the run was started with (its records in `indices`). */
  input: PretrainConfigInput;
  model: { patch: number; depth: number; dim: number; heads?: number };
}

export function runConfigPath(dir: string): string {
  return join(dir, 'config.json');
}

/** The folder's config, or null when it has none; throws naming the file when it is not a pre-training config. */
export function readRunFolderConfig(dir: string): RunFolderConfig | null {
  const path = runConfigPath(dir);
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not JSON (${(err as Error).message})`);
  }
  const r = configFileSchema.safeParse(raw);
  if (!r.success) throw new Error(`${path}: not a pre-training run config (${r.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')})`);
  const d = r.data;
  return {
    runId: d.runId ?? null,
    createdAt: d.createdAt ?? null,
    backend: d.backend?.description ?? null,
    input: d.input as unknown as PretrainConfigInput,
    model: (d.model ?? d.input.model) as RunFolderConfig['model'],
  };
}
