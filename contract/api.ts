/**
 * The workstation API as data: every method's name, input schema (zod) and output type, and the event union.
 * Both hosts (Electron IPC and the HTTP host) validate with these schemas; the renderer sees `EcgfmApi`.
 * Nothing here imports Node or Electron.
 */
import { z } from 'zod';
import { EXECUTORS, slurmSettingsSchema } from './cluster.js';
import type {
  AnyRunView,
  CompareView,
  DecompositionView,
  EvaluationSummaryView,
  EvaluationView,
  JobStatus,
  JobView,
  SimulationView,
  StudyDetailView,
  StudyPresetView,
  StudySummaryView,
} from './analysis.js';
import { modelShapeProblems, PROTOCOL_NAMES, SHAPE_LIMITS, SSL_METHODS, STUDY_BASELINES, STUDY_SSL_METHODS, DOWNSTREAM_PROTOCOLS, modelShapeSchema } from './vocabulary.js';
import type { ClinicalModelView, ClinicalRecordDetail, ClinicalRecordPage, ClinicalRunSummaryView, ClinicalRunView } from './clinical.js';
import { clinicalSchemas } from './clinical.js';

import { checkWith, type Checked } from './validation.js';

export * from './analysis.js';
export * from './validation.js';
export * from './progress.js';
export * from './vocabulary.js';
export { JOB_KINDS, JOB_KIND_LABELS, JOB_STATUSES, type JobCommand, type JobWorkerEvent } from './jobs.js';
export * from './clinical.js';

export const DATASET_KIND_NAMES = [
  'ptbxl', 'wfdb', 'code15', 'samitrop', 'mimic-iv-ecg', 'synthetic',
  'ecg-files', 'muse', 'hl7-aecg', 'dicom-ecg', 'edf', 'cardiosoft',
] as const;
export type DatasetKindName = (typeof DATASET_KIND_NAMES)[number];

export const LEAD_NAMES = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] as const;

/** The pre-training methods (one list: contract/vocabulary.ts). */
export const PRETRAIN_METHODS = SSL_METHODS;
export type PretrainMethod = (typeof PRETRAIN_METHODS)[number];

export const AUGMENTATIONS = ['shift', 'scale', 'noise', 'wander', 'dropout'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

// ---------------------------------------------------------------------------------------------------------------
// Input schemas

const datasetName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'Dataset names use letters, digits, "-", "_" or "." (at most 64), starting with a letter or digit.');
const runId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'Not a valid run id.');
const empty = z.object({}).strict();

