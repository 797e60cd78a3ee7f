import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { studyProgressPrinter } from '../progress.js';
import { ReproduceConflict, REPRODUCE_TASKS, runReproduce, type ReproduceResult } from '../../experiments/reproduce.js';
import { BudgetTooSmall, MODEL_CANDIDATES } from '../../experiments/reproduce-plan.js';
import { budgetLine, verdictLines } from '../../reports/reproduce.js';
import { workspaceDir } from '../../workspace.js';

/** `2h`, `90m`, `1h30m`, `45s`, or plain seconds. */
export function parseBudget(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
  if (!t || !m || (!m[1] && !m[2] && !m[3])) throw new CliError(`--budget "${text}" is not a duration; write it as 2h, 90m, 1h30m, 45s or seconds.`, EXIT.usage);
  const s = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (!(s > 0)) throw new CliError(`--budget must be longer than 0, got "${text}".`, EXIT.usage);
  return s;
}

export const command: Command = {
  summary: "the paper's downstream protocol on your PTB-XL data at a time budget, with a verdict on each finding",
  usage:
    'ecgfm reproduce (--ptbxl FOLDER [--ptbxl FOLDER2] | --dataset NAME) --budget 2h [--seeds 3] [--tasks MI,STTC,CD,HYP] [--name NAME] ' +
    `[--max-model 0-${MODEL_CANDIDATES.length - 1}] [--remeasure] [--plan-only] [--json]\n\n` +
    'Pre-trains CL, GL and HL encoders, linear-probes and fine-tunes them against SL, random init and every other baseline, at each seed,\n' +
    'with the data-usage (10/25/50/100 %) and case-ratio (1/2/5 %) simulations; then judges each finding of the paper\'s Tables 4–7\n' +
    'by a paired bootstrap and writes the report with the paper\'s figures beside ours. The budget picks the model, pre-training steps\n' +
    'and fine-tune epochs from step rates measured here (cached for a day; --remeasure measures again); --plan-only prints\n' +
    'that plan and stops. Run it again with the same arguments to resume.',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ptbxl: { type: 'string', multiple: true },
        dataset: { type: 'string' },
        budget: { type: 'string' },
        seeds: { type: 'string' },
        tasks: { type: 'string' },
        name: { type: 'string' },
        'max-model': { type: 'string' },
        'plan-only': { type: 'boolean', default: false },
        remeasure: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.budget) throw new CliError('--budget is required (e.g. --budget 2h).', EXIT.usage);
    if (!values.ptbxl?.length && !values.dataset) throw new CliError('Give the data: --ptbxl FOLDER (repeatable) or --dataset NAME.', EXIT.usage);
    if (values.ptbxl?.length && values.dataset) throw new CliError('Give either --ptbxl folders or --dataset, not both.', EXIT.usage);
    for (const f of values.ptbxl ?? []) if (!existsSync(f)) throw new CliError(`PTB-XL folder ${f} does not exist; give the folder holding ptbxl_database.csv.`, EXIT.notFound);
    const int = (name: string, v: string | undefined, min: number, max = Infinity): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} must be an integer from ${min}${max < Infinity ? ` to ${max}` : ''}, got "${v}".`, EXIT.usage);
      return n;
    };
    const json = values.json === true;
    const log = (line: string) => process.stderr.write(`${line}\n`);
    if (!json) log(`Workspace: ${workspaceDir()}`);
    let result: ReproduceResult;
    try {
      result = await runReproduce({
        ptbxl: values.ptbxl,
        dataset: values.dataset,
        name: values.name,
        budgetSeconds: parseBudget(values.budget),
        seeds: int('seeds', values.seeds, 1),
        tasks: values.tasks ? values.tasks.split(',').map((t) => t.trim()).filter(Boolean) : REPRODUCE_TASKS,
        maxModel: int('max-model', values['max-model'], 0, MODEL_CANDIDATES.length - 1),
        planOnly: values['plan-only'] === true || values['dry-run'] === true,
        remeasure: values.remeasure === true,
        onLog: json ? undefined : log,
        onStudyEvent: json ? undefined : studyProgressPrinter(),
        handleSignals: true,
      });
    } catch (err) {
      if (err instanceof BudgetTooSmall || err instanceof ReproduceConflict) throw new CliError(err.message, EXIT.usage);
      throw err;
    }
    if (result.interrupted) {
      log(`Interrupted after ${Math.round(result.seconds)} s. Run the same command again to continue from the interrupted cell.`);
      return EXIT.interrupted;
    }
    if (json) {
      printJson({ ...result, verdicts: result.verdicts?.map((v) => ({ ...v.finding, paper: v.paper, ours: v.ours, ci: v.ci, seeds: v.seeds, verdict: v.verdict, note: v.note })), report: result.report && { dir: result.report.dir, html: result.report.html, csv: result.report.csv } });
      return EXIT.ok;
    }
    if (!result.verdicts) {
      process.stdout.write(`${result.planText.join('\n')}\n`); // --plan-only
      return EXIT.ok;
    }
    process.stdout.write(`\n${verdictLines(result.verdicts).join('\n')}\n\n${budgetLine(result.seconds, result.plan)}\nReport: ${result.report!.html}\nTables: ${result.report!.dir}\n`);
    return EXIT.ok;
  },
};
