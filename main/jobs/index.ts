/** Every job kind, defined once; the worker, the CLI and both UI hosts look kinds up here. */
import type { JobKind } from '../../contract/jobs.js';
import { clinicalFinetuneJob } from './clinical-finetune.js';
import { clinicalRunJob } from './clinical-run.js';
import { decompositionJob } from './decompose.js';
import { evaluationJob } from './evaluate.js';
import type { JobKindDef } from './kind.js';
import { onnxExportJob } from './onnx-export.js';
import { pretrainJob } from './pretrain.js';
import { simulationJob } from './simulate.js';
import { studyJob } from './study.js';

export const JOB_KIND_DEFS: Partial<Record<JobKind, JobKindDef<never>>> = Object.fromEntries(
  [pretrainJob, evaluationJob, studyJob, simulationJob, decompositionJob, clinicalFinetuneJob, clinicalRunJob, onnxExportJob].map((k) => [k.kind, k as unknown as JobKindDef<never>]),
);

export function jobKind(kind: string): JobKindDef<unknown> {
  const def = JOB_KIND_DEFS[kind as JobKind];
  if (!def) throw new Error(`No job kind "${kind}" (known: ${Object.keys(JOB_KIND_DEFS).join(', ')}).`);
  return def as unknown as JobKindDef<unknown>;
}