export const pretrainRequestSchema = z
  .object({
    method: z.enum(PRETRAIN_METHODS),
    // Each field's range says what is wrong in its own words; the rules across fields follow in superRefine.
    patch: z.number().int().min(SHAPE_LIMITS.patch.min, `Patch size must be at least ${SHAPE_LIMITS.patch.min} samples.`).max(SHAPE_LIMITS.patch.max, `Patch size cannot exceed ${SHAPE_LIMITS.patch.max} samples (fewer than 2 patches per ECG).`),
    dim: z.number().int().min(SHAPE_LIMITS.dim.min, `Embedding width must be at least ${SHAPE_LIMITS.dim.min}.`).max(SHAPE_LIMITS.dim.max, `Embedding width above ${SHAPE_LIMITS.dim.max} will not fit in memory.`),
    depth: z.number().int().min(SHAPE_LIMITS.depth.min, 'Depth must be at least 1 block.').max(SHAPE_LIMITS.depth.max, `Depth above ${SHAPE_LIMITS.depth.max} blocks is not supported.`),
    heads: z.number().int().min(SHAPE_LIMITS.heads.min).max(SHAPE_LIMITS.heads.max).optional(),
    maskRatio: z.number().gt(0, 'Masking ratio must be above 0.').lt(1, 'Masking ratio must be below 1.'),
    augmentations: z.array(z.enum(AUGMENTATIONS)),
    tau: z.number().gt(0, 'Temperature τ must be positive.').max(10, 'Temperature τ above 10 makes InfoNCE flat.'),
    batchSize: z.number().int().min(2, 'Contrastive learning needs a batch of at least 2.').max(1024),
    lr: z.number().gt(0, 'Learning rate must be positive.').max(1, 'Learning rate above 1 diverges.'),
    weightDecay: z.number().min(0, 'Weight decay cannot be negative.').max(1),
    steps: z.number().int().min(1, 'Run at least 1 step.').max(10_000_000),
    /** One dataset, or several pre-trained on together (each gives the training part of its own split). */
    datasets: z.array(datasetName).min(1, 'Choose at least one dataset to pre-train on.').refine((d) => new Set(d).size === d.length, 'Each dataset can be chosen once.'),
    /** Share of the ECGs drawn from each dataset (a weight for every one, or none: in proportion to their records). */
    sourceWeights: z.record(datasetName, z.number().gt(0, 'A source weight must be above 0.')).optional(),
    /** CL/HL: the fraction of batches that must hold `pairsPerBatch` pairs of ECGs of one patient. */
    patientPairRate: z.number().min(0, 'The patient-pair rate is a fraction from 0 to 1.').max(1, 'The patient-pair rate is a fraction from 0 to 1.').optional(),
    pairsPerBatch: z.number().int().min(1).max(512).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    name: z.string().trim().max(80).optional(),
    /**
     * The evaluation split whose training part pre-training may read (the science rule): `auto` is PTB-XL's
     * strat_fold where the dataset has folds, else the patient split stratified on `tasks`.
     */
    split: z.string().regex(/^(auto|strat_fold|patient(:0?\.\d+)?)$/, 'Split is auto, strat_fold or patient[:0.2].').optional(),
    tasks: z.array(z.string().regex(/^[A-Za-z0-9_]{1,32}$/)).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    // The model-shape rules live in contract/vocabulary.ts; the model applies the same ones.
    for (const p of modelShapeProblems(c)) ctx.addIssue({ code: 'custom', message: p.message, path: [p.field] });
  })
  .refine((c) => c.method === 'gl' || c.augmentations.length > 0, { message: 'Contrastive and hybrid learning need at least one augmentation.', path: ['augmentations'] })
  .refine((c) => !c.sourceWeights || (c.datasets.every((d) => c.sourceWeights![d] !== undefined) && Object.keys(c.sourceWeights).every((d) => c.datasets.includes(d))), {
    message: 'Give a weight for every chosen dataset, and for no other.', path: ['sourceWeights'],
  });
export type PretrainRequest = z.input<typeof pretrainRequestSchema>;


const taskList = z.array(z.string().regex(/^[A-Za-z0-9_]{1,32}$/, 'Task names are label names such as MI or STTC.')).min(1, 'Choose at least one task.');
const splitName = z.string().regex(/^(strat_fold|patient(:0?\.\d+)?)$/, 'Split is strat_fold (PTB-XL folds) or patient[:0.2] (by patient).');
const modelShape = modelShapeSchema;
const seed = z.number().int().min(0).max(2 ** 31 - 1).default(0);

/** An encoder: a pre-training run's weights, or (no runId) a random-init baseline of `model`'s architecture. */
const encoderChoice = {
  runId: runId.optional(),
  model: modelShape.optional(),
};
const needsEncoder = (c: { runId?: string; model?: unknown }) => Boolean(c.runId ?? c.model);
const encoderMessage = { message: 'Choose an encoder run, or the architecture of a random-init baseline.', path: ['runId'] };

export const evaluateRequestSchema = z
  .object({
    ...encoderChoice,
    protocol: z.enum(PROTOCOL_NAMES),
    dataset: datasetName,
    tasks: taskList,
    split: splitName.default('strat_fold'),
    epochs: z.number().int().min(1, 'Train for at least 1 epoch.').max(1000).optional(),
    /** Fine-tuning recipe (defaults: 1 warm-up epoch, then cosine; layer-wise decay 0.75 for a pre-trained ViT). */
    warmupEpochs: z.number().min(0, 'Warm-up cannot be negative.').max(1000).optional(),
    layerDecay: z.number().gt(0, 'Layer decay must be above 0.').max(1, 'Layer decay is at most 1 (1 = off).').optional(),
    seed,
  })
  .strict()
  // The CNN baseline (resnet1d) has its own architecture and needs neither.
  .refine((c) => c.protocol === 'resnet1d' || needsEncoder(c), encoderMessage)
  .refine((c) => c.runId !== undefined || c.protocol !== 'linear' && c.protocol !== 'finetune' || c.model !== undefined, encoderMessage);
