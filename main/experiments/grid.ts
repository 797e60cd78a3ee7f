/**
 * A study: SSL methods × patch × depth × dim (the paper's 3 × 3 × 3 × 3 = 81 pre-trainings), each followed by the
 * downstream protocols, plus baseline cells (random-init linear probe, supervised from scratch) per architecture.
 */
import type { TrainingEngine } from '../../contract/training.js';
import { paperGrid } from '../resources.js';
import type { CellSpec } from '../store/types.js';
import {
  DOWNSTREAM_PROTOCOLS,
  isGridFree,
  modelShapeProblems,
  STUDY_BASELINES as BASELINE_METHODS,
  STUDY_SSL_METHODS as SSL_METHODS,
  type DownstreamProtocol,
  type StudyBaseline as BaselineMethod,
  type StudySslMethod as SslMethod,
} from '../../contract/vocabulary.js';
import type { LrSchedule } from '../../contract/vocabulary.js';

// The grid's words are the contract's (one vocabulary); re-exported under the names the CLI uses.
export { BASELINE_METHODS, DOWNSTREAM_PROTOCOLS, SSL_METHODS };
export type { BaselineMethod, DownstreamProtocol, SslMethod };
export type StudyMethod = SslMethod | BaselineMethod;

/** The paper's grid (resources/presets/paper-grid.json): 3 methods × 3 patches × 3 depths × 3 widths. */
export const PAPER_GRID: { methods: SslMethod[]; patches: number[]; depths: number[]; dims: number[] } = paperGrid();

export interface DownstreamSettings {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  patience?: number;
  /** The recipe (evaluate.ts PROTOCOL_DEFAULTS): warm-up epochs, schedule, cosine floor, layer-wise decay. */
  warmupEpochs?: number;
  schedule?: LrSchedule;
  minLrRatio?: number;
  layerDecay?: number;
  /** Training engine of the end-to-end protocols and of frozen embeddings (auto when absent). */
  engine?: TrainingEngine;
}

export interface StudyConfig {
  name: string;
  /** A dataset name in the workspace cache (`ecgfm datasets list`). */
  dataset: string;
  tasks: string[];
  methods: SslMethod[];
  patches: number[];
  depths: number[];
  dims: number[];
  protocols: DownstreamProtocol[];
  /** Baseline cells, run at every architecture of the grid. */
  baselines: BaselineMethod[];
  seed: number;
  /** `strat_fold` (PTB-XL folds 1–8/9/10; the synthetic cohort has folds too) or `patient[:0.2]`. */
  split?: string;
  /**
   * Datasets the cells pre-train on together (default: `dataset` alone). Each gives the training part of its own
   * split: `dataset` the study's split, the others PTB-XL folds where they have them, else their patient split.
   */
  pretrainDatasets?: string[];
  /** Share of the ECGs drawn from each of `pretrainDatasets` (a weight for every one, or none: proportional). */
  sourceWeights?: Record<string, number>;
  /** Pre-training settings passed to the engine (steps, batchSize, lr, maskRatio, …); the grid sets the model. */
  pretrain: { steps: number; batchSize: number; checkpointEvery?: number; [key: string]: unknown };
  /**
   * Training overrides for the linear probes and for the end-to-end protocols (fine-tune, SL); the CNN baseline
   * takes `resnet` when given, else the end-to-end epochs, batch size and patience with its own learning rate.
   */
  downstream: { probe?: DownstreamSettings; endToEnd?: DownstreamSettings; resnet?: DownstreamSettings };
  /** Tables 6–7: data-usage and case-ratio simulations of the best cell of each method (fine-tuning). */
  simulations?: { usage: number[]; caseRatios: number[]; repeats: number } | null;
  /** Table 8: risk decomposition of the best cell of each method. */
  decompose?: boolean;
}

export function cellKey(method: string, patch: number, depth: number, dim: number): string {
  return `${method}-P${patch}-L${depth}-D${dim}`;
}

/**
 * Cells in run order: per method, patch outermost then depth then dim (the order of the paper's appendix tables).
 * A baseline with no ViT architecture (the CNN) is one cell, keyed by its name, with patch, depth and dim 0.
 */
export function studyCells(config: Pick<StudyConfig, 'methods' | 'patches' | 'depths' | 'dims' | 'baselines'>): CellSpec[] {
  const cells: CellSpec[] = [];
  for (const method of [...config.methods, ...config.baselines]) {
    if (isGridFree(method)) {
      cells.push({ key: method, method, patch: 0, depth: 0, dim: 0 });
      continue;
    }
    for (const patch of config.patches)
      for (const depth of config.depths)
        for (const dim of config.dims) cells.push({ key: cellKey(method, patch, depth, dim), method, patch, depth, dim });
  }
  return cells;
}

export function validateStudyConfig(c: StudyConfig): void {
  const problems: string[] = [];
  if (!c.name || !/^[\w.-]+$/.test(c.name)) problems.push(`name "${c.name}" must be letters, digits, '.', '_' or '-'`);
  if (!c.dataset) problems.push('a dataset is required (--dataset NAME)');
  if (!c.tasks.length) problems.push('at least one task is required (--tasks MI,CD)');
  for (const m of c.methods) if (!SSL_METHODS.includes(m)) problems.push(`unknown method "${m}" (use ${SSL_METHODS.join(', ')})`);
  for (const b of c.baselines) if (!BASELINE_METHODS.includes(b)) problems.push(`unknown baseline "${b}" (use ${BASELINE_METHODS.join(', ')})`);
  for (const p of c.protocols) if (!DOWNSTREAM_PROTOCOLS.includes(p)) problems.push(`unknown protocol "${p}" (use ${DOWNSTREAM_PROTOCOLS.join(', ')})`);
  for (const [name, xs] of [['patches', c.patches], ['depths', c.depths], ['dims', c.dims]] as const)
    if (!xs.length || xs.some((x) => !Number.isInteger(x) || x <= 0)) problems.push(`${name} must be positive integers`);
  const shapes = new Set<string>();
  for (const patch of c.patches)
    for (const depth of c.depths)
      for (const dim of c.dims) for (const p of modelShapeProblems({ patch, depth, dim })) shapes.add(p.message.replace(/\.$/, ''));
  problems.push(...shapes);
  if (problems.length) throw new Error(`Study "${c.name}": ${problems.join('; ')}.`);
}
