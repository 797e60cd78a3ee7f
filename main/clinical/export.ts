/** From a clinical fine-tuning run folder to one `.ecgfm` package (and back, for checks). */
import { basename, resolve } from 'node:path';
import { PRODUCT_NAME, PRODUCT_VERSION } from '../version.js';
import { readClinicalRun } from './finetune.js';
import { chooseThreshold, describeRule, type OperatingRule } from './metrics.js';
import { defaultPreprocessing, writeModelPackage, type PackageHeader, type TaskSpec } from './package.js';

export interface ExportOptions {
  /** Rule for the packaged default thresholds, applied to the run's validation split (default: Youden). */
  rule?: OperatingRule;
}

/** Each task's default threshold: `rule` (Youden by default) on the validation split's predictions. */
export function packagedTasks(names: string[], validation: { labels: number[][]; scores: number[][] }, rule: OperatingRule = { kind: 'youden' }): TaskSpec[] {
  return names.map((name, t) => {
    let threshold = 0.5;
    let how = `${describeRule(rule)} on the validation split`;
    try {
      threshold = chooseThreshold(validation.labels[t]!, validation.scores[t]!, rule);
    } catch (err) {
      how = `0.5 (${(err as Error).message})`;
    }
    return { name, threshold, thresholdRule: how };
  });
}

export function exportClinicalModel(runDir: string, outPath: string, opts: ExportOptions = {}): PackageHeader {
  const { record, weights } = readClinicalRun(runDir);
  const v = record.validation;
  const tasks = packagedTasks(record.tasks, v, opts.rule);
  return writeModelPackage(resolve(outPath), {
    header: {
      architecture: record.architecture,
      preprocessing: defaultPreprocessing(),
      tasks,
      calibration: {
        description: `validation split of ${record.dataset} (${record.split}), ${v.ids.length} records`,
        ids: v.ids,
        labels: v.labels,
        scores: v.scores,
      },
      provenance: {
        datasets: [`${record.dataset} (${record.datasetKind})`],
        split: record.split,
        encoderRun: record.encoderRun,
        ...(record.seen ? { seen: record.seen } : {}),
        config: { ...record.settings, chosenEpoch: record.chosenEpoch, history: record.history, run: basename(resolve(runDir)) },
        backend: record.backend,
        seed: record.settings.seed,
        createdAt: new Date().toISOString(),
        software: `${PRODUCT_NAME} ${PRODUCT_VERSION}`,
      },
      metrics: { validation: record.validationMetrics },
    },
    weights,
  });
}
