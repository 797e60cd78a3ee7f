/** Records of the experiment store, as the rest of main/ and the host see them. */

export const RUN_STATUSES = ['created', 'queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'oom'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** pretrain (CL/GL/HL), the downstream protocols, and the studies' analyses. */
export type RunKind = 'pretrain' | 'linear' | 'finetune' | 'supervised' | 'random-linear' | 'simulate' | 'decompose' | (string & {});

export interface DatasetRecord {
  name: string;
  kind: string;
  source: string;
  path: string;
  manifestHash: string;
  records: number;
  patients: number;
  /** Positive count per label. */
  labels: Record<string, number>;
  createdAt: string;
}

export interface RunRecord {
  id: string;
  kind: RunKind;
  name: string;
  config: Record<string, unknown>;
  /** `BackendInfo.description` of the process that ran it. */
  backend: string;
  seed: number;
  codeVersion: string;
  status: RunStatus;
  dataset: string | null;
  /** For downstream runs: the pre-training run whose encoder they use. */
  parentRunId: string | null;
  studyId: string | null;
  cellIndex: number | null;
  /** The run folder under the workspace. */
  dir: string | null;
  checkpointPath: string | null;
  /** Last step reached (pre-training) or epoch (downstream). */
  step: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  elapsedMs: number;
  /** The compute engine that ran it (tfjs, or onnx for ONNX Runtime training). */
  engine: string;
  /** Pre-training runs: the dataset records they read and the split those came from. */
  dataUse: DataUse | null;
}

/** The records a pre-training run read (see main/experiments/science.ts). */
export interface DataUse {
  /** The dataset; for a multi-source run the names joined by '+' (its records are in `sources`). */
  dataset: string;
  /** The dataset's records; empty for a multi-source run. */
  indices: number[];
  split: string;
  /** A multi-source run: the records of each dataset and the split they came from. */
  sources?: SourceUse[];
  /** Validation records of `dataset` whose losses the run logged (monitoring only, never trained on). */
  validation?: number[];
}

export interface SourceUse {
  dataset: string;
  indices: number[];
  split: string;
  /** Validation records of this dataset whose losses the run logged (monitoring only, never trained on). */
  validation?: number[];
}

export type NewRun = Partial<Omit<RunRecord, 'kind' | 'createdAt'>> & { kind: RunKind };
export type RunPatch = Partial<Omit<RunRecord, 'id' | 'kind' | 'createdAt'>>;

export interface MetricPoint {
  name: string;
  step: number;
  value: number;
}

export interface NewEvaluation {
  task: string;
  /** linear | finetune | supervised | random-linear | decompose … */
  protocol: string;
  /** auroc | auprc | f1 | threshold | criteria | approximation … */
  metric: string;
  value: number | null;
  ciLow?: number | null;
  ciHigh?: number | null;
  split?: string;
  /** A simulation condition such as `usage=10` or `case=5`, empty for the full setting. */
  condition?: string;
}

export interface EvaluationRecord extends Required<NewEvaluation> {
  id: number;
  runId: string;
  createdAt: string;
}

export interface StudyRecord {
  id: string;
  name: string;
  config: Record<string, unknown>;
  status: string;
  createdAt: string;
  updatedAt: string;
}

export const CELL_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'oom'] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

export interface CellSpec {
  key: string;
  /** CL, GL, HL, or a baseline: SL (supervised), RAND (random-init encoder). */
  method: string;
  patch: number;
  depth: number;
  dim: number;
}

export interface CellRecord extends CellSpec {
  studyId: string;
  index: number;
  status: CellStatus;
  /** The cell's pre-training run (baselines: their first downstream run). */
  runId: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ArtifactRecord {
  path: string;
  kind: string;
  runId: string | null;
  studyId: string | null;
  sha256: string;
  bytes: number;
  createdAt: string;
}
