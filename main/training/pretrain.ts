/**
 * The pre-training loop, in-process. The run folder <workspace>/runs/<runId>/ holds config.json (with the
 * backend description), metrics.jsonl (one line per step) and checkpoints/. `resume` continues a run from its
 * last checkpoint: weights, AdamW moments, step, data position and PRNG state are restored, so the loss curve
 * goes on exactly as without the interruption.
 */
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { memoryUsage } from 'node:process';
import { join } from 'node:path';
import { initBackend } from '../compute/backend.js';
import { tf } from '../compute/tf.js';
import { openDataset } from '../data/registry.js';
import { selectByQuality, type QualitySelection } from '../data/quality.js';
import { FoundationModel } from '../models/foundation.js';
import { Rng } from '../ssl/rng.js';
import { workspacePath } from '../workspace.js';
import type { LossValues, PretrainConfigInput, PretrainResult, ProgressEvent, SamplingSummary, TrainingEvent } from '../../contract/training.js';
import { AdamW } from './adamw.js';
import { findCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint.js';
import { learningRateAt, resolvePretrainConfig, type PretrainConfig } from './config.js';
import { datasetTrainingData, sourcesTrainingData, type SourceInfo, type TrainingData } from './data.js';
import { hasPatientPairs, noPairsNote, pairsIn } from './sampler.js';
import { prepareStep } from './methods.js';
import { createPretrainStepper } from './engine.js';
import { chooseEngine, type EngineChoice } from './engine-choice.js';
import { validationBatches, validationFields, validationLosses, type ValidationResult } from './validation.js';

export interface PretrainHooks {
  onProgress?(e: ProgressEvent): void;
  /** Every event of the worker protocol (started, progress, epoch, checkpoint, state). */
  onEvent?(e: TrainingEvent): void;
  shouldStop?(): boolean;
  shouldPause?(): boolean;
}

export interface PretrainOptions {
  /** Batches from elsewhere than a workspace dataset (benchmarks, tests). */
  data?: TrainingData;
}

const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function newRunId(c: PretrainConfig): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${c.method}-p${c.model.patch}-l${c.model.depth}-d${c.model.dim}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

interface LossAccumulator {
  sums: Record<string, number>;
  counts: Record<string, number>;
}

const newAcc = (): LossAccumulator => ({ sums: {}, counts: {} });

function accumulate(acc: LossAccumulator, l: LossValues): void {
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number') continue;
    acc.sums[k] = (acc.sums[k] ?? 0) + v;
    acc.counts[k] = (acc.counts[k] ?? 0) + 1;
  }
}

function means(acc: LossAccumulator): LossValues {
  const out: Record<string, number> = {};
  for (const k of Object.keys(acc.sums)) out[k] = acc.sums[k]! / acc.counts[k]!;
  return { ...out, total: out.total ?? NaN } as LossValues;
}

/** Drop metric lines after `step` (a resumed run rewrites what the killed one logged past its checkpoint). */
function trimMetrics(path: string, step: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const keep = lines.filter((line) => {
    try {
      return (JSON.parse(line) as { step: number }).step <= step;
    } catch {
      return false;
    }
  });
  truncateSync(path, 0);
  if (keep.length) writeFileSync(path, keep.join('\n') + '\n');
}

