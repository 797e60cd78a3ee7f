import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { SSL_METHODS, type PretrainConfigInput, type PretrainResult, type ProgressEvent, type SslMethod, type TrainingEngine, type ValidationLosses, type AugmentSettings } from '../../../contract/training.js';
import { parseEngine } from '../../training/engine-name.js';
import { LR_SCHEDULES, type LrSchedule } from '../../../contract/vocabulary.js';
import { bar } from '../progress.js';
import { samplingLines } from '../sampling.js';

const USAGE = `ecgfm pretrain --method cl|gl|hl --dataset NAME [--dataset NAME2 …] [--patch 125] [--depth 4] [--dim 512]
       [--steps N | --epochs N] [--batch-size 32] [--lr 1e-4] [--weight-decay 1e-5] [--seed 0]
       [--warmup N] [--schedule cosine|constant] [--min-lr-ratio 0.01] [--clip NORM] [--mask-ratio 0.75] [--tau 0.1]
       [--heads H] [--pooling cls|mean] [--checkpoint-every 500] [--keep-last 3] [--log-every 10]
       [--augment shift=0.1,scale=0.2,noise=0.02,wander=0.1,leadDropout=0.1,cropMin=0|none]
       [--validate-every 50] [--validation-batches 8] [--no-validation]
       [--exclude-flags clipped,constant|none] [--engine auto|tfjs|ort] [--split auto|strat_fold|patient[:0.2]]
       [--tasks MI,STTC,CD,HYP] [--source-weights A=1,B=2] [--patient-pair-rate 0.5] [--pairs-per-batch 1]
       [--run-id ID] [--resume] [--json]
--dataset: one dataset, or several (repeat it or give a comma list) pre-trained on together, as the paper pools
  five sources (its Table 1). Each source gives only the training part of its own split (see --split). An epoch draws
  as many ECGs as the sources hold together; by default each source in proportion to its records, or by
  --source-weights (a weight for every source: ptbxl=1,code15=2 draws two code15 ECGs for each PTB-XL one, repeating
  a small source's records or covering a large one's over several epochs). The summary counts the ECGs seen per source.
--patient-pair-rate R (CL, HL): at least a fraction R of batches holds --pairs-per-batch pairs of ECGs of one patient
  (the patient-level InfoNCE has a term only in such batches), drawing more ECGs of patients who have several when
  pairs are too few; without it, a patient's ECGs share a batch as they fall. The summary reports the fraction of
  batches with a pair and the pairs per batch, and a source whose patients each have one ECG is named once.
--exclude-flags: records with these quality flags stay out (default clipped,constant; the run's config.json counts them).
--split: pre-training reads only the training part of the split the evaluation will use (auto: PTB-XL folds 1–8 where
  the dataset has folds, else the patient split stratified on --tasks); the run records those records in the store.
--warmup: linear warm-up steps (default 5 % of the run), then cosine decay to --min-lr-ratio × lr (--schedule constant keeps lr).
--augment: strengths of the contrastive views' augmentations (CL/HL); those not named keep their defaults, 0 or
  'none' switches them off.
--validate-every: the loss terms on fixed batches of the split's validation part (monitoring only, never trained on)
  go to metrics.jsonl as val_* with ln_batch, the InfoNCE chance level ln(batch), at step 0, every N steps and at the end.
A run id is used once: a second run with the same --run-id refuses unless --resume.`;