export type EvaluateRequest = z.input<typeof evaluateRequestSchema>;

export const studyRequestSchema = z
  .object({
    name: z.string().regex(/^[\w.-]{1,64}$/, 'Study names use letters, digits, ".", "_" or "-".'),
    dataset: datasetName,
    tasks: taskList,
    methods: z.array(z.enum(STUDY_SSL_METHODS)).min(1, 'Choose at least one SSL method.'),
    patches: z.array(z.number().int().min(SHAPE_LIMITS.patch.min).max(SHAPE_LIMITS.patch.max)).min(1, 'Choose at least one patch size.'),
    depths: z.array(z.number().int().min(SHAPE_LIMITS.depth.min).max(SHAPE_LIMITS.depth.max)).min(1, 'Choose at least one depth.'),
    dims: z.array(z.number().int().min(SHAPE_LIMITS.dim.min).max(SHAPE_LIMITS.dim.max)).min(1, 'Choose at least one width.'),
    protocols: z.array(z.enum(DOWNSTREAM_PROTOCOLS)).min(1, 'Choose at least one downstream protocol.'),
    baselines: z.array(z.enum(STUDY_BASELINES)).default([]),
    seed,
    split: splitName.default('strat_fold'),
    steps: z.number().int().min(1, 'Pre-train for at least 1 step.').max(10_000_000),
    batchSize: z.number().int().min(2).max(1024),
    probeEpochs: z.number().int().min(1).max(1000),
    finetuneEpochs: z.number().int().min(1).max(1000),
    /**
     * Datasets the cells pre-train on together (the paper's Table 1 pools sources); absent: `dataset` alone. The
     * downstream protocols stay on `dataset`.
     */
    pretrainDatasets: z.array(datasetName).min(1).max(16).optional(),
    /** Share of each of `pretrainDatasets` in the pre-training batches (one for every one, or none: proportional). */
    sourceWeights: z.record(datasetName, z.number().gt(0, 'A source weight must be above 0.')).optional(),
    executor: z.enum(EXECUTORS).optional(),
    slurm: slurmSettingsSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.pretrainDatasets && new Set(c.pretrainDatasets).size !== c.pretrainDatasets.length) ctx.addIssue({ code: 'custom', message: 'Name each pre-training dataset once.', path: ['pretrainDatasets'] });
    const pool = c.pretrainDatasets ?? [];
    if (c.sourceWeights && !(pool.every((d) => c.sourceWeights![d] !== undefined) && Object.keys(c.sourceWeights).every((d) => pool.includes(d)))) {
      ctx.addIssue({ code: 'custom', message: 'Give a weight for every pre-training dataset, and for no other.', path: ['sourceWeights'] });
    }
    // Every cell of the grid must be a valid model: the same shape rules as a single pre-training.
    const seen = new Set<string>();
    const add = (message: string, field: string) => {
      if (!seen.has(message)) ctx.addIssue({ code: 'custom', message, path: [field] });
      seen.add(message);
    };
    for (const patch of c.patches)
      for (const depth of c.depths)
        for (const dim of c.dims)
          for (const p of modelShapeProblems({ patch, depth, dim })) add(p.field === 'patch' ? p.message : `D${dim}: ${p.message}`, p.field === 'heads' ? 'dims' : `${p.field}s`);
  });
export type StudyRequest = z.input<typeof studyRequestSchema>;