export async function pretrain(input: PretrainConfigInput, hooks: PretrainHooks = {}, options: PretrainOptions = {}): Promise<PretrainResult> {
  const started = performance.now();
  const backend = await initBackend();
  let cfg = resolvePretrainConfig(input);
  if (cfg.runId !== null && !RUN_ID_RE.test(cfg.runId)) throw new Error(`Invalid run id "${cfg.runId}": use letters, digits, '.', '_' or '-'`);
  if (cfg.resume && !cfg.runId) throw new Error('Resuming needs the run id of the run to continue');
  const runId = cfg.runId ?? newRunId(cfg);
  const runDir = join(workspacePath('runs'), runId);
  const configPath = join(runDir, 'config.json');
  const metricsPath = join(runDir, 'metrics.jsonl');

  // Flagged records (clipped, constant by default) stay out; the run record says how many. Chosen once the
  // settings are final (a resumed run takes its stored ones).
  let ds: ReturnType<typeof openDataset> | null = null;
  let quality: QualitySelection | null = null;
  // A multi-source run: each dataset with the records its split and the quality filter leave.
  let sources: { ds: ReturnType<typeof openDataset>; quality: QualitySelection; weight: number | null }[] | null = null;
  const selectRecords = (): void => {
    if (options.data || ds || sources) return;
    if (cfg.sources) {
      sources = cfg.sources.map((s) => {
        const d = openDataset(s.dataset);
        return { ds: d, quality: selectByQuality(d, cfg.excludeFlags, s.indices ?? undefined), weight: s.weight };
      });
      return;
    }
    ds = openDataset(cfg.dataset);
    quality = selectByQuality(ds, cfg.excludeFlags, cfg.indices ?? undefined);
  };
  const dataQuality = (): Record<string, unknown> | null => {
    const q = quality as QualitySelection | null;
    if (q) return { exclude: q.policy, excluded: q.excluded, kept: q.indices.length };
    const list = sources as { ds: { name: string }; quality: QualitySelection }[] | null;
    if (!list) return null;
    return {
      exclude: [...cfg.excludeFlags],
      excluded: { total: list.reduce((a, s) => a + s.quality.excluded.total, 0) },
      kept: list.reduce((a, s) => a + s.quality.indices.length, 0),
      bySource: Object.fromEntries(list.map((s) => [s.ds.name, { excluded: s.quality.excluded, kept: s.quality.indices.length }])),
    };
  };
  let resumeFrom: string | null = null;
  let engine: EngineChoice;
  if (cfg.resume) {
    if (!existsSync(configPath)) throw new Error(`Cannot resume run ${runId}: ${configPath} does not exist`);
    const saved = JSON.parse(readFileSync(configPath, 'utf8')) as { input: PretrainConfigInput };
    // The stored settings win, except how long to train.
    // The engine may change on resume: both read and write the same checkpoints.
    cfg = resolvePretrainConfig({
      ...saved.input, steps: input.steps ?? saved.input.steps, epochs: input.epochs ?? saved.input.epochs,
      engine: input.engine ?? saved.input.engine, runId, resume: true,
    });
    engine = await chooseEngine(cfg.engine, { kind: cfg.method, model: cfg.model, batch: cfg.batchSize });
    resumeFrom = findCheckpoint(runDir, 'last');
  } else {
    // Run ids are unique: writing config.json exclusively is the claim, so two runs started at once with one id
    // cannot both write (and interleave) its metrics.
    mkdirSync(runDir, { recursive: true });
    selectRecords();
    engine = await chooseEngine(cfg.engine, { kind: cfg.method, model: cfg.model, batch: cfg.batchSize });
    const record = {
      runId, createdAt: new Date().toISOString(), backend: { ...backend }, engine,
      input: { ...input, runId, resume: undefined }, resolved: cfg, model: cfg.model,
      dataQuality: dataQuality(),
    };
    try {
      writeFileSync(configPath, JSON.stringify(record, null, 2), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      throw new Error(`Run ${runId} already exists in ${runDir}: resume it with --resume or choose another run id`);
    }
  }
  mkdirSync(runDir, { recursive: true });

  selectRecords();
  const chosen = quality as QualitySelection | null;
  const order = { batchSize: cfg.batchSize, seed: cfg.seed, patientAware: cfg.patientAware };
  const sampled = { ...order, patientPairRate: cfg.patientPairRate, pairsPerBatch: cfg.pairsPerBatch };
  const picked = sources as { ds: ReturnType<typeof openDataset>; quality: QualitySelection; weight: number | null }[] | null;
  let data: TrainingData & { sources?: SourceInfo };
  if (options.data) data = options.data;
  else if (picked) data = sourcesTrainingData(picked.map((s) => ({ ds: s.ds, indices: s.quality.indices, weight: s.weight })), sampled);
  // A stated pair rate needs the sampler on one dataset too; without one, a single dataset keeps its usual order.
  else if (cfg.patientPairRate > 0) data = sourcesTrainingData([{ ds: ds!, indices: chosen!.indices, weight: null }], sampled);
  else data = datasetTrainingData(ds!, { ...order, indices: chosen && chosen.excluded.total > 0 ? chosen.indices : cfg.indices });
  const notes = data.sources?.notes ?? [];
  if (!options.data && !picked && cfg.patientPairRate === 0 && cfg.patientAware) {
    const one = ds!;
    const kept = chosen!.indices;
    const ids = one.identities();
    if (!hasPatientPairs(kept, (i) => ids.patientIds[i] || `r:${ids.ids[i]}`)) notes.push(noPairsNote(one.name, kept.length));
  }
  const totalSteps = cfg.steps ?? (cfg.epochs ?? 1) * data.batchesPerEpoch;

  const model = new FoundationModel(cfg.model, cfg.seed, { decoder: cfg.method !== 'cl', head: cfg.method !== 'gl' });
  const optimizer = new AdamW({ learningRate: cfg.lr, weightDecay: cfg.weightDecay });
  let rng = new Rng(cfg.seed ^ 0x5eed);
  let step = 0;
  let epoch = 0;
  let batchInEpoch = 0;
  let lastCheckpoint: string | null = null;
  if (resumeFrom) {
    const st = loadCheckpoint(resumeFrom, model, optimizer);
    ({ step, epoch, batchInEpoch } = st);
    rng = new Rng(st.rng);
    lastCheckpoint = resumeFrom;
  }
  trimMetrics(metricsPath, step);
  const seen = new SeenCounter(data.sources?.names ?? [cfg.dataset], cfg.pairsPerBatch);
  seen.restore(metricsPath, cfg.batchSize);
  // Every stretch of a run (the first and each resume) records the engine it ran on.
  appendFileSync(join(runDir, 'engines.jsonl'), JSON.stringify({ fromStep: step, engine: engine.name, reason: engine.reason, at: new Date().toISOString() }) + '\n');
  const stepper = await createPretrainStepper(engine.name, model, optimizer, cfg);
  // Validation batches come from the workspace dataset (never from batches handed in by a test or benchmark).
  const valDataset = (): ReturnType<typeof openDataset> => {
    const name = cfg.validation!.dataset;
    return (ds && (ds as { name: string }).name === name ? ds : picked?.find((s) => s.ds.name === name)?.ds) ?? openDataset(name);
  };
  const valBatches = cfg.validation && !options.data ? validationBatches(valDataset(), cfg) : null;

  const emit = (e: TrainingEvent): void => hooks.onEvent?.(e);
  emit({ type: 'started', runId, runDir, backend: backend.description, startStep: step, totalSteps, engine: engine.reason });
  for (const message of notes) emit({ type: 'notice', message });

  let lastValidation: ValidationResult | undefined;
  const validate = async (): Promise<Record<string, number>> => {
    if (!valBatches) return {};
    lastValidation = await validationLosses(valBatches, step, (p) => stepper.evaluate(p));
    emit({ type: 'validation', ...lastValidation });
    return validationFields(lastValidation);
  };
  // The curve's first point: the untrained encoder on the validation batches (step 0 has no training losses).
  if (step === 0 && valBatches) appendFileSync(metricsPath, JSON.stringify({ step: 0, epoch: 0, ...(await validate()) }) + '\n');

  const interval = newAcc();
  const sinceCheckpoint = newAcc();
  let epochAcc = newAcc();
  let lastLosses: LossValues = { total: NaN };
  let timedSteps = 0;
  let timedMs = 0;
  let status: PretrainResult['status'] = 'completed';

  const checkpoint = async (): Promise<void> => {
    stepper.sync();
    const state: CheckpointState = {
      step, epoch, batchInEpoch, rng: rng.state(), optimizerStep: optimizer.step,
      loss: means(sinceCheckpoint).total, savedAt: new Date().toISOString(), config: cfg,
    };
    const saved = await saveCheckpoint(runDir, model, optimizer, state, cfg.keepLast);
    sinceCheckpoint.sums = {};
    sinceCheckpoint.counts = {};
    lastCheckpoint = saved.path;
    emit({ type: 'checkpoint', step, path: saved.path, best: saved.best });
  };

  try {
    outer: while (step < totalSteps) {
      for await (const batch of data.epoch(epoch, batchInEpoch)) {
        // Let pause/cancel messages in between batches (a prefetched batch arrives without a macrotask).
        await new Promise<void>((r) => setImmediate(r));
        if (hooks.shouldPause?.()) {
          emit({ type: 'state', state: 'paused' });
          while (hooks.shouldPause() && !hooks.shouldStop?.()) await new Promise((r) => setTimeout(r, 50));
          emit({ type: 'state', state: 'running' });
        }
        if (hooks.shouldStop?.()) {
          status = 'cancelled';
          break outer;
        }
        if (batch.size < 2) throw new Error(`Batch of ${batch.size} ECG at step ${step + 1}: contrastive losses need at least 2`);
        const t0 = performance.now();
        const lr = learningRateAt(cfg, step, totalSteps);
        const prepared = prepareStep(cfg, batch, rng);
        const drawn = seen.add(batch, data.sources);
        // prepareStep copied the signals into the step's own arrays: the loader may refill this buffer.
        data.recycle?.(batch);
        const losses = await stepper.step(prepared, lr);
        if (!Number.isFinite(losses.total)) throw new Error(`Loss became ${losses.total} at step ${step + 1}: lower the learning rate or enable gradient clipping`);
        // The first step builds kernels and moments: keep it out of the speed figure.
        if (step > 0 || resumeFrom) {
          timedSteps++;
          timedMs += performance.now() - t0;
        }
        step++;
        batchInEpoch++;
        lastLosses = losses;
        accumulate(interval, losses);
        accumulate(sinceCheckpoint, losses);
        accumulate(epochAcc, losses);
        const due = cfg.validation !== null && (step % cfg.validation.every === 0 || step === totalSteps);
        const val = due ? await validate() : {};
        appendFileSync(metricsPath, JSON.stringify({ step, epoch, lr: optimizer.learningRate, ...losses, ...drawn, ...val }) + '\n');

        if (step % cfg.logEvery === 0 || step === totalSteps) {
          const sps = timedSteps > 0 ? (timedSteps * batch.size * 1000) / timedMs : 0;
          const mem = tf.memory();
          const e: ProgressEvent = {
            step, totalSteps, epoch, losses: means(interval), lr: optimizer.learningRate, samplesPerSec: sps,
            etaSeconds: sps > 0 ? ((totalSteps - step) * batch.size) / sps : 0,
            memory: { numTensors: mem.numTensors, numBytes: mem.numBytes, rssBytes: memoryUsage.rss() },
            ...(lastValidation ? { validation: lastValidation } : {}),
          };
          interval.sums = {};
          interval.counts = {};
          hooks.onProgress?.(e);
          emit({ type: 'progress', ...e });
        }
        if (step % cfg.checkpointEvery === 0 && step < totalSteps) await checkpoint();
        if (step >= totalSteps) break outer;
      }
      if (Object.keys(epochAcc.sums).length > 0) emit({ type: 'epoch', epoch, step, losses: means(epochAcc) });
      epoch++;
      batchInEpoch = 0;
      epochAcc = newAcc();
    }
    if (step > 0 && !(lastCheckpoint && lastCheckpoint.endsWith(String(step).padStart(8, '0')))) await checkpoint();
  } finally {
    // Only the loader made here is ours to close; batches handed in belong to the caller.
    if (!options.data) data.close?.();
    await stepper.release();
    model.dispose();
    optimizer.dispose();
  }
  return {
    runId, runDir, status, step, totalSteps, losses: lastLosses,
    lastCheckpoint, bestCheckpoint: findCheckpoint(runDir, 'best'), backend: backend.description, engine,
    sampling: seen.summary(data.sources, cfg, notes), seconds: (performance.now() - started) / 1000,
  };
}

/**
 * ECGs per source and patient pairs of the batches trained on. Each metrics.jsonl line carries its batch's
 * `pairs` (and `bySource` when there are several sources), so a resumed run counts from step 0.
 */
class SeenCounter {
  private readonly seen: number[];
  private batches = 0;
  private withPair = 0;
  private pairs = 0;
  private withNeeded = 0;

  constructor(private readonly names: string[], private readonly needed: number) {
    this.seen = names.map(() => 0);
  }

  add(batch: { indices: number[]; patientIds: string[]; size: number }, sources?: SourceInfo): { pairs: number; bySource?: Record<string, number> } {
    const by = this.names.map(() => 0);
    if (sources) for (const i of batch.indices) by[sources.sourceOf(i)]!++;
    else by[0] = batch.size;
    const pairs = pairsIn(batch.patientIds, batch.indices);
    this.count(by, pairs);
    return { pairs, ...(this.names.length > 1 ? { bySource: Object.fromEntries(this.names.map((n, k) => [n, by[k]!])) } : {}) };
  }

  private count(by: number[], pairs: number): void {
    by.forEach((n, k) => (this.seen[k]! += n));
    this.batches++;
    this.pairs += pairs;
    if (pairs > 0) this.withPair++;
    if (pairs >= this.needed) this.withNeeded++;
  }

  /** The steps kept in metrics.jsonl (a resumed run's first part); lines from before these fields count as batches of one source. */
  restore(path: string, batchSize: number): void {
    if (!existsSync(path)) return;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let o: { step?: unknown; total?: unknown; pairs?: unknown; bySource?: unknown };
      try {
        o = JSON.parse(line) as typeof o;
      } catch {
        continue;
      }
      // Only training steps drew a batch: the step-0 line holds validation losses alone.
      if (typeof o.step !== 'number' || o.step < 1 || typeof o.total !== 'number') continue;
      const by = this.names.map(() => 0);
      if (o.bySource && typeof o.bySource === 'object') {
        for (const [name, n] of Object.entries(o.bySource as Record<string, unknown>)) {
          const k = this.names.indexOf(name);
          if (k >= 0 && typeof n === 'number') by[k] = n;
        }
      } else by[0] = batchSize;
      this.count(by, typeof o.pairs === 'number' ? o.pairs : 0);
    }
  }

  summary(sources: SourceInfo | undefined, cfg: PretrainConfig, notes: string[]): SamplingSummary {
    const shares = sources?.shares ?? [1];
    return {
      seenBySource: Object.fromEntries(this.names.map((n, k) => [n, this.seen[k]!])),
      shares: Object.fromEntries(this.names.map((n, k) => [n, shares[k] ?? 0])),
      batches: this.batches,
      batchesWithPair: this.withPair,
      pairBatchFraction: this.batches ? this.withPair / this.batches : 0,
      pairsPerBatch: this.batches ? this.pairs / this.batches : 0,
      patientPairRate: cfg.patientAware ? cfg.patientPairRate : 0,
      pairsNeeded: cfg.pairsPerBatch,
      batchesWithPairsNeeded: this.withNeeded,
      notes,
    };
  }
}
