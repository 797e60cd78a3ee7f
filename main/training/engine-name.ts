/** Parsing of the `--engine` option (no heavy imports: the CLI parses it before loading any engine). */
import { TRAINING_ENGINES, type TrainingEngine } from '../../contract/training.js';

export function parseEngine(value: string | undefined): TrainingEngine {
  if (value === undefined) return 'auto';
  const v = value.trim().toLowerCase();
  if ((TRAINING_ENGINES as readonly string[]).includes(v)) return v as TrainingEngine;
  throw new Error(`Unknown engine "${value}": choose one of ${TRAINING_ENGINES.join(', ')}`);
}
