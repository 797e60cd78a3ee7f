/**
 * Clinical fine-tune job: encoder + head fine-tuned on folds 1–8 (fold 9 calibrates), exported as an .ecgfm
 * package. Cancellable at the next batch from the UI (cancelJob) or the CLI (`ecgfm jobs cancel`, Ctrl-C).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { clinicalFinetuneRequestSchema } from '../../contract/clinical.js';
import { estimate, rateText, trainingStepTracker } from '../../contract/progress.js';
import { exportClinicalModel, fineTuneClinical } from '../clinical/index.js';
import { openDataset } from '../data/registry.js';
import { loadEncoder } from '../models/encoder.js';
import { workspaceDir } from '../workspace.js';
import { encoderSource } from './encoder-source.js';
import { defineJobKind } from './kind.js';

export const clinicalFinetuneJob = defineJobKind({
  kind: 'clinical-finetune',
  payload: z.object({ name: z.string(), dest: z.string(), request: clinicalFinetuneRequestSchema }),
  async run(ctx, { name, dest, request: req }) {
    let dataset;
    try {
      dataset = openDataset(req.dataset);
    } catch (err) {
      throw new Error(`Dataset "${req.dataset}" is not in the workspace (${(err as Error).message}). Import it on the Datasets page.`);
    }
    const encoderDir = req.runId ? encoderSource(ctx.store, req.runId).dir : undefined;
    const encoder = encoderDir ? await loadEncoder(encoderDir) : null;
    const outDir = join(workspaceDir(), 'clinical', 'finetune', name);
    try {
      ctx.progress(0, 'fine-tuning…');
      const started = Date.now();
      const stepLine = trainingStepTracker();
      await fineTuneClinical({
        encoder,
        encoderRun: req.runId ?? null,
        ...(encoderDir ? { encoderRunDir: encoderDir } : {}),
        config: req.model,
        dataset,
        tasks: req.tasks,
        epochs: req.epochs,
        batchSize: req.batchSize,
        seed: req.seed,
        outDir,
        signal: ctx.signal,
        // Between epoch lines the page shows the step, samples/s and the time left.
        onStep: (st) => {
          const p = stepLine(st);
          ctx.progress(p.fraction, p.text);
        },
        onEpoch: (e) => {
          const rate = rateText(estimate(e.epoch * e.samples, e.epochs * e.samples, (Date.now() - started) / 1000));
          ctx.progress(e.epoch / e.epochs, `epoch ${e.epoch}/${e.epochs}: loss ${e.trainLoss.toFixed(4)}, validation AUROC ${e.valMeanAuroc.toFixed(3)} · ${rate}`, true);
        },
      });
    } finally {
      encoder?.dispose();
    }
    mkdirSync(join(dest, '..'), { recursive: true });
    exportClinicalModel(outDir, dest, { rule: req.rule });
    return `${name}.ecgfm`;
  },
});
