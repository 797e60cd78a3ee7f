/**
 * The real cell executor: pre-trains a cell's foundation model with the training engine (resuming its run folder
 * when one exists), records the run and its loss series in the store, then runs the downstream protocols with the
 * evaluation engine and records every metric with its CI. Baseline cells evaluate a random-init encoder.
 */
import { join } from 'node:path';
import { initBackend } from '../compute/backend.js';
import { openDataset } from '../data/registry.js';
import type { CachedDataset } from '../data/types.js';
import { evaluate, type EvaluationResult, type Protocol } from '../evaluation/evaluate.js';
import { SignalSource } from '../evaluation/batches.js';
import type { Split } from '../evaluation/splits.js';
import { runSimulation } from '../evaluation/simulate.js';
import { BASELINE_PROTOCOL, isEndToEnd, sslMethodOf } from '../../contract/vocabulary.js';
import type { Encoder } from '../models/types.js';
import { loadStudyData, type CellResult } from '../reports/tables.js';
import { loadEncoder } from '../models/encoder.js';
import { codeVersion } from '../store/code-version.js';
import { nowIso } from '../store/store.js';
import type { CellRecord, NewEvaluation, RunRecord } from '../store/types.js';
import type { SslMethod as ContractMethod } from '../../contract/training.js';
import type { DownstreamSettings, StudyConfig } from './grid.js';
import type { CellContext, CellExecutor } from './study.js';
import { recordDataset } from './datasets.js';
import { decompose } from './decomposition.js';
import { savePredictions } from './predictions.js';
import { runRecordedPretraining } from './pretraining.js';
import { assertUnseen, monitoringIndices, pretrainingIndices, pretrainingUse, protocolSplit } from './science.js';

/** Where a study's pre-training runs live: `<workspace>/runs/<study>-<cell>`. */
export function pretrainRunId(studyName: string, cellKey: string): string {
  return `${studyName}-${cellKey}`;
}

/** Every number of an evaluation as store rows: per task AUROC/AUPRC with CIs, F1 and its threshold; the criteria. */
export function evaluationRows(result: EvaluationResult, protocol: string, condition = ''): NewEvaluation[] {
  const rows: NewEvaluation[] = [];
  for (const m of result.metrics) {
    rows.push({ task: m.task, protocol, metric: 'auroc', value: m.auroc, ciLow: m.aurocCi[0], ciHigh: m.aurocCi[1], condition });
    rows.push({ task: m.task, protocol, metric: 'auprc', value: m.auprc, ciLow: m.auprcCi[0], ciHigh: m.auprcCi[1], condition });
    rows.push({ task: m.task, protocol, metric: 'f1', value: m.f1, condition });
    rows.push({ task: m.task, protocol, metric: 'threshold', value: m.threshold, condition, split: 'val' });
  }
  rows.push({ task: 'all', protocol, metric: 'criteria', value: result.criteria, condition });
  return rows;
}

const PROTOCOL_OF_BASELINE: Record<string, Protocol> = BASELINE_PROTOCOL;

/** A protocol's training settings from the study config (the CNN keeps its own recipe unless `resnet` sets one). */
export function downstreamSettings(config: StudyConfig, protocol: Protocol): DownstreamSettings {
  if (protocol === 'resnet1d') {
    if (config.downstream.resnet) return config.downstream.resnet;
    // The ViT's rate, schedule and layer decay are not the CNN's recipe: only the budget carries over.
    const { epochs, batchSize, patience } = config.downstream.endToEnd ?? {};
    return { ...(epochs ? { epochs } : {}), ...(batchSize ? { batchSize } : {}), ...(patience ? { patience } : {}) };
  }
  return (isEndToEnd(protocol) ? config.downstream.endToEnd : config.downstream.probe) ?? {};
}

export interface PipelineOptions {
  /** Reuse one decoded-signal cache across cells (fine-tuning rereads the same records every epoch). */
  shareSignals?: boolean;
}

