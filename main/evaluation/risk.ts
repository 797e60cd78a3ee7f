/**
 * Risk decomposition (the paper's Table 8, after Dubois, Hashimoto & Liang 2023). Error = 1 − AUROC per task
 * (1 − AUPRC optionally); the population is approximated by train ∪ test. Four settings, each more realistic:
 *   e1  supervised model (same encoder architecture + linear head), end to end on train ∪ test;
 *   e2  linear probe on train ∪ test over the SSL encoder pre-trained on U ∪ test inputs;
 *   e3  the same encoder, probe on train only;
 *   e4  the encoder pre-trained on U only, probe on train only (the usual setting).
 * approximation = e1, representation usability = e2 − e1, probe generalization = e3 − e2,
 * encoder generalization = e4 − e3; they sum to e4, the usual test error.
 */
import type { CachedDataset } from '../data/types.js';
import type { Encoder } from '../models/types.js';
import { resolveSplit, runProtocol, type EvaluationProgress, type EvaluationResult } from './evaluate.js';
import { checkTasks, type Split, type SplitSpec } from './splits.js';
import { SignalSource } from './batches.js';
import type { EmbeddingCache } from './embeddings.js';

export type RiskMetric = 'auroc' | 'auprc';

import { RISK_COMPONENT_NAMES as RISK_COMPONENTS, RISK_COMPONENT_TITLES as RISK_TITLES, type RiskComponentName as RiskComponent } from '../../contract/vocabulary.js';

export { RISK_COMPONENTS, RISK_TITLES, type RiskComponent };

export interface RiskDecompositionOptions {
  dataset: CachedDataset;
  tasks: string[];
  split: SplitSpec | Split;
  seed: number;
  /**
   * Pre-trains an SSL encoder: on U alone when called without arguments, on U plus these dataset records' inputs
   * (the test part) otherwise. Each call must return a new encoder; riskDecomposition disposes it.
   */
  pretrainEncoder(extraIndices?: number[]): Promise<Encoder>;
  metric?: RiskMetric;
  /** Epochs of the supervised setting (e1) and of the linear probes (e2–e4). */
  supervisedEpochs?: number;
  probeEpochs?: number;
  batchSize?: number;
  resamples?: number;
  /** Embedding caches for the two encoders (keys must tell them apart). */
  embeddingCache?: { withTest?: EmbeddingCache; withoutTest?: EmbeddingCache };
  onProgress?(p: { setting: 1 | 2 | 3 | 4; title: string; inner?: EvaluationProgress }): void;
}

export interface RiskDecomposition {
  dataset: string;
  tasks: string[];
  metric: RiskMetric;
  split: string;
  /** Test error per task of the four settings (e1…e4). */
  settings: Record<'supervisedAll' | 'probeAllPretrainedWithTest' | 'probeTrainPretrainedWithTest' | 'probeTrainPretrained', number[]>;
  /** Per task, in `tasks` order. */
  components: Record<RiskComponent, number[]>;
  /** Mean over tasks (the AVR. column). */
  averages: Record<RiskComponent, number>;
  /** e4 per task: the sum of the four components. */
  total: number[];
  chosenEpochs: Record<'e1' | 'e2' | 'e3' | 'e4', number[]>;
  seconds: number;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);

export async function riskDecomposition(opts: RiskDecompositionOptions): Promise<RiskDecomposition> {
  const started = performance.now();
  const { dataset, tasks } = opts;
  checkTasks(dataset, tasks);
  const metric = opts.metric ?? 'auroc';
  const split = resolveSplit(dataset, opts.split, tasks);
  // The population stand-in: train ∪ test, with early stopping still on the validation part.
  const population: Split = {
    ...split,
    train: [...split.train, ...split.test].sort((a, b) => a - b),
    description: `${split.description}; oracle training on train ∪ test`,
  };
  const source = new SignalSource(dataset);
  const error = (r: EvaluationResult) => r.metrics.map((m) => 1 - (metric === 'auroc' ? m.auroc : m.auprc));
  const common = { dataset, tasks, seed: opts.seed, batchSize: opts.batchSize, resamples: opts.resamples ?? 200, signalSource: source };
  const progress = (setting: 1 | 2 | 3 | 4, title: string) => (inner?: EvaluationProgress) =>
    opts.onProgress?.({ setting, title, inner });

  progress(4, 'pre-training the encoder on U')();
  const encoderU = await opts.pretrainEncoder();
  let encoderUT: Encoder | null = null;
  try {
    progress(2, 'pre-training the encoder on U ∪ test inputs')();
    encoderUT = await opts.pretrainEncoder([...split.test]);

    const e1 = await runProtocol(
      { ...common, encoder: encoderU, protocol: 'supervised', epochs: opts.supervisedEpochs, onProgress: progress(1, 'supervised on train ∪ test') },
      population,
    );
    const probe = { ...common, protocol: 'linear' as const, epochs: opts.probeEpochs };
    const e2 = await runProtocol(
      { ...probe, encoder: encoderUT, embeddingCache: opts.embeddingCache?.withTest, onProgress: progress(2, 'probe on train ∪ test, encoder with test') },
      population,
    );
    const e3 = await runProtocol(
      { ...probe, encoder: encoderUT, embeddingCache: opts.embeddingCache?.withTest, onProgress: progress(3, 'probe on train, encoder with test') },
      split,
    );
    const e4 = await runProtocol(
      { ...probe, encoder: encoderU, embeddingCache: opts.embeddingCache?.withoutTest, onProgress: progress(4, 'probe on train, encoder on U') },
      split,
    );
    const [s1, s2, s3, s4] = [e1, e2, e3, e4].map(error) as [number[], number[], number[], number[]];
    const components: Record<RiskComponent, number[]> = {
      approximation: s1,
      usability: s2.map((v, t) => v - (s1[t] as number)),
      probeGeneralization: s3.map((v, t) => v - (s2[t] as number)),
      encoderGeneralization: s4.map((v, t) => v - (s3[t] as number)),
    };
    return {
      dataset: dataset.name,
      tasks,
      metric,
      split: split.description,
      settings: {
        supervisedAll: s1,
        probeAllPretrainedWithTest: s2,
        probeTrainPretrainedWithTest: s3,
        probeTrainPretrained: s4,
      },
      components,
      averages: Object.fromEntries(RISK_COMPONENTS.map((c) => [c, mean(components[c])])) as Record<RiskComponent, number>,
      total: s4,
      chosenEpochs: { e1: e1.chosenEpochs, e2: e2.chosenEpochs, e3: e3.chosenEpochs, e4: e4.chosenEpochs },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    encoderU.dispose();
    encoderUT?.dispose();
  }
}
