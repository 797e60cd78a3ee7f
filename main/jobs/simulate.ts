/** Simulation job: data-usage or case-ratio subsets of the training part (Tables 6–7), one store run. */
import { z } from 'zod';
import { simulationRequestSchema } from '../../contract/api.js';
import { initBackend } from '../compute/backend.js';
import { runSimulation } from '../evaluation/simulate.js';
import { loadEncoder } from '../models/encoder.js';
import { codeVersion } from '../store/code-version.js';
import { nowIso } from '../store/store.js';
import { protocolInputs } from './encoder-source.js';
import { defineJobKind } from './kind.js';
import { usesEncoder } from '../../contract/vocabulary.js';

export const simulationJob = defineJobKind({
  kind: 'simulation',
  payload: z.object({ title: z.string(), label: z.string(), request: simulationRequestSchema }),
  async run(ctx, { title, label, request: req }) {
    const { store } = ctx;
    const { ds, split, src } = protocolInputs(store, req);
    const wantsEncoder = usesEncoder(req.protocol);
    const key = req.kind === 'data-usage' ? 'usage' : 'case';
    const backend = await initBackend();
    const run = store.createRun({
      kind: 'simulate', name: title, dataset: req.dataset, seed: req.seed, parentRunId: req.runId ?? null, backend: backend.description, codeVersion: codeVersion(),
      status: 'running', startedAt: nowIso(),
      config: { method: label, simulation: req.kind, protocol: req.protocol, tasks: req.tasks, percents: req.percents, repeats: req.repeats, split: req.split },
    });
    const t0 = Date.now();
    const encoder = wantsEncoder && src ? await loadEncoder(src.dir) : null;
    try {
      const result = await runSimulation({
        kind: req.kind,
        levels: req.percents.map((p) => p / 100),
        repeats: req.repeats,
        encoder,
        config: encoder ? undefined : (req.model ?? src?.model),
        protocol: req.protocol,
        dataset: ds,
        tasks: req.tasks,
        split,
        seed: req.seed,
        ...(req.epochs ? { epochs: req.epochs } : {}),
        resamples: 50,
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(p.cells ? (p.cell + (p.inner.total ? p.inner.done / p.inner.total : 0)) / p.cells : null, `${(p.level * 100).toFixed(0)}% repeat ${p.repeat + 1}: ${p.inner.phase}`),
      });
      for (const c of result.cells) {
        const condition = `${key}=${Number((c.level * 100).toFixed(2))}#r${c.repeat}`;
        store.addEvaluations(run.id, req.tasks.flatMap((task, t) => [
          { task, protocol: result.protocol, metric: 'auroc', value: c.auroc[t] ?? null, condition },
          { task, protocol: result.protocol, metric: 'auprc', value: c.auprc[t] ?? null, condition },
        ]));
      }
      const trainSizes = Object.fromEntries(result.rows.map((r) => [`${key}=${Number((r.level * 100).toFixed(2))}`, r.trainSize]));
      store.updateRun(run.id, { config: { ...run.config, trainSizes }, status: 'succeeded', finishedAt: nowIso(), elapsedMs: Date.now() - t0 });
      return `${run.id}:${req.kind}`;
    } catch (err) {
      store.updateRun(run.id, { status: ctx.signal.aborted ? 'cancelled' : 'failed', error: (err as Error).message, finishedAt: nowIso(), elapsedMs: Date.now() - t0 });
      throw err;
    } finally {
      encoder?.dispose();
    }
  },
});
