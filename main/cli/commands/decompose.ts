/** `ecgfm decompose`: risk decomposition of an SSL encoder (paper Table 8, after Dubois et al. 2023). */
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PretrainConfigInput, SslMethod } from '../../../contract/training.js';
import { SSL_METHODS, sslMethodOf } from '../../../contract/vocabulary.js';
import { initBackend } from '../../compute/backend.js';
import { intOption, resolveRunDir, timestamp } from '../../evaluation/cli-support.js';
import { RISK_COMPONENTS, RISK_TITLES, type RiskDecomposition } from '../../evaluation/risk.js';
import { riskTable } from '../../evaluation/tables.js';
import { decompose, type DecomposeOptions } from '../../experiments/decomposition.js';
import { protocolSplit } from '../../experiments/science.js';
import { openStore } from '../../store/store.js';
import { readRunFolderConfig } from '../../training/run-folder.js';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { evaluationDir, openDatasetOrExit, printFooter, trainingOptions, usageErrors, writeResult } from '../evaluation-args.js';

const USAGE = `ecgfm decompose --dataset NAME [how the two SSL encoders are obtained] [options]
  Encoders: the decomposition needs one pre-trained on U and one on U plus the test inputs.
    --encoder RUN --encoder-with-test RUN2   use two existing runs as they are
    --encoder RUN                            pre-train both anew with RUN's settings on --dataset
    --method cl|gl|hl --model P,L,D          pre-train both anew with these settings on --dataset
  U is the split's training part (inputs only, the rule every pre-training follows); the test inputs are added for
  the second encoder.
  --pretrain-epochs N    epochs of each new pre-training (default: the run's, else 5)
  --metric auroc|auprc   error = 1 − metric (default auroc)
  --tasks LIST  --split S  --epochs N (supervised, default 10)  --probe-epochs N (default 100)  --batch-size N
  --seed N  --json  --quiet`;

export const command: Command = {
  summary: 'risk decomposition: approximation, usability, probe and encoder generalization (paper Table 8)',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        dataset: { type: 'string' },
        encoder: { type: 'string' },
        'encoder-with-test': { type: 'string' },
        method: { type: 'string' },
        model: { type: 'string' },
        'pretrain-epochs': { type: 'string' },
        metric: { type: 'string' },
        tasks: { type: 'string' },
        split: { type: 'string' },
        epochs: { type: 'string' },
        'probe-epochs': { type: 'string' },
        'batch-size': { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
    });
    if (!values.dataset) throw new CliError('--dataset NAME is required', EXIT.usage);
    const o = usageErrors(() => {
      const metric = values.metric ?? 'auroc';
      if (metric !== 'auroc' && metric !== 'auprc') throw new Error('--metric must be auroc or auprc');
      if (values.method && !sslMethodOf(values.method)) throw new Error(`--method must be one of ${SSL_METHODS.join(', ')}`);
      return {
        ...trainingOptions(values),
        metric: metric as 'auroc' | 'auprc',
        pretrainEpochs: intOption('pretrain-epochs', values['pretrain-epochs']),
      };
    });
    if (values['encoder-with-test'] && !values.encoder) throw new CliError('--encoder-with-test needs --encoder too', EXIT.usage);
    if (!values.encoder && !(values.method && o.model)) {
      throw new CliError('give --encoder RUN (optionally with --encoder-with-test RUN2), or --method and --model to pre-train', EXIT.usage);
    }

    const backend = await initBackend();
    const dataset = openDatasetOrExit(values.dataset);
    const quiet = Boolean(values.json || values.quiet);
    const say = (line: string) => {
      if (!quiet) process.stderr.write(`${line}\n`);
    };

    // One implementation (main/experiments/decomposition.ts); U is the split's training part (science.ts).
    const split = protocolSplit(dataset, { split: values.split ?? 'strat_fold', seed: o.seed, tasks: o.tasks });
    const stamp = `decompose-${timestamp()}-${Math.random().toString(36).slice(2, 6)}`;
    const runFolder = (ref: string) => {
      try {
        return { runId: basename(resolveRunDir(ref)), dir: resolveRunDir(ref) };
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err), EXIT.notFound);
      }
    };
    let source: string;
    let method: string | undefined = values.method;
    let settings: DecomposeOptions['settings'];
    let encoderU: DecomposeOptions['encoderU'] = null;
    let encoderWithTest: DecomposeOptions['encoderWithTest'] = null;
    if (values.encoder) {
      const u = runFolder(values.encoder);
      let saved;
      try {
        saved = readRunFolderConfig(u.dir);
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err), EXIT.failed);
      }
      if (!saved) throw new CliError(`${u.dir}/config.json has no pre-training settings ("input")`, EXIT.failed);
      const { steps: _steps, resume: _resume, indices: _indices, runId: _runId, dataset: _dataset, ...rest } = saved.input;
      settings = { ...rest, epochs: o.pretrainEpochs ?? saved.input.epochs ?? 5 };
      method = saved.input.method;
      if (values['encoder-with-test']) {
        encoderU = u;
        encoderWithTest = runFolder(values['encoder-with-test']);
        source = `runs ${values.encoder} (U) and ${values['encoder-with-test']} (U ∪ test)`;
      } else source = `new pre-training with the settings of run ${values.encoder}`;
    } else {
      settings = { method: values.method as SslMethod, model: o.model as PretrainConfigInput['model'], epochs: o.pretrainEpochs ?? 5, seed: o.seed };
      source = `new ${values.method} pre-training`;
    }

    let result: RiskDecomposition;
    const store = openStore();
    try {
      ({ result } = await decompose({
        store,
        dataset,
        tasks: o.tasks,
        split,
        seed: o.seed,
        metric: o.metric,
        encoderU,
        encoderWithTest,
        settings,
        runIds: { u: `${stamp}-u`, withTest: `${stamp}-u-test` },
        record: { name: `risk decomposition ${dataset.name} (${source})`, method: (method ?? 'SSL').toUpperCase() },
        supervisedEpochs: o.epochs,
        probeEpochs: o.probeEpochs,
        batchSize: o.batchSize,
        onProgress: (message) => say(message),
      }));
    } catch (err) {
      if (err instanceof Error && /^(dataset|split|no tasks)/.test(err.message)) throw new CliError(err.message, EXIT.usage);
      throw err;
    } finally {
      store.close();
    }
    const outDir = evaluationDir(null, `decompose-${dataset.name}-${timestamp()}`);
    const summary = { ...result, encoders: source, backend: backend.description };
    writeResult(outDir, summary);
    if (values.json) {
      printJson({ ...summary, outDir });
      return EXIT.ok;
    }
    const label = method?.toUpperCase() ?? values.encoder ?? 'SSL';
    console.log(`Table 8 shape — risk decomposition on ${dataset.name}, error = 1 − ${o.metric.toUpperCase()}; encoders: ${source}`);
    console.log(`split: ${result.split}`);
    console.log('');
    console.log(
      riskTable(
        RISK_COMPONENTS.map((c) => ({
          title: RISK_TITLES[c],
          rows: [{ label, values: result.components[c], average: result.averages[c] }],
        })),
        result.tasks,
      ),
    );
    console.log('');
    console.log(
      riskTable([{ title: 'Usual test error (sum of the four)', rows: [{ label, values: result.total, average: result.total.reduce((a, b) => a + b, 0) / result.total.length }] }], result.tasks),
    );
    printFooter(backend.description, join(outDir, 'result.json'));
    return EXIT.ok;
  },
};
