/**
 * `--engine auto|tfjs|ort`: which engine runs training steps. `auto` takes ONNX Runtime when it loads and is
 * faster for this model shape on this machine: both engines are timed once (a few synthetic steps) and the result
 * is cached in the workspace (engine-choice.json), keyed by machine, tfjs backend, step kind, model and batch.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { initBackend } from '../compute/backend.js';
import type { VitConfig } from '../models/types.js';
import { loadOrt } from '../onnx/runtime.js';
import type { StepKind } from '../onnx/train/step.js';
import { workspacePath } from '../workspace.js';
import type { ResolvedEngine, TrainingEngine } from '../../contract/training.js';
import { measureStepRate } from './engine-speed.js';

export interface EngineChoice {
  name: ResolvedEngine;
  /** One line for logs and run records, e.g. "auto: ort 212.0 vs tfjs 48.1 samples/s (measured 2026-12-01)". */
  reason: string;
}

export { parseEngine } from './engine-name.js';

const Measurement = z.object({ ort: z.number(), tfjs: z.number(), measuredAt: z.string() });
const CacheFile = z.record(z.string(), Measurement);
type CacheFile = z.infer<typeof CacheFile>;

function cachePath(): string {
  return join(workspacePath(), 'engine-choice.json');
}

function readCache(): CacheFile {
  try {
    const parsed = CacheFile.safeParse(JSON.parse(readFileSync(cachePath(), 'utf8')));
    // A damaged cache is measured again, never trusted.
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

function writeCache(c: CacheFile): void {
  const p = cachePath();
  writeFileSync(`${p}.tmp-${process.pid}`, JSON.stringify(c, null, 2));
  renameSync(`${p}.tmp-${process.pid}`, p);
}

export interface EngineProbe {
  kind: StepKind;
  model: VitConfig;
  batch: number;
}

/** Resolve `requested` to an engine; `auto` measures (or reads the cached measurement) and says why. */
export async function chooseEngine(requested: TrainingEngine | undefined, probe: EngineProbe): Promise<EngineChoice> {
  const want = requested ?? 'auto';
  const ort = await loadOrt();
  if (want === 'tfjs') return { name: 'tfjs', reason: 'tfjs (asked for)' };
  if (want === 'ort') {
    if (!ort) throw new Error('--engine ort: onnxruntime-node does not load on this machine; use --engine tfjs');
    return { name: 'ort', reason: 'ort (asked for)' };
  }
  if (!ort) return { name: 'tfjs', reason: 'auto: tfjs (onnxruntime-node does not load here)' };
  const backend = await initBackend();
  const m = probe.model;
  const key = [hostname(), cpus()[0]?.model ?? 'cpu', cpus().length, backend.name, probe.kind,
    `P${m.patch}D${m.dim}L${m.depth}H${m.heads}dec${m.decoderDim}x${m.decoderDepth}${m.pooling}`, `B${probe.batch}`].join('|');
  const cache = readCache();
  let hit = cache[key];
  let when = 'measured earlier on this machine';
  if (!hit) {
    hit = {
      ort: await measureStepRate('ort', probe.kind, m, probe.batch, 2),
      tfjs: await measureStepRate('tfjs', probe.kind, m, probe.batch, 2),
      measuredAt: new Date().toISOString(),
    };
    writeCache({ ...readCache(), [key]: hit });
    when = 'measured now';
  }
  const name: ResolvedEngine = hit.ort >= hit.tfjs ? 'ort' : 'tfjs';
  return { name, reason: `auto: ${name} (ort ${hit.ort.toFixed(1)} vs tfjs ${hit.tfjs.toFixed(1)} samples/s, ${when})` };
}

/**
 * Engine of forward-only work (frozen embeddings, scoring): ONNX Runtime when it loads and tfjs runs on the CPU
 * (its MLAS kernels use the full vector width; bench/clinical.ts measures 1.6× PyTorch against tfjs-wasm's 0.3×).
 */
export async function forwardEngine(requested: TrainingEngine | undefined): Promise<EngineChoice> {
  if (requested === 'tfjs') return { name: 'tfjs', reason: 'tfjs (asked for)' };
  const ort = await loadOrt();
  if (requested === 'ort') {
    if (!ort) throw new Error('--engine ort: onnxruntime-node does not load on this machine; use --engine tfjs');
    return { name: 'ort', reason: 'ort (asked for)' };
  }
  if (!ort) return { name: 'tfjs', reason: 'auto: tfjs (onnxruntime-node does not load here)' };
  const backend = await initBackend();
  if (backend.name === 'tfjs-node-gpu') return { name: 'tfjs', reason: 'auto: tfjs (GPU backend for forward passes)' };
  return { name: 'ort', reason: `auto: ort for forward passes (tfjs is on ${backend.name})` };
}
