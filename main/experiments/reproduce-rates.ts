/**
 * Step rates of each kind (CL, GL, HL pre-training, fine-tuning, inference) on ONNX Runtime, the fastest CPU
 * engine, for a model shape: measured with the engines' own timing (main/training/engine-speed.ts) and cached per
 * machine and shape in `<workspace>/reproduce-rates.json`, so a resumed or re-planned reproduction does not
 * measure again. A damaged cache is measured again, never trusted.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { resolveVitConfig } from '../models/vit.js';
import { measureInferRate, measureStepRate } from '../training/engine-speed.js';
import { workspacePath } from '../workspace.js';
import { PLAN_DEFAULTS, type ModelChoice, type StepRates } from './reproduce-plan.js';

const ratesSchema = z.object({ cl: z.number().positive(), gl: z.number().positive(), hl: z.number().positive(), finetune: z.number().positive(), infer: z.number().positive() }).strict();
const cacheSchema = z.record(z.string(), ratesSchema.extend({ measuredAt: z.string() }));

const cachePath = () => join(workspacePath(), 'reproduce-rates.json');
const keyOf = (m: ModelChoice) => [hostname(), cpus()[0]?.model ?? 'cpu', cpus().length, 'ort', `P${m.patch}L${m.depth}D${m.dim}H${m.heads}`].join('|');

function readCache(): z.infer<typeof cacheSchema> {
  try {
    const r = cacheSchema.safeParse(JSON.parse(readFileSync(cachePath(), 'utf8')));
    return r.success ? r.data : {};
  } catch {
    return {};
  }
}

/** Cached rates older than this are measured again: the load of a shared machine changes. */
const MAX_AGE_MS = 24 * 3600 * 1000;

export function cachedRates(m: ModelChoice): { rates: StepRates; measuredAt: string } | null {
  const hit = readCache()[keyOf(m)];
  if (!hit || !(Date.now() - Date.parse(hit.measuredAt) < MAX_AGE_MS)) return null;
  const { measuredAt, ...rates } = hit;
  return { rates, measuredAt };
}

export async function measureRates(m: ModelChoice, opts: { steps?: number; remeasure?: boolean } = {}): Promise<{ rates: StepRates; cached: string | null }> {
  const hit = opts.remeasure ? null : cachedRates(m);
  if (hit) return { rates: hit.rates, cached: hit.measuredAt };
  const model = resolveVitConfig(m);
  const steps = opts.steps ?? 2;
  const rates: StepRates = {
    cl: await measureStepRate('ort', 'cl', model, PLAN_DEFAULTS.pretrainBatch, steps),
    gl: await measureStepRate('ort', 'gl', model, PLAN_DEFAULTS.pretrainBatch, steps),
    hl: await measureStepRate('ort', 'hl', model, PLAN_DEFAULTS.pretrainBatch, steps),
    finetune: await measureStepRate('ort', 'finetune', model, PLAN_DEFAULTS.finetuneBatch, steps),
    infer: await measureInferRate('ort', model, 64, steps),
  };
  writeCachedRates(m, rates);
  return { rates, cached: null };
}

/** Records rates for a shape on this machine (what a measurement writes; tests plan from known rates with it). */
export function writeCachedRates(m: ModelChoice, rates: StepRates): void {
  const file = { ...readCache(), [keyOf(m)]: { ...ratesSchema.parse(rates), measuredAt: new Date().toISOString() } };
  const p = cachePath();
  writeFileSync(`${p}.tmp-${process.pid}`, JSON.stringify(file, null, 2));
  renameSync(`${p}.tmp-${process.pid}`, p);
}