export function pipelineExecutor(options: PipelineOptions = {}): CellExecutor {
  let dataset: CachedDataset | null = null;
  let signals: SignalSource | undefined;
  let split: Split | null = null;

  const prepare = (config: StudyConfig) => {
    if (!dataset || dataset.name !== config.dataset) {
      dataset = openDataset(config.dataset);
      signals = options.shareSignals === false ? undefined : new SignalSource(dataset);
      split = protocolSplit(dataset, { split: config.split ?? 'strat_fold', seed: config.seed, tasks: config.tasks });
    }
    return { dataset, split: split! };
  };

  const downstream = async (
    ctx: CellContext,
    cell: CellRecord,
    protocol: Protocol,
    parent: RunRecord | null,
  ): Promise<void> => {
    const { store, study, config } = ctx;
    const done = store
      .listRuns({ studyId: study.id, kind: protocol })
      .find((r) => r.cellIndex === cell.index && r.status === 'succeeded');
    if (done) return; // resumed study: this protocol already has its results
    const { dataset: ds, split: sp } = prepare(config);
    const settings = downstreamSettings(config, protocol);
    const backend = await initBackend();
    const run = store.createRun({
      kind: protocol,
      name: `${cell.key} ${protocol}`,
      studyId: study.id,
      cellIndex: cell.index,
      parentRunId: parent?.id ?? null,
      dataset: config.dataset,
      seed: config.seed,
      backend: backend.description,
      codeVersion: codeVersion(),
      config: { protocol, tasks: config.tasks, split: sp.description, model: protocol === 'resnet1d' ? 'resnet1d' : { patch: cell.patch, depth: cell.depth, dim: cell.dim }, ...settings },
      status: 'running',
      // The CNN baseline always trains on ONNX Runtime.
      ...(protocol === 'resnet1d' ? { engine: 'ort' } : {}),
    });
    store.updateRun(run.id, { startedAt: nowIso() });
    const t0 = Date.now();
    if (parent) assertUnseen(parent.id, parent.dataUse, ds.name, sp);
    const encoder = parent?.dir ? await loadEncoder(parent.dir) : null;
    try {
      ctx.progress(`${protocol}: training`, 0);
      const result = await evaluate({
        encoder,
        config: { patch: cell.patch, depth: cell.depth, dim: cell.dim },
        protocol,
        dataset: ds,
        tasks: config.tasks,
        split: sp,
        seed: config.seed,
        ...settings,
        signalSource: signals,
        signal: ctx.signal,
        embeddingCache: parent?.dir ? { dir: join(parent.dir, 'embeddings'), key: `${parent.id}-${ds.name}` } : undefined,
        // Cells report per epoch; the per-step events (a terminal bar's) are left out here.
        onProgress: (p) => p.step ? undefined : ctx.progress(`${protocol}: ${p.phase} ${p.done}/${p.total}`, p.total ? p.done / p.total : undefined, { phase: `${protocol} ${p.phase === 'training' ? 'epoch' : p.phase}`, step: p.done, total: p.total }),
      });
      if (ctx.signal.aborted) {
        store.updateRun(run.id, { status: 'cancelled', finishedAt: nowIso(), elapsedMs: Date.now() - t0 });
        return;
      }
      store.addEvaluations(run.id, evaluationRows(result, protocol));
      // Kept for paired comparisons across models on the same test records (`ecgfm reproduce`'s verdicts).
      savePredictions(study.name, { runId: run.id, protocol, condition: '', seed: config.seed, tasks: config.tasks, ...result.test });
      store.updateRun(run.id, {
        status: 'succeeded',
        step: result.chosenEpochs[0] ?? 0,
        finishedAt: nowIso(),
        elapsedMs: Date.now() - t0,
        config: { ...run.config, chosenEpochs: result.chosenEpochs, epochsRun: result.epochsRun, settings: result.settings, split: result.split, ...(result.model ? { architecture: result.model } : {}) },
      });
    } catch (err) {
      const aborted = ctx.signal.aborted;
      store.updateRun(run.id, { status: aborted ? 'cancelled' : 'failed', error: aborted ? null : (err as Error).message, finishedAt: nowIso(), elapsedMs: Date.now() - t0 });
      if (!aborted) throw err;
    } finally {
      encoder?.dispose();
    }
  };

  /** Pre-trains (or resumes) one SSL run and records it; returns the run, or null when interrupted. */
  const pretrainRun = async (
    ctx: CellContext,
    cell: Pick<CellRecord, 'key' | 'method' | 'patch' | 'depth' | 'dim' | 'index'>,
    runId: string,
    split: Split,
  ): Promise<RunRecord | null> => {
    const { store, study, config } = ctx;
    const model = { ...((config.pretrain.model as object | undefined) ?? {}), patch: cell.patch, depth: cell.depth, dim: cell.dim };
    const names = config.pretrainDatasets?.length ? config.pretrainDatasets : [config.dataset];
    // The test part never reaches pre-training (the paper's rule): each dataset's training part only (and the
    // study dataset's validation part, monitored for the logged validation losses).
    const data = names.length === 1 && names[0] === config.dataset
      ? { dataset: config.dataset, indices: pretrainingIndices(split), split: split.description, validation: monitoringIndices(split) }
      : pretrainingUse(names.map((n) => openDataset(n)), { split: 'auto', seed: config.seed, tasks: config.tasks }, new Map([[config.dataset, split]])).use;
    const weights = config.sourceWeights;
    const { run } = await runRecordedPretraining({
      store,
      runId,
      name: cell.key,
      input: {
        ...config.pretrain, method: sslMethodOf(cell.method) ?? (cell.method as ContractMethod), dataset: data.dataset, model, seed: config.seed,
        ...(weights && names.length > 1 ? { sources: names.map((dataset) => ({ dataset, weight: weights[dataset]! })) } : {}),
      },
      data,
      studyId: study.id,
      cellIndex: cell.index,
      signal: ctx.signal,
      onProgress: (e) =>
        ctx.progress(`pre-training step ${e.step}/${e.totalSteps} loss ${e.losses.total.toFixed(4)}`, e.step / e.totalSteps, {
          phase: 'pre-training step',
          step: e.step,
          total: e.totalSteps,
          samplesPerSec: e.samplesPerSec,
          etaSeconds: e.etaSeconds,
        }),
      onEvent: (e) => {
        if (e.type === 'started' && e.startStep > 0) ctx.progress(`pre-training resumed from step ${e.startStep}`, e.startStep / e.totalSteps);
      },
    });
    return run.status === 'succeeded' ? run : null;
  };

  /** The best cell of a method: highest criteria of its end-to-end protocol (fine-tune; supervised for SL). */
  const bestCell = (cells: CellResult[], method: string): CellResult | null => {
    const protocol = method === 'SL' ? 'supervised' : 'finetune';
    let best: CellResult | null = null;
    for (const c of cells) {
      const v = c.cell.method === method ? c.scores[protocol]?.criteria : undefined;
      if (v !== undefined && v !== null && (best === null || v > best.scores[protocol]!.criteria!)) best = c;
    }
    return best;
  };

  const simulations = async (ctx: CellContext, cells: CellResult[]): Promise<void> => {
    const { store, study, config } = ctx;
    const sim = config.simulations!;
    const { dataset: ds, split: sp } = prepare(config);
    const endToEnd = config.downstream.endToEnd ?? {};
    for (const method of ['SL', ...config.methods]) {
      if (ctx.signal.aborted) return;
      const best = bestCell(cells, method);
      if (!best) continue;
      const done = store.listRuns({ studyId: study.id, kind: 'simulate' }).find((r) => r.config.method === method && r.status === 'succeeded');
      if (done) continue;
      const parent = best.runs.find((r) => r.kind === 'pretrain') ?? null;
      const backend = await initBackend();
      const run = store.createRun({
        kind: 'simulate', name: `${best.cell.key} simulations`, studyId: study.id, parentRunId: parent?.id ?? null, dataset: config.dataset,
        seed: config.seed, backend: backend.description, codeVersion: codeVersion(), status: 'running',
        config: { method, cell: best.cell.key, usage: sim.usage, caseRatios: sim.caseRatios, repeats: sim.repeats, ...endToEnd },
      });
      const t0 = Date.now();
      const encoder: Encoder | null = parent?.dir ? await loadEncoder(parent.dir) : null;
      try {
        for (const [kind, label, levels] of [['data-usage', 'usage', sim.usage], ['case-ratio', 'case', sim.caseRatios]] as const) {
          if (!levels.length || ctx.signal.aborted) continue;
          ctx.progress(`${method}: ${kind} simulation`);
          const result = await runSimulation({
            kind, levels: levels.map((l) => l / 100), repeats: sim.repeats, encoder,
            config: { patch: best.cell.patch, depth: best.cell.depth, dim: best.cell.dim },
            protocol: method === 'SL' ? 'supervised' : 'finetune', dataset: ds, tasks: config.tasks, split: sp, seed: config.seed,
            ...endToEnd, signalSource: signals, signal: ctx.signal,
          });
          for (const c of result.cells) {
            const condition = `${label}=${Number((c.level * 100).toFixed(2))}#r${c.repeat}`;
            savePredictions(study.name, { runId: run.id, protocol: result.protocol, condition, seed: c.seed, tasks: config.tasks, ...c.test });
            store.addEvaluations(run.id, config.tasks.flatMap((task, t) => [
              { task, protocol: result.protocol, metric: 'auroc', value: c.auroc[t] ?? null, condition },
              { task, protocol: result.protocol, metric: 'auprc', value: c.auprc[t] ?? null, condition },
            ]));
          }
        }
        store.updateRun(run.id, { status: ctx.signal.aborted ? 'cancelled' : 'succeeded', finishedAt: nowIso(), elapsedMs: Date.now() - t0 });
      } catch (err) {
        store.updateRun(run.id, { status: ctx.signal.aborted ? 'cancelled' : 'failed', error: (err as Error).message, elapsedMs: Date.now() - t0 });
        if (!ctx.signal.aborted) throw err;
      } finally {
        encoder?.dispose();
      }
    }
  };

  const decomposition = async (ctx: CellContext, cells: CellResult[]): Promise<void> => {
    const { store, study, config } = ctx;
    const { dataset: ds, split: sp } = prepare(config);
    for (const method of config.methods) {
      if (ctx.signal.aborted) return;
      const best = bestCell(cells, method);
      const parent = best?.runs.find((r) => r.kind === 'pretrain');
      if (!best || !parent?.dir) continue;
      if (store.listRuns({ studyId: study.id, kind: 'decompose' }).some((r) => r.config.method === method && r.status === 'succeeded')) continue;
      try {
        ctx.progress(`${method}: risk decomposition`);
        await decompose({
          store,
          dataset: ds,
          tasks: config.tasks,
          split: sp,
          seed: config.seed,
          encoderU: { runId: parent.id, dir: parent.dir },
          settings: { ...config.pretrain, method: sslMethodOf(method) ?? (method as ContractMethod), model: { ...((config.pretrain.model as object | undefined) ?? {}), patch: best.cell.patch, depth: best.cell.depth, dim: best.cell.dim } },
          runIds: { u: parent.id, withTest: `${parent.id}-with-test` },
          record: { name: `${best.cell.key} risk decomposition`, method, studyId: study.id, parentRunId: parent.id },
          probeEpochs: config.downstream.probe?.epochs,
          supervisedEpochs: config.downstream.endToEnd?.epochs,
          signal: ctx.signal,
        });
      } catch (err) {
        if (!ctx.signal.aborted) throw err;
      }
    }
  };

  let recorded = '';
  return {
    async analyse(_cells, ctx) {
      if (!ctx.config.simulations && !ctx.config.decompose) return;
      const cells = loadStudyData(ctx.store, ctx.study.id).cells;
      if (ctx.config.simulations) await simulations(ctx, cells);
      if (ctx.config.decompose) await decomposition(ctx, cells);
    },

    async runCell(cell, ctx) {
      const { store, study, config } = ctx;
      if (recorded !== config.dataset) {
        await recordDataset(store, config.dataset);
        recorded = config.dataset;
      }
      if (cell.method in PROTOCOL_OF_BASELINE) {
        await downstream(ctx, cell, PROTOCOL_OF_BASELINE[cell.method]!, null);
        return;
      }
      const { split: sp } = prepare(config);
      const runId = pretrainRunId(study.name, cell.key);
      store.updateCell(study.id, cell.index, { runId });
      const run = await pretrainRun(ctx, cell, runId, sp);
      if (!run) return;
      for (const protocol of config.protocols) {
        if (ctx.signal.aborted) return;
        await downstream(ctx, cell, protocol, run);
      }
    },
  };
}

