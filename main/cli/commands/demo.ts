import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { DEMO_DEFAULTS, runDemo, type DemoResult } from '../../experiments/demo.js';
import { StudyConfigConflict } from '../../experiments/study.js';
import { studyProgressPrinter } from '../progress.js';
import { workspaceDir } from '../../workspace.js';

const positiveInt = (name: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${name} must be a positive integer, got "${v}".`, EXIT.usage);
  return n;
};

export const command: Command = {
  summary: 'the whole study in one command: cohort → CL/GL/HL pre-training → probing and fine-tuning vs baselines → report',
  usage: 'ecgfm demo [--ptbxl FOLDER] [--patients N] [--steps N] [--patches 125,250] [--seed N] [--name STUDY] [--full] [--probe-epochs N] [--finetune-epochs N] [--checkpoint-every N] [--json]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ptbxl: { type: 'string' },
        patients: { type: 'string' },
        steps: { type: 'string' },
        patches: { type: 'string' },
        seed: { type: 'string' },
        name: { type: 'string' },
        'probe-epochs': { type: 'string' },
        'finetune-epochs': { type: 'string' },
        'checkpoint-every': { type: 'string' },
        full: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (values.ptbxl && !existsSync(values.ptbxl))
      throw new CliError(`PTB-XL folder ${values.ptbxl} does not exist; give the folder holding ptbxl_database.csv.`, EXIT.notFound);
    const json = values.json === true;
    const log = (line: string) => process.stderr.write(`${line}\n`);
    if (!json) log(`Workspace: ${workspaceDir()}`);
    let result: DemoResult;
    try {
      result = await runDemo({
        ptbxl: values.ptbxl,
        patients: positiveInt('patients', values.patients, DEMO_DEFAULTS.patients),
        steps: positiveInt('steps', values.steps, DEMO_DEFAULTS.steps),
        patches: values.patches === undefined ? DEMO_DEFAULTS.patches : values.patches.split(',').map((p) => positiveInt('patches', p.trim(), 0)),
        seed: values.seed === undefined ? DEMO_DEFAULTS.seed : positiveInt('seed', values.seed, DEMO_DEFAULTS.seed),
        name: values.name,
        full: values.full === true,
        probeEpochs: values['probe-epochs'] === undefined ? undefined : positiveInt('probe-epochs', values['probe-epochs'], 1),
        finetuneEpochs: values['finetune-epochs'] === undefined ? undefined : positiveInt('finetune-epochs', values['finetune-epochs'], 1),
        checkpointEvery: values['checkpoint-every'] === undefined ? undefined : positiveInt('checkpoint-every', values['checkpoint-every'], 1),
        onLog: json ? undefined : log,
        onStudyEvent: json ? undefined : studyProgressPrinter(),
        handleSignals: true,
      });
    } catch (err) {
      if (err instanceof StudyConfigConflict)
        throw new CliError(
          `This workspace already holds a "${err.studyName}" study made with other settings. Give this one its own name (--name demo2) or use another workspace (ECGFM_WORKSPACE=…).`,
          EXIT.usage,
        );
      throw err;
    }
    if (result.jobStatus === 'paused') {
      log(`Interrupted. Run \`ecgfm demo\` again to continue from the interrupted cell (report so far: ${result.report.html}).`);
      return EXIT.interrupted;
    }
    if (json) {
      const { report, ...rest } = result;
      printJson({ ...rest, report: { dir: report.dir, html: report.html, csv: report.csv } });
    }
    else {
      const hl = result.report.tables.find((t) => t.id === 'table5_fine_tuning');
      if (hl) {
        process.stdout.write(`\n${hl.title}\n${hl.columns.join('\t')}\n${hl.rows.map((r) => r.map((v) => v ?? '').join('\t')).join('\n')}\n`);
      }
      const v = result.verdict;
      const f = (x: number | null) => (x === null ? '-' : x.toFixed(3));
      process.stdout.write(
        `\nAUROC        ${v.tasks.map((t) => t.padStart(6)).join(' ')}\n` +
          `HL fine-tune ${v.hlFinetune.map((x) => f(x).padStart(6)).join(' ')}\n` +
          `Random init  ${v.randomInit.map((x) => f(x).padStart(6)).join(' ')}\n` +
          `SL           ${v.supervised.map((x) => f(x).padStart(6)).join(' ')}\n` +
          `HL fine-tuned ${v.beatsRandomInit ? 'beats' : 'does NOT beat'} the random-init baseline on every task; ` +
          `its criteria score is ${v.beatsSupervisedOnCriteria ? 'above' : 'not above'} SL's.\n`,
      );
      process.stdout.write(`\nReport: ${result.report.html}\nTables: ${result.report.dir}\nDone in ${result.seconds.toFixed(0)} s.\n`);
    }
    return result.summary.failed + result.summary.oom > 0 || result.jobStatus === 'failed' ? EXIT.failed : EXIT.ok;
  },
};
