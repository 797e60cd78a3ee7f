/**
 * Frozen-encoder embeddings for linear probing: computed once (batched, no gradients) and cached on disk, so
 * every probe, simulation and repeat over the same encoder and dataset reuses them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../compute/tf.js';
import { FoundationModel } from '../models/foundation.js';
import type { Encoder } from '../models/types.js';
import { flatten, layoutOf, modelVariables } from '../onnx/train/bridge.js';
import { OrtEncoder } from '../onnx/train/engine.js';
import { chunks, type SignalSource } from './batches.js';

export interface EmbeddingTable {
  /** Dataset indices, one row each. */
  indices: number[];
  dim: number;
  /** Row-major [indices.length, dim]. */
  data: Float32Array;
}

export interface EmbeddingCache {
  /** A folder under the run or evaluation folder. */
  dir: string;
  /** Identifies encoder weights + dataset, e.g. `<run>-<checkpoint>-<dataset>`; file-name safe characters are kept. */
  key: string;
}

export function rowsOf(table: EmbeddingTable, indices: readonly number[]): Float32Array {
  const row = new Map(table.indices.map((i, r) => [i, r]));
  const out = new Float32Array(indices.length * table.dim);
  indices.forEach((i, k) => {
    const r = row.get(i);
    if (r === undefined) throw new Error(`no embedding for dataset record ${i}`);
    out.set(table.data.subarray(r * table.dim, (r + 1) * table.dim), k * table.dim);
  });
  return out;
}

function cacheFiles(cache: EmbeddingCache): { data: string; meta: string } {
  const safe = cache.key.replace(/[^A-Za-z0-9._-]+/g, '_');
  return { data: join(cache.dir, `${safe}.f32`), meta: join(cache.dir, `${safe}.json`) };
}

interface CacheMeta {
  key: string;
  dim: number;
  indices: number[];
}

function readCache(cache: EmbeddingCache, wanted: readonly number[]): EmbeddingTable | null {
  const files = cacheFiles(cache);
  if (!existsSync(files.meta) || !existsSync(files.data)) return null;
  try {
    const meta = JSON.parse(readFileSync(files.meta, 'utf8')) as CacheMeta;
    const have = new Set(meta.indices);
    if (meta.key !== cache.key || !wanted.every((i) => have.has(i))) return null;
    const buf = readFileSync(files.data);
    if (buf.byteLength !== meta.indices.length * meta.dim * 4) return null;
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    return { indices: meta.indices, dim: meta.dim, data };
  } catch {
    // A damaged cache is recomputed, never trusted.
    return null;
  }
}

function writeCache(cache: EmbeddingCache, table: EmbeddingTable): void {
  mkdirSync(cache.dir, { recursive: true });
  const files = cacheFiles(cache);
  // Write then rename, so an interrupted run never leaves a half-written cache that looks complete.
  writeFileSync(`${files.data}.tmp`, new Uint8Array(table.data.buffer, table.data.byteOffset, table.data.byteLength));
  renameSync(`${files.data}.tmp`, files.data);
  const meta: CacheMeta = { key: cache.key, dim: table.dim, indices: table.indices };
  writeFileSync(files.meta, JSON.stringify(meta));
}

/** The encoder's weights in an ONNX Runtime forward graph (foundation models only; others stay on tfjs). */
async function ortEmbedder(encoder: Encoder): Promise<OrtEncoder | null> {
  if (!(encoder instanceof FoundationModel)) return null;
  const vars = modelVariables(encoder, ['enc.']);
  const layout = layoutOf(vars);
  return OrtEncoder.create(encoder.config, layout, await flatten(vars, layout), { frozen: true });
}

export interface EmbedOptions {
  batchSize?: number;
  /** ONNX Runtime computes the same embeddings (to ~1e-6) several times faster on CPU; tfjs by default. */
  engine?: 'tfjs' | 'ort';
  cache?: EmbeddingCache;
  onBatch?(done: number, total: number): void;
}

/** Embeddings of `indices` by a frozen encoder; read from the cache when it holds them all. */
export async function computeEmbeddings(
  encoder: Encoder,
  source: SignalSource,
  indices: readonly number[],
  options: EmbedOptions = {},
): Promise<EmbeddingTable & { fromCache: boolean }> {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (options.cache) {
    const hit = readCache(options.cache, sorted);
    if (hit) return { ...hit, fromCache: true };
  }
  const dim = encoder.config.dim;
  const data = new Float32Array(sorted.length * dim);
  let done = 0;
  const ort = options.engine === 'ort' ? await ortEmbedder(encoder) : null;
  for (const chunk of chunks(sorted, options.batchSize ?? 64)) {
    let values: Float32Array;
    if (ort) values = (await ort.run(source.signals(chunk), chunk.length)).embedding;
    else {
      const x = source.batch(chunk);
      const e = tf.tidy(() => encoder.embed(x, false));
      values = (await e.data()) as Float32Array;
      x.dispose();
      e.dispose();
    }
    if (values.length !== chunk.length * dim) {
      throw new Error(`encoder returned ${values.length / chunk.length} features per ECG, its config says dim ${dim}`);
    }
    data.set(values, done * dim);
    done += chunk.length;
    options.onBatch?.(done, sorted.length);
    // Let progress reporting and cancellation run between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await ort?.release();
  const table = { indices: sorted, dim, data };
  if (options.cache) writeCache(options.cache, table);
  return { ...table, fromCache: false };
}
