/** `ecgfm clinical`: fine-tune for deployment, export/import `.ecgfm` packages, cohort runs, reports, ONNX export. */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { overlapText } from '../../../contract/clinical.js';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseEngine } from '../../training/engine-name.js';
import { initBackend } from '../../compute/backend.js';
import { parseWhere, resolveCohortKind } from '../../clinical/cohort.js';
import { evaluateCohort, exportOnnx, macroSummaryText } from '../../clinical/index.js';
import type { EngineChoice } from '../../clinical/engine.js';
import { exportClinicalModel } from '../../clinical/export.js';
import { exportProbePackage, PROBE_PROTOCOLS, type ProbeProtocol } from '../../clinical/probe.js';
import { fineTuneClinical } from '../../clinical/finetune.js';
import { inspectModelPackage } from '../../clinical/package.js';
import { RUN_FILE } from '../../clinical/run.js';
import type { ThresholdSource } from '../../clinical/score.js';
import { writeClinicalReport } from '../../clinical/report.js';
import { openDataset } from '../../data/registry.js';
import { intOption, listOption, loadRun, modelOption, numberOption, splitOption, timestamp } from '../../evaluation/cli-support.js';
import { DEFAULT_TASKS } from '../../evaluation/evaluate.js';
import { workspaceDir, workspacePath } from '../../workspace.js';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { fail, ruleFrom, SUBCOMMAND_OPTIONS, USAGE } from '../clinical-usage.js';
import { trainingBar } from '../progress.js';

const ciText = (c: [number, number] | undefined) => (c && Number.isFinite(c[0]) ? ` (${c[0].toFixed(3)}–${c[1].toFixed(3)})` : '');

async function finetune(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: SUBCOMMAND_OPTIONS.finetune });
  if (!values.dataset) throw new CliError('--dataset NAME is required (import one with `ecgfm datasets import`)', EXIT.usage);
  if (!values.encoder && !values.model) throw new CliError('give --encoder RUN (pre-trained) or --model P,L,D (random init)', EXIT.usage);
  let opts;
  try {
    opts = {
      tasks: listOption(values.tasks, DEFAULT_TASKS),
      config: modelOption(values.model),
      epochs: intOption('epochs', values.epochs),
      batchSize: intOption('batch-size', values['batch-size']),
      learningRate: numberOption('lr', values.lr),
      seed: intOption('seed', values.seed, 0) ?? 0,
      patience: intOption('patience', values.patience),
      warmupEpochs: numberOption('warmup-epochs', values['warmup-epochs']),
      layerDecay: numberOption('layer-decay', values['layer-decay']),
      split: values.split === undefined ? undefined : splitOption(values.split, intOption('seed', values.seed, 0) ?? 0),
      engine: parseEngine(values.engine),
    };
  } catch (err) {
    return fail(err, EXIT.usage);
  }
  await initBackend();
  let dataset;
  try {
    dataset = openDataset(values.dataset);
  } catch (err) {
    return fail(err, EXIT.notFound);
  }
  const run = values.encoder ? await loadRun(values.encoder).catch((err: unknown) => fail(err, EXIT.notFound)) : null;
  const outDir = resolve(values.out ?? workspacePath('clinical', `${dataset.name}-${timestamp()}`));
  // Ctrl-C cancels at the next batch (a UI-started fine-tune is cancelled with `ecgfm jobs cancel ID`).
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(EXIT.interrupted);
    abort.abort('cancel');
    process.stderr.write('\nCancelling the fine-tune at the next batch (Ctrl-C again to quit now)…\n');
  };
  process.on('SIGINT', onSigint);
  // Between the epoch lines a terminal shows a bar: epoch, step, samples/s and the time left.
  const bar = trainingBar();
  try {
    const record = await fineTuneClinical({
      encoder: run?.encoder ?? null,
      encoderRun: run ? `${run.runId} (${run.checkpoint})` : null,
      ...(run ? { encoderRunDir: run.runDir } : {}),
      ...opts,
      dataset,
      outDir,
      signal: abort.signal,
      onStep: (st) => {
        if (!values.json) bar.step(st);
      },
      onEpoch: (e) => {
        if (!values.json) bar.line(`epoch ${e.epoch}/${e.epochs} loss ${e.trainLoss.toFixed(4)} val AUROC ${e.valMeanAuroc.toFixed(4)} (${e.seconds.toFixed(1)} s, ${(e.samples / Math.max(1e-9, e.seconds)).toFixed(1)} samples/s)`);
      },
    });
    bar.done();
    if (values.json) printJson({ outDir, ...record, validation: undefined });
    else {
      console.log(`fine-tuned (chosen epoch ${record.chosenEpoch}); validation: ${record.validationMetrics.map((m) => `${m.task} AUROC ${m.auroc.toFixed(3)}`).join(', ')}`);
      if (record.engine) console.log(`engine: ${record.engine}`);
      console.log(`saved: ${outDir} — package it with \`ecgfm clinical export ${outDir} --out model.ecgfm\``);
    }
  } catch (err) {
    bar.done();
    if (abort.signal.aborted) {
      process.stderr.write('Fine-tune cancelled; nothing was written.\n');
      return EXIT.interrupted;
    }
    return fail(err);
  } finally {
    process.off('SIGINT', onSigint);
    run?.encoder.dispose();
  }
  return EXIT.ok;
}

