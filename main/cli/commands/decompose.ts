/** `ecgfm decompose`: risk decomposition of an SSL encoder (paper Table 8, after Dubois et al. 2023). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PretrainConfigInput, SslMethod } from '../../../contract/training.js';
import { SSL_METHODS, sslMethodOf } from '../../../contract/vocabulary.js';
import { initBackend } from '../../compute/backend.js';
import { intOption, loadRun, resolveRunDir, timestamp } from '../../evaluation/cli-support.js';
import { RISK_COMPONENTS, RISK_TITLES, riskDecomposition, type RiskDecomposition } from '../../evaluation/risk.js';
import { makeSplit } from '../../evaluation/splits.js';
import { riskTable } from '../../evaluation/tables.js';
import { loadEncoder } from '../../models/encoder.js';
import type { Encoder } from '../../models/types.js';
import { pretrain } from '../../training/pretrain.js';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { evaluationDir, openDatasetOrExit, printFooter, trainingOptions, usageErrors, writeResult } from '../evaluation-args.js';

const USAGE = `ecgfm decompose --dataset NAME [how the two SSL encoders are obtained] [options]
  Encoders: the decomposition needs one pre-trained on U and one on U plus the test inputs.
    --encoder RUN --encoder-with-test RUN2   use two existing runs as they are
    --encoder RUN                            pre-train both anew with RUN's settings on --dataset
    --method cl|gl|hl --model P,L,D          pre-train both anew with these settings on --dataset
  U is the split's train ∪ validation records (their inputs only); the test part is added for the second encoder.
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

    let pretrainEncoder: (extra?: number[]) => Promise<Encoder>;
    let source: string;
    let method: string | undefined = values.method;
    if (values.encoder && values['encoder-with-test']) {
      const [u, ut] = [values.encoder, values['encoder-with-test']];
      source = `runs ${u} (U) and ${ut} (U ∪ test)`;
      pretrainEncoder = async (extra) => (await loadRun(extra ? ut : u)).encoder;
    } else {
      let base: PretrainConfigInput;
      if (values.encoder) {
        let runDir: string;
        try {
          runDir = resolveRunDir(values.encoder);
        } catch (err) {
          throw new CliError(err instanceof Error ? err.message : String(err), EXIT.notFound);
        }
        const cfg = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { input?: PretrainConfigInput };
        if (!cfg.input) throw new CliError(`${runDir}/config.json has no pre-training settings ("input")`, EXIT.failed);
        base = cfg.input;
        method = base.method;
        source = `new pre-training with the settings of run ${values.encoder}`;
      } else {
        base = { method: values.method as SslMethod, dataset: dataset.name, model: o.model as PretrainConfigInput['model'], epochs: 5 };
        source = `new ${values.method} pre-training`;
      }
      const split = makeSplit(dataset, o.split, o.tasks);
      const u = [...split.train, ...split.val].sort((a, b) => a - b);
      const stamp = `decompose-${timestamp()}-${Math.random().toString(36).slice(2, 6)}`;
      pretrainEncoder = async (extra) => {
        const indices = extra ? [...u, ...extra].sort((a, b) => a - b) : u;
        const runId = `${stamp}-${extra ? 'u-test' : 'u'}`;
        say(`pre-training ${runId} on ${indices.length} records of ${dataset.name}`);
        const { steps: _steps, resume: _resume, ...rest } = base;
        const result = await pretrain({
          ...rest,
          dataset: dataset.name,
          indices,
          runId,
          epochs: o.pretrainEpochs ?? base.epochs ?? 5,
          seed: base.seed ?? o.seed,
        });
        return loadEncoder(result.runDir);
      };
    }

    let result: RiskDecomposition;
    try {
      result = await riskDecomposition({
        dataset,
        tasks: o.tasks,
        split: o.split,
        seed: o.seed,
        metric: o.metric,
        pretrainEncoder,
        supervisedEpochs: o.epochs,
        probeEpochs: o.probeEpochs,
        batchSize: o.batchSize,
        onProgress: (p) => {
          if (!p.inner) say(`[e${p.setting}] ${p.title}`);
          else if (p.inner.phase === 'training' && p.inner.epoch && p.inner.epoch.epoch % 10 === 0) {
            say(`[e${p.setting}] ${p.title}: epoch ${p.inner.epoch.epoch} val AUROC ${p.inner.epoch.valMeanAuroc.toFixed(4)}`);
          }
        },
      });
    } catch (err) {
      if (err instanceof Error && /^(dataset|split|no tasks)/.test(err.message)) throw new CliError(err.message, EXIT.usage);
      throw err;
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
