/**
 * The Clinical evaluation page's part of the contract: `.ecgfm` model packages, cohort runs with an operating rule,
 * their metrics, calibration, subgroups and per-record saliency, the offline report and ONNX export.
 * Plain data and zod schemas; nothing here imports Node or Electron.
 */
import { z } from 'zod';
import { modelShapeSchema } from './vocabulary.js';

export const COHORT_KIND_NAMES = [
  'ptbxl', 'wfdb', 'code15', 'samitrop', 'mimic-iv-ecg', 'ecg-files', 'muse', 'hl7-aecg', 'dicom-ecg', 'edf', 'cardiosoft',
] as const;
export type CohortKindName = (typeof COHORT_KIND_NAMES)[number];
export const CLINICAL_ENGINES = ['auto', 'tfjs', 'onnx'] as const;

const path = z.string().trim().min(1, 'Enter a path on the machine running the host.');
const clinicalRunId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'Not a valid clinical run id.');
const modelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/, 'Model names use letters, digits, ".", "_" or "-".');

/** The clinical goal that picks each task's threshold. */
export const operatingRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sensitivity'), target: z.number().gt(0, 'Target sensitivity must be above 0.').max(1, 'Target sensitivity cannot exceed 1.') }).strict(),
  z.object({ kind: z.literal('specificity'), target: z.number().gt(0, 'Target specificity must be above 0.').max(1, 'Target specificity cannot exceed 1.') }).strict(),
  z.object({ kind: z.literal('youden') }).strict(),
  z.object({ kind: z.literal('fixed'), threshold: z.number().min(0, 'A threshold on the score lies in [0, 1].').max(1, 'A threshold on the score lies in [0, 1].') }).strict(),
]);
export type OperatingRuleInput = z.input<typeof operatingRuleSchema>;

export const cohortSchema = z
  .object({
    kind: z.enum(COHORT_KIND_NAMES),
    path,
    rate: z.union([z.literal(100), z.literal(500)]).optional(),
    /** Keep records whose field equals one of the values, e.g. { strat_fold: ['10'] }. */
    where: z
      .record(z.string(), z.array(z.string().min(1)).min(1, 'A filter needs at least one value.'))
      .refine((w) => Object.keys(w).every((k) => /^[A-Za-z0-9_.-]+$/.test(k)), 'Filter fields are column names such as strat_fold.')
      .optional(),
  })
  .strict();
export type CohortInput = z.input<typeof cohortSchema>;

export const clinicalRunRequestSchema = z
  .object({
    /** A model package: a path, or a name in <workspace>/models. */
    model: z.string().trim().min(1, 'Choose a model package.'),
    cohort: cohortSchema,
    /** Absent: the package's stored thresholds. */
    rule: operatingRuleSchema.optional(),
    thresholdsOn: z.enum(['calibration', 'cohort']).default('calibration'),
    engine: z.enum(CLINICAL_ENGINES).default('auto'),
    batchSize: z.number().int().min(1).max(512).optional(),
    resamples: z.number().int().min(50, 'Use at least 50 bootstrap resamples.').max(10_000).default(500),
    /** Cohort records the package saw in training or calibration (record or patient id): left out by default. */
    seen: z.enum(['exclude', 'include']).default('exclude'),
    /** Resume (or re-score) this earlier run folder instead of starting a new one. */
    resume: clinicalRunId.optional(),
  })
  .strict();
export type ClinicalRunRequest = z.input<typeof clinicalRunRequestSchema>;

export const clinicalFinetuneRequestSchema = z
  .object({
    dataset: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'Not a dataset name.'),
    tasks: z.array(z.string().regex(/^[A-Za-z0-9_]{1,32}$/)).min(1, 'Choose at least one task.'),
    /** Pre-training run to fine-tune; absent = random init of `model`. */
    runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/).optional(),
    model: modelShapeSchema.optional(),
    epochs: z.number().int().min(1).max(1000).default(5),
    batchSize: z.number().int().min(2).max(512).default(16),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    /** Package file name in <workspace>/models (".ecgfm" added). */
    name: modelName,
    rule: operatingRuleSchema.optional(),
  })
  .strict()
  .refine((c) => Boolean(c.runId ?? c.model), { message: 'Choose an encoder run, or the architecture of a random-init model.', path: ['runId'] });
export type ClinicalFinetuneRequest = z.input<typeof clinicalFinetuneRequestSchema>;

export const clinicalSchemas = {
  listClinicalModels: z.object({}).strict(),
  inspectClinicalModel: z.object({ model: z.string().trim().min(1, 'Choose a model package.') }).strict(),
  importClinicalModel: z.object({ path, name: modelName.optional() }).strict(),
  startClinicalFinetune: clinicalFinetuneRequestSchema,
  startClinicalRun: clinicalRunRequestSchema,
  listClinicalRuns: z.object({}).strict(),
  getClinicalRun: z.object({ id: clinicalRunId }).strict(),
  clinicalRecords: z
    .object({ id: clinicalRunId, offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(50), task: z.string().optional(), search: z.string().max(100).optional() })
    .strict(),
  clinicalRecord: z.object({ id: clinicalRunId, recordId: z.string().min(1).max(200), task: z.string().min(1), steps: z.number().int().min(4).max(256).default(24) }).strict(),
  clinicalReport: z.object({ id: clinicalRunId, rewrite: z.boolean().default(false) }).strict(),
  saveClinicalPdf: z.object({ id: clinicalRunId }).strict(),
  exportClinicalOnnx: z.object({ model: z.string().trim().min(1, 'Choose a model package.'), verify: z.boolean().default(true) }).strict(),
};

