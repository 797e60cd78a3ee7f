/** `ecgfm simulate`: data-usage and case-ratio simulations, as the paper's Tables 6 and 7 (mean ± sd over seeds). */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../compute/backend.js';
import { intOption, listOption, progressLines, timestamp } from '../../evaluation/cli-support.js';
import type { Protocol } from '../../evaluation/evaluate.js';
import { runSimulation, type SimulationKind, type SimulationResult } from '../../evaluation/simulate.js';
import { CASE_RATIOS, DATA_USAGE_FRACTIONS } from '../../evaluation/splits.js';
import { fmt, fmtMeanSd, paperTable } from '../../evaluation/tables.js';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import {
  checkProtocols,
  evaluationDir,
  loadRunOrExit,
  openDatasetOrExit,
  printFooter,
  protocolInputs,
  requireEncoderFor,
  TRAINING_ARGS,
  trainingOptions,
  usageErrors,
  writeResult,
} from '../evaluation-args.js';

const KINDS = ['data-usage', 'case-ratio'] as const;

const USAGE = `ecgfm simulate --dataset NAME (--encoder RUN | --model P,L,D) [options]
  --kind K               data-usage (Table 6), case-ratio (Table 7) or both (default both)
  --protocols LIST       default: supervised,finetune with --encoder (the paper's SL baseline and fine-tuning);
                         supervised with --model only; also linear, random-linear
  --usage LIST           data-usage fractions (default ${DATA_USAGE_FRACTIONS.join(',')})
  --ratios LIST          case ratios (default ${CASE_RATIOS.join(',')})
  --repeats R            seeds per level, reported as mean ± sd (default 3)
  --tasks LIST  --split S  --epochs N  --probe-epochs N  --batch-size N  --lr X  --probe-lr X  --patience N
  --warmup-epochs X  --schedule cosine|constant  --min-lr-ratio X  --layer-decay X (the recipe: see ecgfm evaluate)
  --seed N  --resamples N  --json  --quiet`;

const METHOD_LABEL: Record<Protocol, string> = {
  supervised: 'SL',
  finetune: 'Fine-tune',
  linear: 'Linear probe',
  'random-linear': 'Random Init',
  resnet1d: 'ResNet1d',
};

function fractionList(value: string | undefined, fallback: readonly number[], what: string): number[] {
  const items = listOption(value, fallback.map(String)).map((s) => Number(s.replace(/%$/, '')) / (s.endsWith('%') ? 100 : 1));
  for (const v of items) if (!(v > 0 && v <= 1)) throw new Error(`${what} must be fractions in (0, 1] such as 0.1 or 10%`);
  return items;
}

export const command: Command = {
  summary: 'data-usage and case-ratio simulations over seeds (paper Tables 6–7)',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        encoder: { type: 'string' },
        dataset: { type: 'string' },
        model: { type: 'string' },
        kind: { type: 'string' },
        protocols: { type: 'string' },
        usage: { type: 'string' },
        ratios: { type: 'string' },
        repeats: { type: 'string' },
        ...TRAINING_ARGS,
      },
    });
    if (!values.dataset) throw new CliError('--dataset NAME is required', EXIT.usage);
    const o = usageErrors(() => {
      const kind = values.kind ?? 'both';
      if (kind !== 'both' && !(KINDS as readonly string[]).includes(kind)) throw new Error(`--kind must be data-usage, case-ratio or both`);
      const ratios = fractionList(values.ratios, CASE_RATIOS, '--ratios');
      if (ratios.some((r) => r >= 1)) throw new Error('--ratios must be below 1');
      return {
        ...trainingOptions(values),
        kinds: (kind === 'both' ? [...KINDS] : [kind]) as SimulationKind[],
        protocols: checkProtocols(listOption(values.protocols, values.encoder ? ['supervised', 'finetune'] : ['supervised'])),
        usage: fractionList(values.usage, DATA_USAGE_FRACTIONS, '--usage'),
        ratios,
        repeats: intOption('repeats', values.repeats) ?? 3,
      };
    });
    if (!values.encoder && !o.model) throw new CliError('give --encoder RUN, or --model P,L,D for the supervised baseline only', EXIT.usage);
    requireEncoderFor(o.protocols, values.encoder);

    const backend = await initBackend();
    const dataset = openDatasetOrExit(values.dataset);
    const run = await loadRunOrExit(values.encoder);
    const quiet = Boolean(values.json || values.quiet);
    const results: SimulationResult[] = [];
    try {
      for (const kind of o.kinds) {
        for (const protocol of o.protocols) {
          const lines = progressLines(`${kind} `, quiet);
          results.push(
            await runSimulation({
              ...protocolInputs(o, run, dataset, protocol),
              kind,
              levels: kind === 'data-usage' ? o.usage : o.ratios,
              repeats: o.repeats,
              resamples: o.resamples ?? 200,
              onProgress: (p) => lines(p.inner),
            }),
          );
        }
      }
    } finally {
      run?.encoder.dispose();
    }
    const outDir = evaluationDir(run, `simulate-${dataset.name}-${timestamp()}`);
    const summary = { run: run ? { id: run.runId, checkpoint: run.checkpoint } : null, dataset: dataset.name, backend: backend.description, outDir, results };
    writeResult(outDir, summary);
    if (values.json) {
      printJson(summary);
      return EXIT.ok;
    }
    for (const kind of o.kinds) {
      const mine = results.filter((r) => r.kind === kind);
      const first = mine[0];
      if (!first) continue;
      console.log('');
      console.log(
        kind === 'data-usage'
          ? `Table 6 shape — data usage (% of the training split), mean ± sd over ${first.repeats} seed(s)`
          : `Table 7 shape — case ratio (positives' share of the training split, per task), mean ± sd over ${first.repeats} seed(s)`,
      );
      console.log(
        paperTable(
          ['', kind === 'data-usage' ? 'Data Usage (%)' : 'Case Ratio (%)', 'train n'],
          first.tasks,
          mine.flatMap((r) =>
            r.rows.map((row, k) => ({
              keys: [k === 0 ? `${METHOD_LABEL[r.protocol]}${run && r.protocol !== 'supervised' ? ` (${run.runId})` : ''}` : '', row.label, fmt(row.trainSize, 0)],
              auroc: row.aurocValues.map((v) => fmtMeanSd(v)),
              auprc: row.auprcValues.map((v) => fmtMeanSd(v)),
              criteria: fmtMeanSd(row.criteriaValues),
            })),
          ),
        ),
      );
    }
    console.log('');
    console.log(`split: ${results[0]?.split ?? ''}`);
    printFooter(backend.description, join(outDir, 'result.json'));
    return EXIT.ok;
  },
};
