/**
 * Every job kind, defined once; the worker, the CLI and both UI hosts look kinds up here. Each kind's module is
 * loaded only by the process that runs it (a worker starts fast and never loads what its job does not need).
 */
import type { JobKind } from '../../contract/jobs.js';
import type { JobKindDef } from './kind.js';

type Loader = () => Promise<JobKindDef<never>>;
const as = <T>(p: Promise<T>) => p as unknown as Promise<JobKindDef<never>>;

export const JOB_KIND_LOADERS: Partial<Record<JobKind, Loader>> = {
  pretrain: () => as(import('./pretrain.js').then((m) => m.pretrainJob)),
  evaluation: () => as(import('./evaluate.js').then((m) => m.evaluationJob)),
  study: () => as(import('./study.js').then((m) => m.studyJob)),
  simulation: () => as(import('./simulate.js').then((m) => m.simulationJob)),
  decomposition: () => as(import('./decompose.js').then((m) => m.decompositionJob)),
  'clinical-finetune': () => as(import('./clinical-finetune.js').then((m) => m.clinicalFinetuneJob)),
  'clinical-run': () => as(import('./clinical-run.js').then((m) => m.clinicalRunJob)),
  'onnx-export': () => as(import('./onnx-export.js').then((m) => m.onnxExportJob)),
  doctor: () => as(import('./doctor.js').then((m) => m.doctorJob)),
};

export async function jobKind(kind: string): Promise<JobKindDef<unknown>> {
  const load = JOB_KIND_LOADERS[kind as JobKind];
  if (!load) throw new Error(`No job kind "${kind}" (known: ${Object.keys(JOB_KIND_LOADERS).join(', ')}).`);
  return (await load()) as unknown as JobKindDef<unknown>;
}