async function exportCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: SUBCOMMAND_OPTIONS.export });
  const runDir = positionals[0];
  if (!runDir || !values.out) throw new CliError('usage: ecgfm clinical export RUN --out model.ecgfm', EXIT.usage);
  const rule = ruleFrom(values);
  let header;
  try {
    header = exportClinicalModel(existsSync(runDir) ? runDir : join(workspaceDir(), 'clinical', runDir), values.out, { rule });
  } catch (err) {
    return fail(err, EXIT.notFound);
  }
  if (values.json) printJson({ out: resolve(values.out), tasks: header.tasks, weightsSha256: header.weightsSha256 });
  else console.log(`wrote ${resolve(values.out)}: ${header.tasks.map((t) => `${t.name} threshold ${t.threshold.toFixed(4)}`).join(', ')}`);
  return EXIT.ok;
}

async function exportProbe(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: SUBCOMMAND_OPTIONS['export-probe'] });
  const evalDir = positionals[0];
  if (!evalDir || !values.out) throw new CliError('usage: ecgfm clinical export-probe EVALUATION --out probe.ecgfm [--protocol linear|random-linear] [--tasks LIST]', EXIT.usage);
  const protocol = (values.protocol ?? 'linear') as ProbeProtocol;
  if (!(PROBE_PROTOCOLS as readonly string[]).includes(protocol)) throw new CliError(`--protocol must be ${PROBE_PROTOCOLS.join(' or ')}`, EXIT.usage);
  const rule = ruleFrom(values);
  let tasks;
  try {
    tasks = values.tasks === undefined ? undefined : listOption(values.tasks, []);
  } catch (err) {
    return fail(err, EXIT.usage);
  }
  if (!existsSync(evalDir)) throw new CliError(`${evalDir}: no such evaluation folder (\`ecgfm evaluate\` prints it after "saved:")`, EXIT.notFound);
  await initBackend();
  let header;
  try {
    header = await exportProbePackage(evalDir, values.out, { protocol, tasks, rule });
  } catch (err) {
    return fail(err, EXIT.failed);
  }
  if (values.json) printJson({ out: resolve(values.out), tasks: header.tasks, weightsSha256: header.weightsSha256, seen: { records: header.provenance.seen?.records.length ?? 0, patients: header.provenance.seen?.patients.length ?? 0 } });
  else {
    console.log(`wrote ${resolve(values.out)}: ${header.tasks.map((t) => `${t.name} threshold ${t.threshold.toFixed(4)}`).join(', ')}`);
    console.log(`provenance: ${String(header.provenance.config.seen)}; ${header.provenance.seen?.records.length ?? 0} records of ${header.provenance.seen?.patients.length ?? 0} patients are left out of cohort runs`);
  }
  return EXIT.ok;
}

async function importCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: SUBCOMMAND_OPTIONS.import });
  const file = positionals[0];
  if (!file) throw new CliError('usage: ecgfm clinical import FILE.ecgfm', EXIT.usage);
  let header;
  try {
    header = inspectModelPackage(file);
  } catch (err) {
    return fail(err, EXIT.notFound);
  }
  const name = (values.name ?? basename(file)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/(\.ecgfm)?$/, '.ecgfm');
  const dest = join(workspacePath('models'), name);
  copyFileSync(file, dest);
  if (values.json) printJson({ path: dest, tasks: header.tasks.map((t) => t.name), weightsSha256: header.weightsSha256 });
  else console.log(`imported ${dest} (tasks ${header.tasks.map((t) => t.name).join(', ')})`);
  return EXIT.ok;
}

