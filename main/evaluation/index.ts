/** The downstream evaluation engine's public API. */
export { evaluate, runProtocol, predictionsCsv, resolveSplit, DEFAULT_TASKS, PROTOCOLS, PROTOCOL_DEFAULTS, PROTOCOL_TITLES } from './evaluate.js';
export type { EvaluateOptions, EvaluationProgress, EvaluationResult, Predictions, Protocol } from './evaluate.js';
export { runSimulation, summarise, levelLabel } from './simulate.js';
export type { SimulationCell, SimulationKind, SimulationOptions, SimulationResult, SimulationRow, Summary } from './simulate.js';
export { riskDecomposition, RISK_COMPONENTS, RISK_TITLES } from './risk.js';
export type { RiskComponent, RiskDecomposition, RiskDecompositionOptions, RiskMetric } from './risk.js';
export * from './metrics.js';
export * from './splits.js';
export { SignalSource } from './batches.js';
export { computeEmbeddings, type EmbeddingCache, type EmbeddingTable } from './embeddings.js';
export { readPredictionCsv, scorePredictions, type PredictionReport, type PredictionTable } from './predictions-csv.js';
export { EvaluationCancelled, type EpochRecord } from './train.js';