export const simulationRequestSchema = z
  .object({
    ...encoderChoice,
    kind: z.enum(['data-usage', 'case-ratio']),
    protocol: z.enum(PROTOCOL_NAMES).default('linear'),
    /** Percent: data usage 10/25/50/100, case ratio 1/2/5. */
    percents: z.array(z.number().gt(0).max(100)).min(1, 'Choose at least one percentage.'),
    repeats: z.number().int().min(1, 'Repeat at least once.').max(20),
    dataset: datasetName,
    tasks: taskList,
    split: splitName.default('strat_fold'),
    epochs: z.number().int().min(1).max(1000).optional(),
    label: z.string().trim().max(40).optional(),
    seed,
  })
  .strict()
  .refine(needsEncoder, encoderMessage);
export type SimulationRequest = z.input<typeof simulationRequestSchema>;

export const decompositionRequestSchema = z
  .object({
    runId,
    dataset: datasetName,
    tasks: taskList,
    split: splitName.default('strat_fold'),
    probeEpochs: z.number().int().min(1).max(1000).optional(),
    supervisedEpochs: z.number().int().min(1).max(1000).optional(),
    seed,
  })
  .strict();
export type DecompositionRequest = z.input<typeof decompositionRequestSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Output shapes

export interface AppInfo {
  version: string;
  host: 'electron' | 'http';
  workspace: string;
  /** The host can open native file dialogs (Electron); in a browser the user types a path on the server. */
  canPickPaths: boolean;
  /** Which main/ capabilities this build has; missing ones are explained in the UI. */
  capabilities: { datasets: boolean; rawSignals: boolean; pretraining: boolean };
}

/** The compute backend training runs use on this host, and its GPU (null off the GPU backends). */
export interface ComputeInfo {
  /** Backend name: tfjs-node-gpu, webgpu, tfjs-node, wasm or cpu. */
  name: string;
  /** The one-line description runs record. */
  description: string;
  /** The GPU adapter in one line (webgpu), or null. */
  gpu: string | null;
}

/** `ecgfm doctor`, read back from its worker: every backend and ONNX Runtime provider, and what to do about each. */
export const doctorReportSchema = z.object({
  checks: z.array(
    z.object({
      name: z.string(),
      status: z.enum(['works', 'software', 'unavailable']),
      summary: z.string(),
      facts: z.array(z.string()),
      advice: z.array(z.string()),
    }),
  ),
  selected: z.string(),
});
export type DoctorReportView = z.infer<typeof doctorReportSchema>;

export interface DetectedDataset {
  path: string;
  kind: DatasetKindName | null;
  /** Why this kind, in words; or what is missing when nothing matched. */
  evidence: string;
  /** Sampling rates the source offers (PTB-XL: 100 and 500). */
  rates: number[];
  suggestedName: string;
  /** Records found, when cheap to count. */
  records: number | null;
}

export interface ImportError {
  ref: string;
  file: string;
  problem: string;
}

export interface ImportReportView {
  dataset: string;
  kind: DatasetKindName;
  imported: number;
  skipped: number;
  failed: number;
  patients: number;
  prevalence: Record<string, number>;
  errors: ImportError[];
  seconds: number;
}

export interface DatasetSummaryView {
  name: string;
  kind: string;
  count: number;
  patients: number;
  /** Share of records with each label, 0–1. */
  prevalence: Record<string, number>;
  createdAt: string | null;
  path: string;
  /** False while an import runs or after one stopped; importing it again resumes. */
  complete: boolean;
  /** Records the source listed, when known. */
  expected: number | null;
  /** "complete" or "incomplete (N of M)". */
  state: string;
  /** Records carrying each quality flag (clipped, constant, flat_lead, nan, cropped, padded, …). */
  quality: Record<string, number>;
  /** The folders it was imported from (a second one joins only by an explicit append), with their records. */
  sources?: { path: string; records: number; complete: boolean }[];
}

export interface RecordRow {
  index: number;
  id: string;
  /** The record as its source names it: the file name without extension (PTB-XL `00008_lr`), else the id. */
  name: string;
  patientId: string;
  labels: string[];
  fields: Record<string, string | number | null>;
  flags: string[];
}

export interface RecordPage {
  total: number;
  offset: number;
  rows: RecordRow[];
}

