/** Risk decomposition job (the Risk page): one implementation, main/experiments/decomposition.ts. */
import { z } from 'zod';
import { decompositionRequestSchema } from '../../contract/api.js';
import { openDataset } from '../data/registry.js';
import { decompose } from '../experiments/decomposition.js';
import { protocolSplit } from '../experiments/science.js';
import { readRunFolderConfig } from '../training/run-folder.js';
import { checkEncoder, encoderSource } from './encoder-source.js';
import { defineJobKind } from './kind.js';

export const decompositionJob = defineJobKind({
  kind: 'decomposition',
  payload: z.object({ title: z.string(), request: decompositionRequestSchema }),
  async run(ctx, { title, request: req }) {
    const ds = openDataset(req.dataset);
    const split = protocolSplit(ds, { split: req.split, seed: req.seed, tasks: req.tasks });
    const src = encoderSource(ctx.store, req.runId);
    checkEncoder(src, ds.name, split);
    const saved = readRunFolderConfig(src.dir)!;
    const { indices: _i, runId: _r, resume: _s, dataset: _d, ...settings } = saved.input;
    const { run } = await decompose({
      store: ctx.store,
      dataset: ds,
      tasks: req.tasks,
      split,
      seed: req.seed,
      encoderU: { runId: src.runId, dir: src.dir },
      settings,
      runIds: { u: src.runId, withTest: `${src.runId}-with-test-${Math.random().toString(36).slice(2, 6)}` },
      record: { name: title, method: saved.input.method.toUpperCase() },
      probeEpochs: req.probeEpochs,
      supervisedEpochs: req.supervisedEpochs,
      resamples: 50,
      signal: ctx.signal,
      onProgress: (message, fraction) => ctx.progress(fraction, message),
    });
    return run.id;
  },
});
