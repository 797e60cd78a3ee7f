/** `ecgfm clinical`'s usage text and the options each subcommand's parser accepts, kept side by side. */
import { COHORT_KINDS } from '../clinical/cohort.js';
import { checkRule, type OperatingRule } from '../clinical/metrics.js';
import { CliError, EXIT } from './command.js';

/** Each subcommand's usage block; `USAGE` joins them. A test checks that every option a parser accepts is named here. */
export const SUBCOMMAND_USAGE = {
  finetune: `  finetune --dataset NAME (--encoder RUN | --model P,L,D) [--tasks LIST] [--epochs N] [--batch-size N] [--lr X]
      [--patience N] [--warmup-epochs 1] [--layer-decay 0.75] [--seed N] [--split strat_fold|patient]
      [--engine auto|tfjs|ort] [--out DIR] [--json]
                      fine-tune (default: PTB-XL folds 1–8, fold 9 as validation/calibration); keeps encoder + head;
                      --patience N stops after N epochs without a better validation AUROC (default 4); the rate warms
                      up over --warmup-epochs, then follows a cosine; --layer-decay gives block i of L a rate
                      lr·decay^(L−i) when fine-tuning a pre-trained --encoder (1 = one rate; random init keeps one); on a
                      terminal a bar shows the epoch, step, samples/s and time left between the epoch lines`,
  export: `  export RUN --out model.ecgfm [RULE] [--json]
                      package a clinical fine-tuning run (default thresholds: Youden on validation)`,
  'export-probe': `  export-probe EVALUATION --out probe.ecgfm [--protocol linear|random-linear] [--tasks LIST] [RULE] [--json]
                      package a linear probe that \`ecgfm evaluate\` trained (EVALUATION: its output folder, which
                      holds probe-<protocol>.json) with its frozen encoder, for \`clinical run\` on outside cohorts;
                      the package records the records the probe and its encoder saw`,
  import: `  import FILE [--name NAME] [--json]   check a package and copy it to <workspace>/models/`,
  inspect: `  inspect FILE [--json]                print a package's header (architecture, tasks, provenance, metrics)`,
  run: `  run MODEL COHORT [--kind ${COHORT_KINDS.join('|')}] [--rate 100|500] [--where FIELD=V[,V]]…
      [--window SECONDS] [--labels FILE.csv --id-column NAME] [--out DIR] [RULE] [--thresholds-on calibration|cohort]
      [--engine auto|tfjs|onnx] [--batch-size N] [--limit N] [--stop-after N] [--resamples N] [--include-seen]
      [--no-report] [--json] [--quiet]
                      streams the cohort (resumable: rerun the same command after a kill), writes scores.csv,
                      unreadable.csv, predictions.csv, metrics.json and report.html, and prints per task and over
                      the labelled tasks (macro AUROC, macro AUPRC, the criteria) with bootstrap 95% CIs
      --kind          the folder's kind is recognised from its content (PTB-XL by ptbxl_database.csv, …); a --kind
                      that disagrees is used, with a warning naming the folder and both kinds
      --limit N       score a subset of N records: the same N on every run (lowest hash of the record id, so spread
                      over the cohort), after --where and the left-out seen records
      --stop-after N  stop after N newly scored records; rerun the same command to go on (smoke runs)
      --include-seen  also score records sharing a record or patient id with the package's training/calibration data
      --resamples N   bootstrap resamples for the CIs (default 1000); --quiet: no progress line`,
  report: `  report DIR [--model MODEL] [--json]  (re)write DIR/report.html, a self-contained offline page`,
  onnx: `  onnx MODEL --out model.onnx [--verify] [--json]  export encoder + head to ONNX opset 17; --verify checks ORT vs tfjs`,
} as const;

export const USAGE = `ecgfm clinical <subcommand> …
${Object.values(SUBCOMMAND_USAGE).join('\n')}
RULE: --target-sensitivity X | --target-specificity X | --youden | --threshold T
  Thresholds are chosen on the package's calibration (validation) split; --thresholds-on cohort chooses them on
  the evaluated cohort itself (optimistic; the report says so).
Common: --json`;

export function fail(err: unknown, code: number = EXIT.failed): never {
  throw new CliError(err instanceof Error ? err.message : String(err), code);
}

export function ruleFrom(values: Record<string, unknown>): OperatingRule | undefined {
  const given: OperatingRule[] = [];
  const num = (k: string) => {
    const n = Number(values[k]);
    if (!Number.isFinite(n)) throw new CliError(`--${k} must be a number, got "${String(values[k])}"`, EXIT.usage);
    return n;
  };
  if (values['target-sensitivity'] !== undefined) given.push({ kind: 'sensitivity', target: num('target-sensitivity') });
  if (values['target-specificity'] !== undefined) given.push({ kind: 'specificity', target: num('target-specificity') });
  if (values.youden) given.push({ kind: 'youden' });
  if (values.threshold !== undefined) given.push({ kind: 'fixed', threshold: num('threshold') });
  if (given.length > 1) throw new CliError('give one of --target-sensitivity, --target-specificity, --youden, --threshold', EXIT.usage);
  try {
    return given[0] ? checkRule(given[0]) : undefined;
  } catch (err) {
    return fail(err, EXIT.usage);
  }
}


const RULE_OPTIONS = {
  'target-sensitivity': { type: 'string' },
  'target-specificity': { type: 'string' },
  youden: { type: 'boolean' },
  threshold: { type: 'string' },
} as const;

const str = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;

/** What each subcommand's parser accepts (the usage test reads these). */
export const SUBCOMMAND_OPTIONS = {
  finetune: {
    dataset: str, encoder: str, model: str, tasks: str, epochs: str, 'batch-size': str, lr: str, seed: str,
    patience: str, 'warmup-epochs': str, 'layer-decay': str, split: str, out: str, json: flag, engine: str,
  },
  export: { out: str, json: flag, ...RULE_OPTIONS },
  'export-probe': { out: str, protocol: str, tasks: str, json: flag, ...RULE_OPTIONS },
  import: { name: str, json: flag },
  inspect: { json: flag },
  run: {
    kind: str, rate: str, where: { type: 'string', multiple: true }, out: str, window: str, labels: str, 'id-column': str,
    'thresholds-on': str, engine: str, 'batch-size': str, limit: str, 'stop-after': str, resamples: str,
    'include-seen': flag, 'no-report': flag, json: flag, quiet: flag, ...RULE_OPTIONS,
  },
  report: { model: str, json: flag },
  onnx: { out: str, verify: flag, json: flag },
} as const;