export interface EcgSignal {
  dataset: string;
  index: number;
  id: string;
  view: 'standardised' | 'raw';
  leads: string[];
  fs: number;
  /** Millivolts, one array per lead. */
  data: number[][];
  /** Why the view differs from the one asked for, or other caveats. */
  note: string | null;
}

export type RunStatus = 'queued' | 'running' | 'paused' | 'cancelling' | 'cancelled' | 'completed' | 'failed' | 'interrupted';

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  method: string;
  model: string;
  datasets: string[];
  steps: number;
  lastStep: number;
  lastLoss: number | null;
  backend: string | null;
  createdAt: string | null;
  message: string | null;
}

export interface MetricPoint {
  step: number;
  epoch: number;
  losses: Record<string, number>;
}

export interface PretrainPresets {
  defaults: z.output<typeof pretrainRequestSchema>;
  /** The paper's grid: P ∈ {60,125,250}, L ∈ {2,4,8}, D ∈ {256,512,1024}. */
  grid: { patch: number[]; depth: number[]; dim: number[]; maskRatio: number[]; tau: number[]; batchSize: number[] };
  presets: { label: string; description: string; values: Partial<z.output<typeof pretrainRequestSchema>> }[];
}

// ---------------------------------------------------------------------------------------------------------------
// Methods

interface MethodDef<I extends z.ZodType, O> {
  input: I;
  /** Phantom: carries the output type only. */
  output?: O;
  summary: string;
}
const method =
  <O>() =>
  <I extends z.ZodType>(input: I, summary: string): MethodDef<I, O> => ({ input, summary });

