/** `ecgfm evaluate`: linear probe, fine-tune and the baselines of a pre-trained encoder, as the paper's Tables 4–5. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../compute/backend.js';
import { listOption, progressLines, timestamp, type LoadedRun } from '../../evaluation/cli-support.js';
import { DEFAULT_TASKS, evaluate, predictionsCsv, PROTOCOL_TITLES, PROTOCOLS, type EvaluationProgress, type EvaluationResult } from '../../evaluation/evaluate.js';
import { trainingBar } from '../progress.js';
import { writeProbeFile } from '../../clinical/probe.js';
import { resolveVitConfig } from '../../models/vit.js';
import { ciTable, fmt, paperTable } from '../../evaluation/tables.js';
import { resnet1dOnnx } from '../../onnx/train/resnet-train.js';
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
  RECIPE_USAGE,
  usageErrors,
  writeResult,
} from '../evaluation-args.js';

const USAGE = `ecgfm evaluate --encoder RUN --dataset NAME [options]
  --encoder RUN          run id under <workspace>/runs (or a run folder); its best checkpoint, else its last
  --dataset NAME         a dataset imported with \`ecgfm datasets import\`
  --protocols LIST       ${PROTOCOLS.join(',')} (default: linear,finetune,supervised,random-linear;
                         without --encoder: supervised,random-linear). resnet1d is the 1-D ResNet CNN baseline
                         (~350 k weights, trained from scratch on ONNX Runtime; needs neither --encoder nor --model)
  --model P,L,D          architecture for the random-init ViT baselines when no --encoder is given
  --tasks LIST           binary labels to predict (default ${DEFAULT_TASKS.join(',')})
  --split S              strat_fold (folds 1–8/9/10, default) or patient[:0.2] (80/20 by patient, seeded)
  --epochs N             fine-tune / supervised / resnet1d epochs (default 10); --probe-epochs N for linear probes (default 100)
  --batch-size N  --lr X  --probe-lr X  --resnet-lr X (default 1e-3)  --seed N  --resamples N (bootstrap, default 1000)
${RECIPE_USAGE}
  --engine auto|tfjs|ort  (training steps and embeddings; auto measures once per machine and model)
  --single-task          one head per task instead of one output per task
                         (resnet1d writes each trained network as resnet1d-<tasks>.onnx beside result.json)
  --json  --curves (include ROC/PR points in JSON)  --quiet (no progress lines)`;

export const command: Command = {
  summary: 'linear probe, fine-tune and baselines on a labelled dataset (paper Tables 4–5)',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        encoder: { type: 'string' },
        dataset: { type: 'string' },
        protocols: { type: 'string' },
        model: { type: 'string' },
        ...TRAINING_ARGS,
        'single-task': { type: 'boolean' },
        curves: { type: 'boolean' },
      },
    });
    if (!values.dataset) throw new CliError('--dataset NAME is required', EXIT.usage);
    const opts = usageErrors(() => trainingOptions(values));
    const vitDefault = PROTOCOLS.filter((p) => p !== 'resnet1d');
    const protocols = usageErrors(() => checkProtocols(listOption(values.protocols, values.encoder ? vitDefault : ['supervised', 'random-linear'])));
    if (!values.encoder && !opts.model && protocols.some((p) => p !== 'resnet1d'))
      throw new CliError('give --encoder RUN (or --model P,L,D for the random-init baselines only; --protocols resnet1d needs neither)', EXIT.usage);
    requireEncoderFor(protocols, values.encoder);

    const backend = await initBackend();
    const dataset = openDatasetOrExit(values.dataset);
    const run = await loadRunOrExit(values.encoder);
    const outDir = evaluationDir(run, `${dataset.name}-${opts.split.kind}-${timestamp()}`);
    const results: EvaluationResult[] = [];
    const probes: string[] = [];
    const quiet = Boolean(values.json || values.quiet);
    // Epoch lines, with a bar (step, samples/s, time left) between them on a terminal.
    const lines = progressLines('', quiet);
    const bar = trainingBar();
    const progress = (p: EvaluationProgress) => {
      if (quiet) return;
      if (p.step) bar.step(p.step);
      else {
        bar.done();
        lines(p);
      }
    };
    try {
      for (const protocol of protocols) {
        const result = await evaluate({
          ...protocolInputs(opts, run, dataset, protocol),
          resamples: opts.resamples,
          singleTask: values['single-task'],
          onProgress: progress,
          // The CNN baseline is kept as a self-contained ONNX model any runtime can score.
          onResNet1d: (m) => {
            mkdirSync(outDir, { recursive: true });
            const stem = `resnet1d-${m.tasks.join('_')}`;
            writeFileSync(join(outDir, `${stem}.onnx`), resnet1dOnnx(m));
            writeFileSync(join(outDir, `${stem}.json`), JSON.stringify({ tasks: m.tasks, config: m.config, input: 'signals [1, 12, 2500]: standardised ECGs, 250 Hz, 10 s, mV', outputs: ['logits', 'probabilities'] }, null, 2));
          },
        });
        results.push(result);
        mkdirSync(outDir, { recursive: true });
        writeFileSync(join(outDir, `predictions-${protocol}.csv`), predictionsCsv(result, dataset));
        // A linear probe is kept, so `ecgfm clinical export-probe` can package it with its encoder.
        const encoderInfo = run ? { runId: run.runId, runDir: run.runDir, checkpoint: run.checkpointPath, config: run.encoder.config } : null;
        const probeFile = writeProbeFile(outDir, result, dataset, encoderInfo, run?.encoder.config ?? resolveVitConfig(opts.model!));
        if (probeFile) probes.push(protocol);
      }
    } catch (err) {
      if (err instanceof Error && /^(dataset|split|unknown split|no tasks|protocol)/.test(err.message)) {
        throw new CliError(err.message, EXIT.usage);
      }
      throw err;
    } finally {
      run?.encoder.dispose();
    }
    const summary = {
      run: run ? { id: run.runId, dir: run.runDir, checkpoint: run.checkpoint } : null,
      dataset: dataset.name,
      backend: backend.description,
      outDir,
      results: values.curves ? results : results.map(withoutCurves),
    };
    writeResult(outDir, { ...summary, results: results.map(({ probe: _probe, ...r }) => r) });
    if (values.json) {
      printJson(summary);
      return EXIT.ok;
    }
    printResults(results, run, opts.tasks);
    for (const r of results) console.log(`engine (${r.protocol}): ${r.engine}`);
    printFooter(backend.description, `${outDir} (result.json; predictions-<protocol>.csv, readable by \`ecgfm metrics\`)`);
    for (const p of probes) console.log(`probe package: \`ecgfm clinical export-probe ${outDir} --protocol ${p} --out ${p}-probe.ecgfm\``);
    return EXIT.ok;
  },
};

function withoutCurves(r: EvaluationResult): Omit<EvaluationResult, 'metrics' | 'val' | 'test' | 'probe'> & { metrics: unknown[] } {
  const { val: _val, test: _test, probe: _probe, ...rest } = r;
  return { ...rest, metrics: r.metrics.map(({ roc: _roc, pr: _pr, ...m }) => m) };
}

function printResults(results: EvaluationResult[], run: LoadedRun | null, tasks: string[]): void {
  const first = results[0];
  if (!first) return;
  console.log(`${first.dataset}: ${first.split.description}`);
  console.log(`records: train ${first.split.train}, validation ${first.split.val}, test ${first.split.test}${run ? `; encoder ${run.runId} (${run.checkpoint})` : ''}`);
  console.log('');
  console.log(
    paperTable(
      ['', 'Patch', 'Depth', 'Dim'],
      tasks,
      results.map((r) => ({
        keys: r.model ? [PROTOCOL_TITLES[r.protocol], '-', '-', '-'] : [PROTOCOL_TITLES[r.protocol], String(r.encoder.patch), String(r.encoder.depth), String(r.encoder.dim)],
        auroc: r.metrics.map((m) => fmt(m.auroc)),
        auprc: r.metrics.map((m) => fmt(m.auprc)),
        criteria: fmt(r.criteria),
      })),
    ),
  );
  for (const r of results) {
    console.log('');
    const epochs = r.chosenEpochs.map((e, k) => `${e}/${r.epochsRun[k]}`).join(', ');
    console.log(`${PROTOCOL_TITLES[r.protocol]}: early stopping on validation AUROC chose epoch ${epochs} (${r.seconds.toFixed(1)} s)`);
    if (r.model) console.log(r.model.description);
    console.log(ciTable(r.metrics));
  }
}