function resolveModel(ref: string): string {
  const candidates = [resolve(ref), join(workspaceDir(), 'models', ref), join(workspaceDir(), 'models', `${ref}.ecgfm`)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new CliError(`no model package "${ref}" (looked in ${candidates.join(', ')})`, EXIT.notFound);
  return found;
}

async function inspect(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: SUBCOMMAND_OPTIONS.inspect });
  if (!positionals[0]) throw new CliError('usage: ecgfm clinical inspect FILE.ecgfm', EXIT.usage);
  let header;
  try {
    header = inspectModelPackage(resolveModel(positionals[0]));
  } catch (err) {
    return fail(err, EXIT.notFound);
  }
  printJson({ ...header, weights: `${header.weights.length} tensors`, calibration: { description: header.calibration.description, records: header.calibration.ids.length } });
  return EXIT.ok;
}

async function runCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: SUBCOMMAND_OPTIONS.run });
  const [modelRef, cohortPath] = positionals;
  if (!modelRef || !cohortPath) throw new CliError('usage: ecgfm clinical run MODEL COHORT [--kind ptbxl] [--out DIR]', EXIT.usage);
  if (!existsSync(cohortPath)) throw new CliError(`${cohortPath}: no such file or folder`, EXIT.notFound);
  // The folder's kind is recognised from its content; a --kind that disagrees is used, with a warning.
  let choice;
  try {
    choice = resolveCohortKind(cohortPath, values.kind);
  } catch (err) {
    return fail(err, EXIT.usage);
  }
  const kind = choice.kind;
  if (choice.warning) process.stderr.write(`warning: ${choice.warning}\n`);
  else if (!values.kind && !values.json) process.stderr.write(`cohort kind ${kind}: ${choice.detected.evidence}\n`);
  const window = values.window !== undefined ? Number(values.window) : undefined;
  if (window !== undefined && !(window > 0)) throw new CliError('--window must be a number of seconds > 0', EXIT.usage);
  if (values.labels !== undefined && !values['id-column']) throw new CliError('--labels needs --id-column NAME', EXIT.usage);
  const labels = values.labels !== undefined ? { file: resolve(values.labels), idColumn: values['id-column']! } : undefined;
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && rate !== 100 && rate !== 500) throw new CliError('--rate must be 100 or 500', EXIT.usage);
  const thresholdsOn = (values['thresholds-on'] ?? 'calibration') as ThresholdSource;
  if (thresholdsOn !== 'calibration' && thresholdsOn !== 'cohort') throw new CliError('--thresholds-on must be calibration or cohort', EXIT.usage);
  const engine = values.engine ?? 'auto';
  if (!['auto', 'tfjs', 'onnx'].includes(engine)) throw new CliError('--engine must be auto, tfjs or onnx', EXIT.usage);
  const rule = ruleFrom(values);
  let where;
  let batchSize;
  let limit;
  let stopAfter;
  let resamples;
  try {
    where = parseWhere(values.where ?? []);
    batchSize = intOption('batch-size', values['batch-size']);
    limit = intOption('limit', values.limit);
    stopAfter = intOption('stop-after', values['stop-after']);
    resamples = intOption('resamples', values.resamples);
  } catch (err) {
    return fail(err, EXIT.usage);
  }
  const modelPath = resolveModel(modelRef);
  try {
    inspectModelPackage(modelPath);
  } catch (err) {
    return fail(err, EXIT.notFound);
  }
  await initBackend();
  const outDir = resolve(values.out ?? workspacePath('clinical', 'runs', `${basename(modelPath, '.ecgfm')}-${timestamp()}`));
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const quiet = Boolean(values.json || values.quiet);
  try {
    const { run: summary, metrics, report } = await evaluateCohort({
      modelPath,
      cohort: { kind, path: cohortPath, rate: rate as 100 | 500 | undefined, where, ...(window ? { window } : {}), ...(labels ? { labels } : {}), ...(limit ? { limit } : {}) },
      outDir,
      rule,
      thresholdsOn,
      engine: engine as EngineChoice,
      batchSize,
      stopAfter,
      resamples,
      // Records the package trained or calibrated on are left out unless asked for (the report says which).
      seen: values['include-seen'] ? 'include' : 'exclude',
      report: !values['no-report'],
      signal: abort.signal,
      onProgress: (p) => {
        if (!quiet) process.stderr.write(`\r${p.done}/${p.total} records (${p.failed} unreadable${p.resumed ? `, ${p.resumed} from an earlier run` : ''}) ${p.ecgPerSecond.toFixed(1)} ECG/s   `);
      },
    });
    if (!quiet) process.stderr.write('\n');
    if (!metrics) {
      if (values.json) printJson(summary);
      else console.log(`stopped after ${summary.scored} records; rerun the same command to resume (${outDir})`);
      return abort.signal.aborted ? EXIT.interrupted : EXIT.ok;
    }
    if (values.json) {
      printJson({ ...summary, report, metrics: { ...metrics, tasks: metrics.tasks.map(({ roc: _r, pr: _p, ...t }) => t) } });
      return EXIT.ok;
    }
    console.log(summary.cohort);
    console.log(`${summary.compatibility}; engine: ${summary.engine}; ${summary.unreadable} unreadable (see unreadable.csv)`);
    console.log(`thresholds chosen on: ${metrics.thresholdsChosenOn}`);
    console.log(overlapText(summary.overlap));
    for (const w of summary.warnings) console.log(`warning: ${w}`);
    for (const line of macroSummaryText(metrics)) console.log(line);
    for (const t of metrics.tasks) {
      const op = t.operatingPoint;
      console.log(
        `${t.task.padEnd(6)} n ${t.n} pos ${t.positives ?? '–'} AUROC ${t.auroc?.toFixed(3) ?? 'n/a'}${ciText(t.aurocCi)} AUPRC ${t.auprc?.toFixed(3) ?? 'n/a'}${ciText(t.auprcCi)} ` +
          `threshold ${t.threshold.toFixed(4)}` +
          (op ? ` sens ${op.sensitivity.toFixed(3)} spec ${op.specificity.toFixed(3)} PPV ${op.ppv.toFixed(3)} NPV ${op.npv.toFixed(3)} Brier ${t.calibration?.brier.toFixed(3)} ECE ${t.calibration?.ece.toFixed(3)}` : ''),
      );
    }
    console.log(`saved: ${outDir} (predictions.csv, metrics.json${report ? ', report.html' : ''})`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CliError) throw err;
    return fail(err);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function reportCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: SUBCOMMAND_OPTIONS.report });
  const dir = positionals[0];
  if (!dir) throw new CliError('usage: ecgfm clinical report DIR [--model MODEL]', EXIT.usage);
  if (!existsSync(join(dir, 'metrics.json'))) throw new CliError(`${dir} has no metrics.json: finish \`ecgfm clinical run\` first`, EXIT.notFound);
  const modelPath = values.model ? resolveModel(values.model) : (JSON.parse(readFileSync(join(dir, RUN_FILE), 'utf8')) as { model: { path: string } }).model.path;
  await initBackend();
  const path = await writeClinicalReport(resolve(dir), modelPath).catch((err: unknown) => fail(err));
  if (values.json) printJson({ report: path });
  else console.log(`wrote ${path}`);
  return EXIT.ok;
}