export const api = {
  appInfo: method<AppInfo>()(empty, 'What this host offers.'),
  computeInfo: method<ComputeInfo>()(empty, 'The compute backend and GPU runs use on this host (`ecgfm doctor` says why).'),
  computeDoctor: method<DoctorReportView>()(empty, '`ecgfm doctor` in a worker: whether each backend and provider works here, why not, and what to install.'),
  createDemoDataset: method<{ name: string; count: number; patients: number }>()(
    z.object({ patients: z.number().int().min(20, 'The demo cohort needs at least 20 patients.').max(5000).optional() }).strict(),
    "Generate the demo's synthetic 12-lead cohort in the workspace (the first-run path).",
  ),
  pickPath: method<{ path: string | null }>()(z.object({ mode: z.enum(['folder', 'file']), title: z.string().max(200).optional() }).strict(), 'Native file dialog (Electron only).'),
  detectDataset: method<DetectedDataset>()(z.object({ path: z.string().trim().min(1, 'Enter the path of a dataset folder or file.') }).strict(), 'Guess the kind of a dataset folder.'),
  importDataset: method<{ jobId: string }>()(
    z
      .object({
        path: z.string().trim().min(1, 'Enter the path of a dataset folder or file.'),
        kind: z.enum(DATASET_KIND_NAMES),
        name: datasetName,
        rate: z.union([z.literal(100), z.literal(500)]).optional(),
        /** Extend the existing dataset `name` with this folder's records (the manifest lists both folders). */
        append: z.boolean().optional(),
      })
      .strict(),
    'Start importing; progress and the report arrive as events.',
  ),
  cancelImport: method<{ cancelled: boolean }>()(z.object({ jobId: z.string().min(1) }).strict(), 'Stop an import.'),
  deleteDataset: method<{ deleted: string }>()(z.object({ dataset: datasetName }).strict(), 'Remove a dataset and its cache from the workspace.'),
  listDatasets: method<DatasetSummaryView[]>()(empty, 'Datasets in the workspace.'),
  listRecords: method<RecordPage>()(
    z
      .object({
        dataset: datasetName,
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(500).default(50),
        search: z.string().max(100).optional(),
      })
      .strict(),
    'A page of records with labels.',
  ),
  readRecord: method<EcgSignal>()(
    z.object({ dataset: datasetName, index: z.number().int().min(0), view: z.enum(['standardised', 'raw']).default('standardised') }).strict(),
    'One ECG, all 12 leads, in mV.',
  ),
  pretrainPresets: method<PretrainPresets>()(empty, 'Defaults and the paper grid.'),
  startPretrain: method<{ runId: string }>()(pretrainRequestSchema, 'Launch a pre-training run in a worker.'),
  controlRun: method<{ runId: string; status: RunStatus }>()(
    z.object({ runId, action: z.enum(['pause', 'resume', 'cancel']) }).strict(),
    'Pause, resume or cancel a live run.',
  ),
  listRuns: method<RunSummary[]>()(empty, 'Pre-training runs, newest first.'),
  runMetrics: method<MetricPoint[]>()(z.object({ runId, sinceStep: z.number().int().min(0).optional() }).strict(), 'Loss series of a run.'),

  listJobs: method<JobView[]>()(empty, 'Background analysis jobs (studies, evaluations, simulations, decompositions), newest first.'),
  cancelJob: method<{ cancelled: boolean }>()(z.object({ jobId: z.string().min(1) }).strict(), 'Stop a queued or running analysis job.'),
  startEvaluation: method<{ jobId: string }>()(evaluateRequestSchema, 'Evaluate an encoder run or a baseline with a downstream protocol.'),
  listEvaluations: method<EvaluationSummaryView[]>()(empty, 'Evaluations made on the Evaluate page, newest first.'),
  getEvaluation: method<EvaluationView>()(z.object({ id: runId }).strict(), 'One evaluation with CIs, curves and the operating point.'),
  studyPresets: method<StudyPresetView[]>()(empty, "Study grids: the paper's 81 cells and a smoke-scale grid."),
  startStudy: method<{ studyId: string; jobId: string }>()(studyRequestSchema, 'Create a study and queue its cells.'),
  listStudies: method<StudySummaryView[]>()(empty, 'Studies in the store.'),
  studyDetail: method<StudyDetailView>()(z.object({ study: z.string().min(1) }).strict(), "A study's cells, scores and tables."),
  startSimulation: method<{ jobId: string }>()(simulationRequestSchema, 'Run a data-usage or case-ratio simulation.'),
  listSimulations: method<SimulationView[]>()(empty, 'Simulation results (page-launched and from studies).'),
  startDecomposition: method<{ jobId: string }>()(decompositionRequestSchema, 'Risk decomposition of an encoder run.'),
  listDecompositions: method<DecompositionView[]>()(empty, 'Risk decompositions (page-launched and from studies).'),
  listAllRuns: method<AnyRunView[]>()(empty, 'Every run the workstation knows: store runs and run folders.'),
  compareRuns: method<CompareView>()(z.object({ runIds: z.array(runId).min(2, 'Pick at least two runs to compare.').max(8, 'Compare at most 8 runs.') }).strict(), 'Configs, metrics and loss curves side by side.'),

  listClinicalModels: method<ClinicalModelView[]>()(clinicalSchemas.listClinicalModels, 'Model packages (.ecgfm) in <workspace>/models.'),
  inspectClinicalModel: method<ClinicalModelView>()(clinicalSchemas.inspectClinicalModel, "A package's provenance, tasks, thresholds and preprocessing."),
  importClinicalModel: method<ClinicalModelView>()(clinicalSchemas.importClinicalModel, 'Check a package and copy it into <workspace>/models.'),
  startClinicalFinetune: method<{ jobId: string }>()(clinicalSchemas.startClinicalFinetune, 'Fine-tune encoder + head on a dataset and export it as a package (a job).'),
  startClinicalRun: method<{ jobId: string; runId: string }>()(clinicalSchemas.startClinicalRun, 'Run a package over a cohort (a resumable job): predictions, metrics, report.'),
  listClinicalRuns: method<ClinicalRunSummaryView[]>()(clinicalSchemas.listClinicalRuns, 'Clinical cohort runs, newest first.'),
  getClinicalRun: method<ClinicalRunView>()(clinicalSchemas.getClinicalRun, 'One cohort run: metrics with CIs, operating points, calibration, subgroups, unreadable records.'),
  clinicalRecords: method<ClinicalRecordPage>()(clinicalSchemas.clinicalRecords, 'A page of per-record predictions of a cohort run.'),
  clinicalRecord: method<ClinicalRecordDetail>()(clinicalSchemas.clinicalRecord, 'One record of a cohort run with its integrated-gradients saliency for a task.'),
  clinicalReport: method<{ path: string; html: string }>()(clinicalSchemas.clinicalReport, 'The self-contained offline HTML report of a cohort run.'),
  saveClinicalPdf: method<{ path: string | null }>()(clinicalSchemas.saveClinicalPdf, 'Print the report to PDF (Electron only, via printToPDF).'),
  exportClinicalOnnx: method<{ path: string; bytes: number; opset: number; maxAbsDiff: number | null }>()(clinicalSchemas.exportClinicalOnnx, 'Export encoder + head to ONNX (opset 17), checked against tfjs.'),
} as const;

