/**
 * Output shapes of the analysis pages (evaluate, studies, simulations, risk decomposition, compare) and the
 * background jobs that produce them. Plain data; nothing here imports Node or Electron.
 */
import type { ClusterCellView } from './cluster.js';

export { PROTOCOL_LABELS, PROTOCOL_NAMES, RISK_COMPONENT_LABELS, RISK_COMPONENT_NAMES, STUDY_BASELINES, STUDY_SSL_METHODS } from './vocabulary.js';
export type { ProtocolName, RiskComponentName } from './vocabulary.js';
import type { ProtocolName, RiskComponentName } from './vocabulary.js';

import type { JobKind, JobStatus } from './jobs.js';
export type { JobKind, JobStatus } from './jobs.js';

export interface JobView {
  id: string;
  kind: JobKind;
  title: string;
  status: JobStatus;
  /** 0–1 when known. */
  fraction: number | null;
  message: string | null;
  /** What the job produced: an evaluation, simulation or decomposition id, or a study id. */
  resultId: string | null;
  createdAt: string;
}

export interface Ci {
  low: number | null;
  high: number | null;
}

export interface TaskResultView {
  task: string;
  n: number;
  positives: number;
  auroc: number;
  aurocCi: Ci;
  auprc: number;
  auprcCi: Ci;
  f1: number;
  threshold: number;
  roc: { fpr: number[]; tpr: number[] };
  pr: { recall: number[]; precision: number[] };
  /** The operating point at `threshold` on the test records. */
  operating: { fpr: number; tpr: number; precision: number; recall: number };
}

export interface EvaluationView {
  id: string;
  title: string;
  protocol: ProtocolName;
  /** The encoder run, or null for a baseline (random init). */
  sourceRunId: string | null;
  model: string;
  dataset: string;
  split: string;
  tasks: TaskResultView[];
  criteria: number;
  meanAuroc: number;
  backend: string;
  seconds: number;
  createdAt: string;
}

export interface EvaluationSummaryView {
  id: string;
  title: string;
  protocol: ProtocolName;
  dataset: string;
  criteria: number;
  createdAt: string;
}

/** A table as the pages show and export it. */
export interface TableView {
  id: string;
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface StudyConfigView {
  name: string;
  dataset: string;
  tasks: string[];
  methods: string[];
  patches: number[];
  depths: number[];
  dims: number[];
  protocols: ('linear' | 'finetune')[];
  baselines: string[];
  seed: number;
  split: string;
  steps: number;
  batchSize: number;
  probeEpochs: number;
  finetuneEpochs: number;
  /** Datasets pre-trained on together, and their weights (absent: `dataset` alone, proportional). */
  pretrainDatasets?: string[];
  sourceWeights?: Record<string, number>;
}

export interface StudyPresetView {
  label: string;
  description: string;
  cells: number;
  config: Omit<StudyConfigView, 'name' | 'dataset'>;
}

export interface StudySummaryView {
  id: string;
  name: string;
  status: string;
  dataset: string;
  cells: number;
  succeeded: number;
  failed: number;
  oom: number;
  pending: number;
  createdAt: string;
}

export interface CellScoresView {
  /** By task. */
  auroc: Record<string, number | null>;
  auprc: Record<string, number | null>;
  criteria: number | null;
}

export interface CellView {
  index: number;
  key: string;
  method: string;
  patch: number;
  depth: number;
  dim: number;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'oom';
  error: string | null;
  runId: string | null;
  /** Mean of the last pre-training steps; null for baselines and unfinished cells. */
  loss: number | null;
  /** By protocol (linear, finetune, random-linear, supervised). */
  scores: Record<string, CellScoresView>;
}

export interface StudyDetailView {
  study: StudySummaryView;
  config: StudyConfigView;
  tasks: string[];
  cells: CellView[];
  /** Per cell, its Slurm task, state and progress, when the study runs on Slurm. */
  slurm?: ClusterCellView[] | null;
  /** The paper's tables from this study (Table 3–8 and the appendix tables). */
  tables: TableView[];
}

export interface SummaryView {
  mean: number | null;
  sd: number | null;
}

export interface SimulationRowView {
  /** Percent: 10, 25 … or 1, 2, 5. */
  percent: number;
  auroc: SummaryView[];
  auprc: SummaryView[];
  criteria: SummaryView;
  trainSize: number;
}

export interface SimulationView {
  id: string;
  title: string;
  kind: 'data-usage' | 'case-ratio';
  /** Legend name: the method (CL/GL/HL/SL…) or the run name. */
  method: string;
  protocol: string;
  dataset: string;
  tasks: string[];
  repeats: number;
  rows: SimulationRowView[];
  createdAt: string;
}

export interface DecompositionView {
  id: string;
  title: string;
  method: string;
  dataset: string;
  tasks: string[];
  /** Per component, per task (tasks order); error = 1 − AUROC. */
  components: Record<RiskComponentName, (number | null)[]>;
  total: (number | null)[];
  createdAt: string;
}

export interface AnyRunView {
  id: string;
  name: string;
  kind: string;
  status: string;
  dataset: string | null;
  studyId: string | null;
  createdAt: string | null;
}

export interface CompareRunView {
  id: string;
  name: string;
  kind: string;
  status: string;
  /** Flattened config: `model.patch` → 125. */
  config: Record<string, string | number | boolean | null>;
  /** Flattened metrics: `auroc MI (linear)` → 0.81, final losses as `loss total`. */
  metrics: Record<string, number | null>;
  /** Loss series by component name: [step, value] pairs. */
  losses: Record<string, [number, number][]>;
}

export interface CompareView {
  runs: CompareRunView[];
  /** Config keys whose values differ between the runs. */
  differing: string[];
}
