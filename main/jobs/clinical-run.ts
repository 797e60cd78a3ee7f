/** Cohort run job: a model package over a cohort, streaming and resumable (main/clinical/run.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { clinicalRunRequestSchema } from '../../contract/clinical.js';
import { evaluateCohort } from '../clinical/index.js';
import { CLINICAL_UI_FILE } from './clinical-files.js';
import { defineJobKind } from './kind.js';


export const clinicalRunJob = defineJobKind({
  kind: 'clinical-run',
  payload: z.object({ id: z.string(), modelPath: z.string(), outDir: z.string(), request: clinicalRunRequestSchema }),
  async run(ctx, { id, modelPath, outDir, request: req }) {
    const res = await evaluateCohort({
      modelPath,
      cohort: { kind: req.cohort.kind, path: req.cohort.path, rate: req.cohort.rate, where: req.cohort.where },
      outDir,
      rule: req.rule,
      thresholdsOn: req.thresholdsOn,
      engine: req.engine,
      batchSize: req.batchSize,
      resamples: req.resamples,
      seen: req.seen,
      signal: ctx.signal,
      onProgress: (p) =>
        ctx.progress(p.total ? p.done / p.total : null, `${p.done}/${p.total} records, ${p.failed} unreadable${p.resumed ? `, ${p.resumed} from an earlier run` : ''}, ${p.ecgPerSecond.toFixed(1)} ECG/s`),
    });
    writeFileSync(join(outDir, CLINICAL_UI_FILE), JSON.stringify({ request: req, modelPath, compatibility: res.run.compatibility, complete: res.metrics !== null }, null, 2));
    if (!res.metrics && !ctx.signal.aborted) throw new Error(`the run stopped after ${res.run.scored} records; resume it to finish`);
    return id;
  },
});