function number(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a number, got "${v}"`, EXIT.usage);
  return n;
}

/** `A=1,B=2` → weight per source; every source needs one, and no other name may appear. */
function parseWeights(text: string | undefined, names: string[]): Map<string, number> | null {
  if (text === undefined) return null;
  const out = new Map<string, number>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(.+)$/.exec(part);
    const w = m ? Number(m[2]) : NaN;
    if (!m || !(Number.isFinite(w) && w > 0)) throw new CliError(`--source-weights: "${part}" is not NAME=WEIGHT with a weight > 0`, EXIT.usage);
    const name = m[1]!.trim();
    if (!names.includes(name)) throw new CliError(`--source-weights names ${name}, which is not a --dataset (${names.join(', ')})`, EXIT.usage);
    out.set(name, w);
  }
  const missing = names.filter((n) => !out.has(n));
  if (missing.length) throw new CliError(`--source-weights needs a weight for every dataset; missing: ${missing.join(', ')}`, EXIT.usage);
  return out;
}

function duration(s: number): string {
  if (!Number.isFinite(s) || s <= 0) return '--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

/** `steps`: how many steps the event's losses average (the steps since the previous progress line). */
function progressLine(e: ProgressEvent, steps: number): string {
  const parts = (['recon', 'patient', 'sample'] as const).filter((k) => e.losses[k] !== undefined).map((k) => `${k} ${e.losses[k]!.toFixed(4)}`);
  const frac = e.step / e.totalSteps;
  return `${bar(frac)} ${e.step}/${e.totalSteps} loss ${e.losses.total.toFixed(4)}${parts.length ? ` (${parts.join(', ')})` : ''} [mean of last ${steps} step${steps === 1 ? '' : 's'}] ` +
    `${e.samplesPerSec.toFixed(1)} samples/s ETA ${duration(e.etaSeconds)}`;
}

const AUGMENT_KEYS = ['shift', 'cropMin', 'scale', 'noise', 'wander', 'wanderHz', 'leadDropout'] as const;

/** `--augment none` or `name=value,…` → augmentation strengths (unnamed ones keep the engine's defaults). */
function augmentOption(v: string | undefined): AugmentSettings | undefined {
  if (v === undefined) return undefined;
  if (v === 'none') return Object.fromEntries(AUGMENT_KEYS.map((k) => [k, 0]));
  const out: AugmentSettings = {};
  for (const part of v.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [key, value] = part.split('=');
    if (!(AUGMENT_KEYS as readonly string[]).includes(key ?? '')) throw new CliError(`--augment: unknown augmentation "${key}" (use ${AUGMENT_KEYS.join(', ')}, or none)`, EXIT.usage);
    if (value === undefined || value === '') throw new CliError(`--augment ${key} needs a value: ${key}=X`, EXIT.usage);
    out[key as (typeof AUGMENT_KEYS)[number]] = number(`augment ${key}`, value);
  }
  return out;
}

/** One line per validation evaluation, with the chance level beside the InfoNCE terms. */
export function validationLine(v: ValidationLosses): string {
  const parts = (['recon', 'patient', 'sample'] as const).filter((k) => v.losses[k] !== undefined).map((k) => `${k} ${v.losses[k]!.toFixed(4)}`);
  const pairs = v.losses.patient !== undefined && v.patientBatches < v.batches ? ` (patient term from ${v.patientBatches} of ${v.batches} batches)` : '';
  return `validation step ${v.step}: ${parts.join(', ')}; chance ln(batch) ${v.lnBatch.toFixed(4)}${pairs}`;
}

export const command: Command = {
  summary: 'pre-train a ViT foundation model (CL, GL or HL) on a dataset',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        method: { type: 'string' }, dataset: { type: 'string', multiple: true },
        'source-weights': { type: 'string' }, 'patient-pair-rate': { type: 'string' }, 'pairs-per-batch': { type: 'string' },
        patch: { type: 'string' }, depth: { type: 'string' }, dim: { type: 'string' }, heads: { type: 'string' }, pooling: { type: 'string' },
        steps: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
        'weight-decay': { type: 'string' }, seed: { type: 'string' }, warmup: { type: 'string' }, schedule: { type: 'string' },
        clip: { type: 'string' }, 'mask-ratio': { type: 'string' }, tau: { type: 'string' }, 'min-lr-ratio': { type: 'string' },
        augment: { type: 'string' }, 'validate-every': { type: 'string' }, 'validation-batches': { type: 'string' }, 'no-validation': { type: 'boolean' },
        'checkpoint-every': { type: 'string' }, 'keep-last': { type: 'string' }, 'log-every': { type: 'string' },
        'run-id': { type: 'string' }, 'exclude-flags': { type: 'string' }, resume: { type: 'boolean' }, json: { type: 'boolean' }, engine: { type: 'string' },
        split: { type: 'string' }, tasks: { type: 'string' },
      },
    });
    const method = values.method as SslMethod | undefined;
    if (!method || !SSL_METHODS.includes(method)) throw new CliError(`--method must be one of ${SSL_METHODS.join(', ')}`, EXIT.usage);
    const names = (values.dataset ?? []).flatMap((d) => d.split(',')).map((d) => d.trim()).filter(Boolean);
    if (!names.length) throw new CliError('--dataset NAME is required (see `ecgfm datasets list`)', EXIT.usage);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new CliError(`--dataset ${twice} is given twice`, EXIT.usage);
    const weights = parseWeights(values['source-weights'], names);
    if (values.resume && !values['run-id']) throw new CliError('--resume needs --run-id of the run to continue', EXIT.usage);
    const schedule = values.schedule;
    if (schedule !== undefined && !(LR_SCHEDULES as readonly string[]).includes(schedule)) throw new CliError(`--schedule must be ${LR_SCHEDULES.join(' or ')}`, EXIT.usage);
    const pooling = values.pooling;
    if (pooling !== undefined && pooling !== 'cls' && pooling !== 'mean') throw new CliError('--pooling must be cls or mean', EXIT.usage);

    let engine: TrainingEngine | undefined;
    try {
      engine = values.engine === undefined ? undefined : parseEngine(values.engine);
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), EXIT.usage);
    }
    const input: PretrainConfigInput = {
      method,
      dataset: names.join('+'),
      ...(weights ? { sources: names.map((dataset) => ({ dataset, weight: weights.get(dataset)! })) } : {}),
      patientPairRate: number('patient-pair-rate', values['patient-pair-rate']),
      pairsPerBatch: number('pairs-per-batch', values['pairs-per-batch']),
      model: {
        patch: number('patch', values.patch) ?? 125,
        depth: number('depth', values.depth) ?? 4,
        dim: number('dim', values.dim) ?? 512,
        heads: number('heads', values.heads),
        pooling,
      },
      steps: number('steps', values.steps),
      epochs: number('epochs', values.epochs),
      batchSize: number('batch-size', values['batch-size']),
      lr: number('lr', values.lr),
      weightDecay: number('weight-decay', values['weight-decay']),
      seed: number('seed', values.seed),
      warmupSteps: number('warmup', values.warmup),
      schedule: schedule as LrSchedule | undefined,
      minLrRatio: number('min-lr-ratio', values['min-lr-ratio']),
      augment: augmentOption(values.augment),
      clipNorm: number('clip', values.clip),
      maskRatio: number('mask-ratio', values['mask-ratio']),
      tau: number('tau', values.tau),
      checkpointEvery: number('checkpoint-every', values['checkpoint-every']),
      keepLast: number('keep-last', values['keep-last']),
      logEvery: number('log-every', values['log-every']),
      validateEvery: number('validate-every', values['validate-every']),
      validationBatches: number('validation-batches', values['validation-batches']),
      runId: values['run-id'],
      excludeFlags: values['exclude-flags'] === undefined ? undefined : values['exclude-flags'] === 'none' ? [] : values['exclude-flags'].split(','),
      resume: values.resume,
      engine,
    };
    // Drop unset options so the defaults of resolvePretrainConfig apply.
    for (const [k, v] of Object.entries(input)) if (v === undefined) delete (input as unknown as Record<string, unknown>)[k];
    if (input.model.heads === undefined) delete input.model.heads;
    if (input.model.pooling === undefined) delete input.model.pooling;

    const [{ runDirOf, runRecordedPretraining }, { pretrainingUse, withoutValidation }, { openDataset }, { openStore }] = await Promise.all([
      import('../../experiments/pretraining.js'),
      import('../../experiments/science.js'),
      import('../../data/registry.js'),
      import('../../store/store.js'),
    ]);
    let datasets;
    try {
      datasets = names.map((n) => openDataset(n));
    } catch (err) {
      throw new CliError(`${err instanceof Error ? err.message : String(err)} (see \`ecgfm datasets list\`)`, EXIT.notFound);
    }
    let data;
    try {
      ({ use: data } = pretrainingUse(datasets, { split: values.split ?? 'auto', seed: input.seed ?? 0, tasks: values.tasks?.split(',').map((t) => t.trim()).filter(Boolean) }));
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), EXIT.usage);
    }
    const readLine = (data.sources ?? [data]).map((s) => `${data.sources ? `${s.dataset} ` : ''}${s.indices.length} training records (${s.split})`).join(', ');
    const runId = input.runId ?? `${method}-p${input.model.patch}-l${input.model.depth}-d${input.model.dim}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}-${Math.random().toString(36).slice(2, 6)}`;
    const { runId: _r, resume: _resume, ...engineInput } = input;
    const folder = runDirOf(runId);
    if (values.resume && !existsSync(join(folder, 'config.json'))) throw new CliError(`Cannot resume run ${runId}: ${join(folder, 'config.json')} does not exist`);
    if (!values.resume && existsSync(join(folder, 'checkpoints'))) throw new CliError(`Run ${runId} already has checkpoints in ${folder}: resume it (--resume) or choose another run id`);
    const abort = new AbortController();
    const onSigint = (): void => {
      if (abort.signal.aborted) process.exit(EXIT.interrupted);
      abort.abort('pause');
      process.stderr.write('\nStopping after this step and saving a checkpoint (Ctrl-C again to quit now)…\n');
    };
    process.on('SIGINT', onSigint);
    const tty = process.stderr.isTTY && !values.json;
    const store = openStore();
    let result: PretrainResult | null = null;
    let stoppedAt = 0;
    let lastLogged = 0;
    try {
      ({ result } = await runRecordedPretraining({
        store,
        runId,
        input: engineInput,
        data: values['no-validation'] ? withoutValidation(data) : data,
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === 'progress') stoppedAt = e.step;
          if (values.json) return;
          if (e.type === 'started') {
            lastLogged = e.startStep;
            process.stderr.write(`run ${e.runId} on ${e.backend}${e.startStep ? `, resuming at step ${e.startStep}` : ''}; ${readLine}\n`);
            if (e.engine) process.stderr.write(`engine ${e.engine}\n`);
          }
          if (e.type === 'notice') process.stderr.write(`${tty ? '\n' : ''}note: ${e.message}\n`);
          if (e.type === 'progress') {
            const line = progressLine(e, e.step - lastLogged);
            lastLogged = e.step;
            process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
          }
          if (e.type === 'validation') process.stderr.write(`${tty ? '\r\x1b[K' : ''}${validationLine(e)}\n`);
        },
      }));
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    } finally {
      process.off('SIGINT', onSigint);
      store.close();
    }
    if (!result) {
      if (tty) process.stderr.write('\n');
      if (values.json) printJson({ runId, status: 'cancelled', step: stoppedAt });
      else console.log(`stopped at step ${stoppedAt}; \`ecgfm pretrain … --run-id ${runId} --resume\` continues it`);
      return EXIT.interrupted;
    }
    if (tty) process.stderr.write('\n');
    if (values.json) printJson(result);
    else {
      // The progress lines average the steps since the previous line; this is the last step's own loss.
      console.log(`${result.status} ${result.step}/${result.totalSteps} steps in ${result.seconds.toFixed(1)} s, final-step loss ${result.losses.total.toFixed(4)} (progress lines show means over their last steps)`);
      console.log(`run folder  ${result.runDir}`);
      if (result.engine) console.log(`engine      ${result.engine.reason}`);
      if (result.sampling) for (const line of samplingLines(result.sampling)) console.log(line);
      if (result.bestCheckpoint) console.log(`best        ${result.bestCheckpoint}`);
    }
    return result.status === 'cancelled' ? EXIT.interrupted : EXIT.ok;
  },
};