async function onnxCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: SUBCOMMAND_OPTIONS.onnx });
  if (!positionals[0] || !values.out) throw new CliError('usage: ecgfm clinical onnx MODEL --out model.onnx [--verify]', EXIT.usage);
  await initBackend();
  const res = await exportOnnx(resolveModel(positionals[0]), values.out, Boolean(values.verify)).catch((err: unknown) => fail(err));
  if (values.json) printJson({ out: res.path, bytes: res.bytes, opset: 17, maxAbsDiff: res.maxAbsDiff });
  else console.log(`wrote ${res.path} (${res.bytes} bytes, opset 17)${res.maxAbsDiff === null ? '' : `; ORT vs tfjs max |Δlogit| ${res.maxAbsDiff.toExponential(2)}`}`);
  if (res.maxAbsDiff !== null && !(res.maxAbsDiff <= 1e-4)) throw new CliError(`ONNX export differs from tfjs by ${res.maxAbsDiff} (> 1e-4)`);
  return EXIT.ok;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  finetune, export: exportCmd, 'export-probe': exportProbe, import: importCmd, inspect, run: runCmd, report: reportCmd, onnx: onnxCmd,
};

export const command: Command = {
  summary: 'offline clinical evaluation: .ecgfm packages, cohort runs, operating points, calibration, report, ONNX',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    const fn = sub ? SUBCOMMANDS[sub] : undefined;
    if (!fn) throw new CliError(`${sub ? `unknown subcommand "${sub}"\n` : ''}${USAGE}`, EXIT.usage);
    return fn(rest);
  },
};