export type Api = typeof api;
export type MethodName = keyof Api;
export const METHOD_NAMES = Object.keys(api) as MethodName[];
export type MethodInput<M extends MethodName> = z.input<Api[M]['input']>;
export type MethodParsed<M extends MethodName> = z.output<Api[M]['input']>;
export type MethodOutput<M extends MethodName> = NonNullable<Api[M]['output']>;

// ---------------------------------------------------------------------------------------------------------------
// Events (one stream: IPC channel `ecgfm:event` or SSE /api/events)

/** Where a pre-training run stands, as its worker reports it. */
export interface RunProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  losses: Record<string, number>;
  samplesPerSec: number | null;
  etaSeconds: number | null;
  memoryMB: number | null;
  backend: string | null;
}

export type ApiEvent =
  | { type: 'import.progress'; jobId: string; dataset: string; done: number; total: number }
  | { type: 'import.finished'; jobId: string; dataset: string; report: ImportReportView }
  | { type: 'import.failed'; jobId: string; dataset: string; message: string }
  | ({ type: 'run.progress'; runId: string } & RunProgress)
  /** The loss terms on the run's validation batches at `step`: `val_<term>` and `ln_batch` (InfoNCE's chance level). */
  | { type: 'run.validation'; runId: string; step: number; losses: Record<string, number> }
  | { type: 'run.state'; runId: string; status: RunStatus; message: string | null }
  | { type: 'job.state'; job: JobView }
  | { type: 'job.progress'; jobId: string; fraction: number | null; message: string | null; status: JobStatus }
  /** Native menu commands (Electron only). */
  | { type: 'app.menu'; action: 'import-dataset' };

export type EventListener = (event: ApiEvent) => void;

/** What the renderer sees as `window.ecgfm`. */
export type EcgfmApi = { [M in MethodName]: (input: MethodInput<M>) => Promise<MethodOutput<M>> } & {
  /** Subscribe to the event stream; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
};

/** What a host implements: parsed inputs in, outputs out. */
export type ApiHandlers = { [M in MethodName]: (input: MethodParsed<M>) => Promise<MethodOutput<M>> };

/** The IPC channels the Electron preload uses. */
export const IPC_INVOKE_PREFIX = 'ecgfm:';
export const IPC_EVENT_CHANNEL = 'ecgfm:event';

/** An error whose message is meant for the researcher (bad input, missing dataset…), with a status for HTTP. */
export interface ApiErrorBody {
  error: string;
  code: 'invalid-input' | 'not-found' | 'unavailable' | 'failed' | 'unauthorized' | 'forbidden';
  issues?: { path: string; message: string }[];
}

/** Validate a method's input; throws ApiInputError with readable issues. */
export function parseInput<M extends MethodName>(name: M, input: unknown): MethodParsed<M> {
  const result = checkInput(name, input);
  if (!result.ok) throw new ApiInputError(name, result.issues);
  return result.data;
}

/** The same check the hosts run, for forms to run before sending: readable issues that name their field. */
export function checkInput<M extends MethodName>(name: M, input: unknown): Checked<MethodParsed<M>> {
  return checkWith(api[name].input as z.ZodType, input) as Checked<MethodParsed<M>>;
}

export class ApiInputError extends Error {
  constructor(
    readonly method: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`Invalid input for ${method}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
  }
}

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(api, name);
}