// ---------------------------------------------------------------------------------------------------------------
// Output shapes

export interface ClinicalModelView {
  /** Absolute path of the package file. */
  path: string;
  name: string;
  bytes: number;
  architecture: { patch: number; depth: number; dim: number; heads: number };
  preprocessing: { leads: string[]; sampleRate: number; seconds: number; minSourceRate: number; requiredLeads: string[]; description: string };
  tasks: { name: string; threshold: number; thresholdRule: string }[];
  calibration: { description: string; records: number };
  provenance: { datasets: string[]; split: string; encoderRun: string | null; backend: string; seed: number; createdAt: string; software: string; config: Record<string, string | number | boolean | null> };
  /** Metrics at export (validation per task). */
  exportMetrics: { task: string; n: number; positives: number; auroc: number | null; auprc: number | null }[];
  weightsSha256: string;
}

export interface Interval2 {
  low: number | null;
  high: number | null;
}

export interface ClinicalOperatingView {
  threshold: number;
  rule: string;
  chosenOn: string;
  confusion: { tp: number; fp: number; tn: number; fn: number };
  sensitivity: number | null;
  specificity: number | null;
  ppv: number | null;
  npv: number | null;
  sensitivityCi: Interval2;
  specificityCi: Interval2;
  ppvCi: Interval2;
  npvCi: Interval2;
  /** Where the point sits on the curves. */
  fpr: number | null;
  precision: number | null;
}

export interface ClinicalTaskView {
  task: string;
  n: number;
  positives: number | null;
  predictedPositive: number;
  threshold: number;
  thresholdNote: string;
  auroc: number | null;
  auprc: number | null;
  aurocCi: Interval2;
  auprcCi: Interval2;
  /** Thinned curves for drawing. */
  roc: { fpr: number[]; tpr: number[] } | null;
  pr: { recall: number[]; precision: number[] } | null;
  operating: ClinicalOperatingView | null;
  calibration: { brier: number | null; ece: number | null; bins: { lower: number; upper: number; count: number; meanScore: number | null; fractionPositive: number | null }[] } | null;
  subgroups: { by: 'age' | 'sex'; group: string; n: number; positives: number; auroc: number | null; auprc: number | null; sensitivity: number | null; specificity: number | null }[];
}

export interface ClinicalRunSummaryView {
  id: string;
  model: string;
  cohort: string;
  status: 'complete' | 'incomplete';
  scored: number;
  unreadable: number;
  createdAt: string;
}

export interface ClinicalRunView extends ClinicalRunSummaryView {
  outDir: string;
  modelPath: string;
  engine: string;
  compatibility: string | null;
  request: z.output<typeof clinicalRunRequestSchema> | null;
  thresholdsChosenOn: string | null;
  summary: { ageBands: Record<string, number>; sex: Record<string, number>; labelled: boolean } | null;
  /** Cohort records sharing a record id or patient with the package's training/calibration parts; null: not checked. */
  overlap: { records: number; patients: number; excluded: boolean; known: boolean; examples: string[] } | null;
  /** Every record that failed to read, with the reason (never dropped silently). */
  unreadableRecords: { id: string; file: string; problem: string }[];
  tasks: ClinicalTaskView[];
  /** Macro AUROC, macro AUPRC and the criteria (Σ AUROC + Σ AUPRC) over the labelled tasks, with 95% CIs. */
  macro?: { tasks: string[]; macroAuroc: number | null; macroAuprc: number | null; criteria: number | null; macroAurocCi: Interval2; macroAuprcCi: Interval2; criteriaCi: Interval2 } | null;
  /** How the cohort was read that the user must know (a kind that disagrees with the folder). */
  warnings?: string[];
  hasReport: boolean;
}

/** The cohort's overlap with what the package learned from: a warning when seen records were scored. */
export function overlapText(o: ClinicalRunView['overlap'] | undefined): string {
  if (!o) return 'Overlap with the package\'s training and calibration records was not checked for this run.';
  if (!o.known) return 'The package does not record which records it was trained and calibrated on, so overlap with this cohort could not be checked.';
  if (o.records === 0) return 'No cohort record shares a record id or a patient with the package\'s training and calibration records.';
  const what = `${o.records} cohort record${o.records === 1 ? '' : 's'}${o.patients ? ` (${o.patients} patient${o.patients === 1 ? '' : 's'})` : ''} share a record id or a patient with the package's training and calibration records`;
  return o.excluded ? `${what}; they were left out of this run.` : `${what} and WERE SCORED: the metrics below are optimistic.`;
}

export interface ClinicalRecordRow {
  id: string;
  patientId: string;
  age: string;
  sex: string;
  labels: (number | null)[];
  scores: number[];
}

export interface ClinicalRecordPage {
  tasks: string[];
  total: number;
  offset: number;
  rows: ClinicalRecordRow[];
}

export interface ClinicalSaliencyView {
  task: string;
  leads: string[];
  segmentSeconds: number;
  /** [lead][segment] summed integrated-gradients attribution (logit units). */
  segments: number[][];
  logit: number;
  baselineLogit: number;
  total: number;
  steps: number;
}

export interface ClinicalRecordDetail {
  id: string;
  task: string;
  score: number | null;
  label: number | null;
  threshold: number | null;
  /** The standardised ECG the model saw (250 Hz, 10 s, mV). */
  signal: { dataset: string; index: number; id: string; view: 'standardised'; leads: string[]; fs: number; data: number[][]; note: string | null };
  saliency: ClinicalSaliencyView;
}
