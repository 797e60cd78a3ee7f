/** Evaluation job: a downstream protocol on an encoder run or a baseline; writes the Evaluate page's view file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { evaluateRequestSchema } from '../../contract/api.js';
import { trainingStepTracker } from '../../contract/progress.js';
import { initBackend } from '../compute/backend.js';
import { evaluate } from '../evaluation/evaluate.js';
import { evaluationRows } from '../experiments/pipeline.js';
import { loadEncoder } from '../models/encoder.js';
import { resolveVitConfig } from '../models/vit.js';
import { writeProbeFile } from '../clinical/probe.js';
import { findCheckpoint } from '../training/checkpoint.js';
import { codeVersion } from '../store/code-version.js';
import { nowIso } from '../store/store.js';
import { evaluationView } from '../api/views.js';
import { workspaceDir } from '../workspace.js';
import { protocolInputs } from './encoder-source.js';
import { defineJobKind } from './kind.js';
import { usesEncoder } from '../../contract/vocabulary.js';

export const evaluationsDir = () => join(workspaceDir(), 'evaluations');

export const evaluationJob = defineJobKind({
  kind: 'evaluation',
  payload: z.object({ id: z.string(), title: z.string(), request: evaluateRequestSchema }),
  async run(ctx, { id, title, request: req }) {
    const { store } = ctx;
    const { ds, split, src } = protocolInputs(store, req);
    const withEncoder = usesEncoder(req.protocol);
    const architecture = req.model ?? src?.model;
    const backend = await initBackend();
    const run = store.createRun({
      kind: req.protocol, name: title, dataset: req.dataset, seed: req.seed, parentRunId: req.runId ?? null, backend: backend.description, codeVersion: codeVersion(),
      status: 'running', startedAt: nowIso(), config: { protocol: req.protocol, tasks: req.tasks, split: split.description, model: req.protocol === 'resnet1d' ? 'resnet1d' : architecture, epochs: req.epochs ?? null },
      ...(req.protocol === 'resnet1d' ? { engine: 'ort' } : {}),
    });
    const t0 = Date.now();
    const stepLine = trainingStepTracker();
    const encoder = withEncoder && src ? await loadEncoder(src.dir) : null;
    try {
      const result = await evaluate({
        encoder,
        config: encoder ? undefined : architecture,
        protocol: req.protocol,
        dataset: ds,
        tasks: req.tasks,
        split,
        seed: req.seed,
        ...(req.epochs ? { epochs: req.epochs } : {}),
        ...(req.warmupEpochs !== undefined ? { warmupEpochs: req.warmupEpochs } : {}),
        ...(req.layerDecay !== undefined ? { layerDecay: req.layerDecay } : {}),
        resamples: 200,
        signal: ctx.signal,
        onProgress: (p) => {
          if (p.step) {
            const s = stepLine(p.step);
            ctx.progress(s.fraction, s.text);
          } else ctx.progress(p.total ? p.done / p.total : null, `${p.phase} ${p.done}/${p.total}`);
        },
      });
      mkdirSync(evaluationsDir(), { recursive: true });
      writeFileSync(join(evaluationsDir(), `${id}.json`), JSON.stringify(evaluationView(id, title, req.runId ?? null, result)));
      // A linear probe is kept in evaluations/<id>/, for `ecgfm clinical export-probe`.
      if (result.probe && encoder && src) {
        const ckpt = findCheckpoint(src.dir, 'best') ?? findCheckpoint(src.dir, 'last') ?? '';
        mkdirSync(join(evaluationsDir(), id), { recursive: true });
        writeProbeFile(join(evaluationsDir(), id), result, ds, { runId: src.runId, runDir: src.dir, checkpoint: ckpt, config: encoder.config }, encoder.config);
      } else if (result.probe && architecture) {
        mkdirSync(join(evaluationsDir(), id), { recursive: true });
        writeProbeFile(join(evaluationsDir(), id), result, ds, null, resolveVitConfig(architecture));
      }
      store.addEvaluations(run.id, evaluationRows(result, req.protocol));
      store.updateRun(run.id, { status: 'succeeded', finishedAt: nowIso(), elapsedMs: Date.now() - t0 });
      return id;
    } catch (err) {
      store.updateRun(run.id, { status: ctx.signal.aborted ? 'cancelled' : 'failed', error: (err as Error).message, finishedAt: nowIso(), elapsedMs: Date.now() - t0 });
      throw err;
    } finally {
      encoder?.dispose();
    }
  },
});
