/** `ecgfm simulate`: data-usage and case-ratio simulations, as the paper's Tables 6 and 7 (mean ± sd over seeds). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../compute/backend.js';
import { openDataset } from '../../data/registry.js';
import {
  intOption,
  listOption,
  loadRun,
  modelOption,
  numberOption,
  progressLines,
  runEmbeddingCache,
  splitOption,
  timestamp,
  type LoadedRun,
} from '../../evaluation/cli-support.js';
import { DEFAULT_TASKS, PROTOCOLS, type Protocol } from '../../evaluation/evaluate.js';
import { runSimulation, type SimulationKind, type SimulationResult } from '../../evaluation/simulate.js';
import { CASE_RATIOS, DATA_USAGE_FRACTIONS } from '../../evaluation/splits.js';
import { fmt, fmtMeanSd, paperTable } from '../../evaluation/tables.js';
import { workspacePath } from '../../workspace.js';
import { CliError, EXIT, printJson, type Command } from '../command.js';

const KINDS = ['data-usage', 'case-ratio'] as const;

const USAGE = `ecgfm simulate --dataset NAME (--encoder RUN | --model P,L,D) [options]
  --kind K               data-usage (Table 6), case-ratio (Table 7) or both (default both)
  --protocols LIST       default: supervised,finetune with --encoder (the paper's SL baseline and fine-tuning);
                         supervised with --model only; also linear, random-linear
  --usage LIST           data-usage fractions (default ${DATA_USAGE_FRACTIONS.join(',')})
  --ratios LIST          case ratios (default ${CASE_RATIOS.join(',')})
  --repeats R            seeds per level, reported as mean ± sd (default 3)
  --tasks LIST  --split S  --epochs N  --probe-epochs N  --batch-size N  --lr X  --probe-lr X  --patience N
  --seed N  --resamples N  --json  --quiet`;

const METHOD_LABEL: Record<Protocol, string> = {
  supervised: 'SL',
  finetune: 'Fine-tune',
  linear: 'Linear probe',
  'random-linear': 'Random Init',
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
        tasks: { type: 'string' },
        split: { type: 'string' },
        epochs: { type: 'string' },
        'probe-epochs': { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        'probe-lr': { type: 'string' },
        patience: { type: 'string' },
        seed: { type: 'string' },
        resamples: { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
    });
    if (!values.dataset) throw new CliError('--dataset NAME is required', EXIT.usage);
    let o;
    try {
      const seed = intOption('seed', values.seed, 0) ?? 0;
      const kind = values.kind ?? 'both';
      if (kind !== 'both' && !(KINDS as readonly string[]).includes(kind)) throw new Error(`--kind must be data-usage, case-ratio or both`);
      o = {
        seed,
        kinds: (kind === 'both' ? [...KINDS] : [kind]) as SimulationKind[],
        protocols: listOption(values.protocols, values.encoder ? ['supervised', 'finetune'] : ['supervised']),
        usage: fractionList(values.usage, DATA_USAGE_FRACTIONS, '--usage'),
        ratios: fractionList(values.ratios, CASE_RATIOS, '--ratios'),
        repeats: intOption('repeats', values.repeats) ?? 3,
        tasks: listOption(values.tasks, DEFAULT_TASKS),
        split: splitOption(values.split, seed),
        model: modelOption(values.model),
        epochs: intOption('epochs', values.epochs),
        probeEpochs: intOption('probe-epochs', values['probe-epochs']),
        batchSize: intOption('batch-size', values['batch-size']),
        lr: numberOption('lr', values.lr),
        probeLr: numberOption('probe-lr', values['probe-lr']),
        patience: intOption('patience', values.patience),
        resamples: intOption('resamples', values.resamples),
      };
      for (const p of o.protocols) if (!(PROTOCOLS as readonly string[]).includes(p)) throw new Error(`unknown protocol "${p}": use ${PROTOCOLS.join(', ')}`);
      if (o.ratios.some((r) => r >= 1)) throw new Error('--ratios must be below 1');
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), EXIT.usage);
    }
    if (!values.encoder && !o.model) throw new CliError('give --encoder RUN, or --model P,L,D for the supervised baseline only', EXIT.usage);
    if (!values.encoder && o.protocols.some((p) => p === 'linear' || p === 'finetune')) {
      throw new CliError('linear and finetune need a pre-trained encoder: give --encoder RUN', EXIT.usage);
    }

    const backend = await initBackend();
    let dataset;
    let run: LoadedRun | null = null;
    try {
      dataset = openDataset(values.dataset);
      if (values.encoder) run = await loadRun(values.encoder);
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), EXIT.notFound);
    }
    const quiet = Boolean(values.json || values.quiet);
    const results: SimulationResult[] = [];
    try {
      for (const kind of o.kinds) {
        for (const protocol of o.protocols as Protocol[]) {
          const probe = protocol === 'linear' || protocol === 'random-linear';
          const lines = progressLines(`${kind} `, quiet);
          results.push(
            await runSimulation({
              kind,
              levels: kind === 'data-usage' ? o.usage : o.ratios,
              repeats: o.repeats,
              encoder: run?.encoder ?? null,
              config: o.model,
              protocol,
              dataset,
              tasks: o.tasks,
              split: o.split,
              seed: o.seed,
              epochs: probe ? o.probeEpochs : o.epochs,
              batchSize: o.batchSize,
              learningRate: probe ? o.probeLr : o.lr,
              patience: o.patience,
              resamples: o.resamples ?? 200,
              embeddingCache: run ? runEmbeddingCache(run, dataset) : undefined,
              onProgress: (p) => lines(p.inner),
            }),
          );
        }
      }
    } finally {
      run?.encoder.dispose();
    }
    const outDir = join(run ? join(run.runDir, 'evaluations') : workspacePath('evaluations'), `simulate-${dataset.name}-${timestamp()}`);
    mkdirSync(outDir, { recursive: true });
    const summary = { run: run ? { id: run.runId, checkpoint: run.checkpoint } : null, dataset: dataset.name, backend: backend.description, outDir, results };
    writeFileSync(join(outDir, 'result.json'), JSON.stringify(summary, null, 2));
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
    console.log(`backend: ${backend.description}`);
    console.log(`saved: ${join(outDir, 'result.json')}`);
    return EXIT.ok;
  },
};
