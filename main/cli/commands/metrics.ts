import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { readPredictionCsv, scorePredictions } from '../../evaluation/predictions-csv.js';
import { ciTable, fmt, paperTable } from '../../evaluation/tables.js';
import { CliError, EXIT, printJson, type Command } from '../command.js';

export const command: Command = {
  summary: 'AUROC, AUPRC, F1 with bootstrap CIs and the criteria score from a CSV of predictions',
  usage:
    'ecgfm metrics FILE.csv [--split test] [--tasks MI,STTC,CD,HYP] [--resamples 1000] [--seed 0] [--curves] [--json]\n' +
    '  FILE.csv has label_<task> and score_<task> columns per task and an optional split column (train/val/test);\n' +
    '  with a split column, test rows are scored and F1 thresholds are chosen on val rows.',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        split: { type: 'string' },
        tasks: { type: 'string' },
        resamples: { type: 'string' },
        seed: { type: 'string' },
        curves: { type: 'boolean' },
      },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new CliError('give exactly one CSV file of predictions', EXIT.usage);
    if (!existsSync(file)) throw new CliError(`${file} does not exist`, EXIT.notFound);
    const resamples = values.resamples === undefined ? 1000 : Number(values.resamples);
    if (!Number.isInteger(resamples) || resamples < 1) throw new CliError('--resamples must be a positive integer', EXIT.usage);
    const seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isInteger(seed)) throw new CliError('--seed must be an integer', EXIT.usage);
    const tasks = values.tasks?.split(',').map((t) => t.trim()).filter(Boolean);
    let report;
    try {
      report = scorePredictions(readPredictionCsv(file), file, { resamples, seed, evalSplit: values.split, tasks });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    }
    if (values.json) {
      printJson(
        values.curves
          ? report
          : { ...report, tasks: report.tasks.map(({ roc: _roc, pr: _pr, ...rest }) => rest) },
      );
      return EXIT.ok;
    }
    const names = report.tasks.map((t) => t.task);
    console.log(`${file}: ${report.evaluated} rows; F1 threshold from ${report.thresholdFrom}`);
    console.log('');
    console.log(
      paperTable(['Predictions'], names, [
        {
          keys: [file.split(/[\\/]/).pop() ?? file],
          auroc: report.tasks.map((t) => fmt(t.auroc)),
          auprc: report.tasks.map((t) => fmt(t.auprc)),
          criteria: fmt(report.criteria),
        },
      ]),
    );
    console.log('');
    console.log(ciTable(report.tasks));
    console.log('');
    console.log(
      `95% CIs: percentile bootstrap, ${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed}` +
        (report.tasks.some((t) => t.thresholdSource === 'self') ? '; * threshold chosen on the scored rows themselves' : ''),
    );
    return EXIT.ok;
  },
};
