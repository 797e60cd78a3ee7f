import { parseArgs } from 'node:util';
import { parseEngine } from '../../training/engine-name.js';
import type { TrainingEngine } from '../../../contract/training.js';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { openStore, type Store } from '../../store/store.js';
import { BASELINE_METHODS, PAPER_GRID, SSL_METHODS, DOWNSTREAM_PROTOCOLS, type StudyConfig } from '../../experiments/grid.js';
import { createStudy, summarise } from '../../experiments/study.js';
import { driveStudy, openStudyJob } from '../../experiments/jobs.js';
import { studyProgressPrinter } from '../progress.js';
import { JobQueue } from '../../runner/runner.js';
import { cancelStudyTasks, clusterCellViews, onSlurm, refresh, runCellTask, studyExecutor, submitCells, latestSettings } from '../../cluster/index.js';
import { slurmSettingsSchema } from '../../../contract/cluster.js';
import { SLURM_OPTIONS, SLURM_USAGE, slurmColumns, slurmProgressPrinter, slurmRequest, type SlurmRequest } from '../slurm-args.js';

const USAGE = `ecgfm study run --name NAME --dataset DATASET [--paper | --methods CL,GL,HL --patches 60,125,250 --depths 2,4,8 --dims 256,512,1024]
                [--tasks MI,STTC,CD,HYP] [--protocols linear,finetune] [--baselines RAND,SL,RESNET|none] [--split strat_fold|patient:0.2]
                [--steps N] [--batch N] [--tau 0.1] [--seed N] [--probe-epochs N] [--finetune-epochs N]
                [--warmup-epochs 1] [--layer-decay 0.75] [--engine auto|tfjs|ort] [--json]
                [--pretrain-datasets A,B [--source-weights A=1,B=2]]   (pre-train the cells on several datasets together)
                ${SLURM_USAGE}
       ecgfm study status [NAME] [--json]   (on Slurm: each cell's task, state, step and loss)
       ecgfm study resume NAME [--retry-failed] [--json] [Slurm options to change]
       ecgfm study pause|cancel NAME   (asks the process running it to stop at its next step; cancel on Slurm runs scancel)
       ecgfm study cell NAME INDEX     (one cell, as a Slurm array task runs it on its node)`;

/** --pretrain-datasets and --source-weights as the study config's fields (weights for every dataset or none). */
function pretrainSources(datasets: string | undefined, weights: string | undefined): Pick<StudyConfig, 'pretrainDatasets' | 'sourceWeights'> {
  if (datasets === undefined) {
    if (weights !== undefined) throw new CliError('--source-weights needs --pretrain-datasets', EXIT.usage);
    return {};
  }
  const names = list('pretrain-datasets', datasets, []);
  if (weights === undefined) return { pretrainDatasets: names };
  const w: Record<string, number> = {};
  for (const part of weights.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split('=');
    const x = Number(value);
    if (!name || !names.includes(name) || !(x > 0)) throw new CliError(`--source-weights: "${part}" must be NAME=WEIGHT (> 0) for a dataset of --pretrain-datasets`, EXIT.usage);
    w[name] = x;
  }
  const missing = names.filter((n) => w[n] === undefined);
  if (missing.length) throw new CliError(`--source-weights needs a weight for every pre-training dataset; missing: ${missing.join(', ')}`, EXIT.usage);
  return { pretrainDatasets: names, sourceWeights: w };
}

function list(name: string, v: string | undefined, dflt: string[]): string[] {
  if (v === undefined) return dflt;
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!xs.length) throw new CliError(`--${name} needs a comma-separated list.`, EXIT.usage);
  return xs;
}

function ints(name: string, v: string | undefined, dflt: number[]): number[] {
  return list(name, v, dflt.map(String)).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`--${name}: "${s}" is not a positive integer.`, EXIT.usage);
    return n;
  });
}

function int(name: string, v: string | undefined, dflt: number): number {
  return ints(name, v, [dflt])[0]!;
}

/** `{ [key]: number }` for a given option, `{}` when absent (the engine's defaults then apply). */
function optionalNumber(key: string, v: string | undefined): Record<string, number> {
  if (v === undefined) return {};
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a number, got "${v}"`, EXIT.usage);
  return { [key]: n };
}

function findStudy(store: Store, name: string) {
  const study = store.getStudy(name);
  if (!study) {
    const known = store.listStudies().map((s) => s.name);
    throw new CliError(`No study "${name}"${known.length ? ` (studies: ${known.join(', ')})` : ''}; create one with \`ecgfm study run\`.`, EXIT.notFound);
  }
  return study;
}

async function drive(store: Store, studyId: string, json: boolean, retryFailed = false, cluster?: SlurmRequest): Promise<number> {
  if (retryFailed) {
    for (const c of store.studyCells(studyId)) if (c.status === 'failed' || c.status === 'oom') store.updateCell(studyId, c.index, { status: 'pending', error: null });
  }
  const wantsSlurm = cluster?.executor === 'slurm' || (cluster?.executor === undefined && onSlurm(store, studyId));
  if (wantsSlurm && cluster?.detach) return detach(store, studyId, json, cluster);
  const executor = cluster ? studyExecutor(store, studyId, { executor: cluster.executor, settings: cluster.slurm, pollMs: cluster.pollMs }) : undefined;
  const printer = wantsSlurm ? slurmProgressPrinter() : studyProgressPrinter();
  const job = await driveStudy(store, studyId, { executor, onStudyEvent: json ? undefined : printer, handleSignals: true });
  const summary = summarise(store.studyCells(studyId));
  if (json) printJson({ job: { id: job.id, status: job.status, error: job.error }, summary });
  if (job.status === 'paused') {
    if (!json) process.stderr.write(`Paused. \`ecgfm study resume ${store.getStudy(studyId)!.name}\` continues from the interrupted cell.\n`);
    return EXIT.interrupted;
  }
  if (job.status === 'failed') throw new CliError(`The study stopped: ${job.error}`);
  if (summary.pending > 0) {
    if (!json) process.stderr.write(`${summary.pending} cells were cancelled on Slurm. \`ecgfm study resume ${store.getStudy(studyId)!.name}\` resubmits them; they continue from their checkpoints.\n`);
    return EXIT.interrupted;
  }
  if (!json) process.stderr.write(`\`ecgfm report ${store.getStudy(studyId)!.name}\` writes its tables and figures.\n`);
  return summary.failed + summary.oom > 0 ? EXIT.failed : EXIT.ok;
}

/** `--detach`: submit the pending cells and return; `study status` follows them, `study resume` watches to the end. */
async function detach(store: Store, studyId: string, json: boolean, cluster: SlurmRequest): Promise<number> {
  const study = store.getStudy(studyId)!;
  const settings = slurmSettingsSchema.parse({ ...(latestSettings(store, studyId) ?? {}), ...Object.fromEntries(Object.entries(cluster.slurm).filter(([, v]) => v !== undefined)) });
  await refresh(store, study, { settings, resubmit: false });
  const pending = store.studyCells(studyId).filter((c) => c.status === 'pending').map((c) => c.index);
  const jobId = pending.length ? await submitCells(store, study, pending, { settings }) : null;
  store.setStudyStatus(studyId, 'submitted');
  if (json) printJson({ study: study.name, jobId, cells: pending });
  else console.log(jobId ? `Submitted ${pending.length} cells of study ${study.name} as Slurm job array ${jobId}. \`ecgfm study status ${study.name}\` follows it; \`ecgfm study resume ${study.name}\` watches it to the end.` : `Study ${study.name} has no pending cells to submit.`);
  return EXIT.ok;
}

async function status(store: Store, name: string | undefined, json: boolean): Promise<number> {
  if (!name) {
    const studies = store.listStudies().map((s) => ({ name: s.name, status: s.status, ...summarise(store.studyCells(s.id)), dataset: (s.config as { dataset?: string }).dataset }));
    if (json) printJson(studies);
    else if (!studies.length) console.log('No studies yet; `ecgfm study run --name NAME --dataset DATASET` starts one.');
    else for (const s of studies) console.log(`${s.name.padEnd(20)} ${s.status.padEnd(22)} ${s.succeeded}/${s.cells} cells done, ${s.failed} failed, ${s.oom} OOM  (dataset ${s.dataset})`);
    return EXIT.ok;
  }
  const study = findStudy(store, name);
  const slurm = onSlurm(store, study.id);
  // On Slurm, status asks the scheduler and settles finished tasks (their results are merged into the store).
  if (slurm) await refresh(store, study, { settings: latestSettings(store, study.id)!, resubmit: false });
  const cells = store.studyCells(study.id);
  const job = openStudyJob(store, study.id);
  const views = slurm ? clusterCellViews(store, study) : [];
  if (json) {
    printJson({ study, summary: summarise(cells), job, cells, ...(slurm ? { slurm: views } : {}) });
    return EXIT.ok;
  }
  const s = summarise(cells);
  console.log(`Study ${study.name}: ${study.status}; ${s.succeeded}/${s.cells} succeeded, ${s.failed} failed, ${s.oom} OOM, ${s.pending} to do${job ? `; job ${job.id} ${job.status}` : ''}`);
  for (const c of cells) {
    const run = c.runId ? store.getRun(c.runId) : null;
    const error = c.error ? `\n        ${c.error.split('\n').join('\n        ')}` : '';
    if (slurm) console.log(`  ${String(c.index).padStart(3)} ${c.key.padEnd(22)} ${c.status.padEnd(10)} ${slurmColumns(views[c.index])}${error}`);
    else console.log(`  ${String(c.index).padStart(3)} ${c.key.padEnd(22)} ${c.status.padEnd(10)} ${run ? `step ${run.step}` : ''}${c.error ? `  ${c.error}` : ''}`);
  }
  return EXIT.ok;
}

export const command: Command = {
  summary: 'study grids: methods × patch × depth × dim with downstream protocols (run | status | resume)',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        dataset: { type: 'string' },
        'pretrain-datasets': { type: 'string' },
        'source-weights': { type: 'string' },
        paper: { type: 'boolean', default: false },
        methods: { type: 'string' },
        patches: { type: 'string' },
        depths: { type: 'string' },
        dims: { type: 'string' },
        tasks: { type: 'string' },
        protocols: { type: 'string' },
        baselines: { type: 'string' },
        split: { type: 'string' },
        steps: { type: 'string' },
        batch: { type: 'string' },
        tau: { type: 'string' },
        'warmup-epochs': { type: 'string' },
        'layer-decay': { type: 'string' },
        seed: { type: 'string' },
        'probe-epochs': { type: 'string' },
        'finetune-epochs': { type: 'string' },
        engine: { type: 'string' },
        'retry-failed': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        ...SLURM_OPTIONS,
      },
      strict: true,
    });
    const json = values.json === true;
    if (sub === 'cell') return cell(positionals);
    if (!['run', 'status', 'resume', 'pause', 'cancel'].includes(sub ?? '')) throw new CliError(`Unknown subcommand "${sub ?? ''}".\nusage: ${USAGE}`, EXIT.usage);
    const store = openStore();
    try {
      if (sub === 'status') return await status(store, positionals[0] ?? values.name, json);
      if (sub === 'pause' || sub === 'cancel') {
        const name = positionals[0] ?? values.name;
        if (!name) throw new CliError(`Which study? \`ecgfm study ${sub} NAME\`.`, EXIT.usage);
        const study = findStudy(store, name);
        const job = openStudyJob(store, study.id);
        if (sub === 'cancel' && onSlurm(store, study.id)) {
          const cancelled = await cancelStudyTasks(store, study);
          if (job) new JobQueue(store).cancel(job.id);
          await refresh(store, study, { settings: latestSettings(store, study.id)!, resubmit: false });
          if (json) printJson({ cancelled });
          else console.log(cancelled.length ? `scancel ${cancelled.join(' ')}: study ${study.name}'s tasks are cancelled; \`ecgfm study resume ${study.name}\` resubmits them.` : `Study ${study.name} has no task on Slurm.`);
          return EXIT.ok;
        }
        if (!job) throw new CliError(`Study ${study.name} has no queued, running or paused job.`, EXIT.notFound);
        const queue = new JobQueue(store);
        const after = sub === 'pause' ? queue.pause(job.id) : queue.cancel(job.id);
        if (json) printJson(after);
        else console.log(after.request ? `Asked the process running study ${study.name} to ${sub}; it stops at its next step.` : `Study ${study.name}'s job is ${after.status}.`);
        return EXIT.ok;
      }
      if (sub === 'resume') {
        const name = positionals[0] ?? values.name;
        if (!name) throw new CliError('Which study? `ecgfm study resume NAME` (`ecgfm study status` lists them).', EXIT.usage);
        return await drive(store, findStudy(store, name).id, json, values['retry-failed'] === true, slurmRequest(values));
      }
      if (!values.name) throw new CliError('A study needs a name: --name NAME.', EXIT.usage);
      if (!values.dataset) throw new CliError('Which data? --dataset NAME (`ecgfm datasets list` shows them).', EXIT.usage);
      const grid = values.paper ? PAPER_GRID : { methods: [...SSL_METHODS], patches: [125], depths: [2], dims: [64] };
      const baselines = values.baselines === 'none' ? [] : list('baselines', values.baselines, [...BASELINE_METHODS]);
      let engine: TrainingEngine | undefined;
      try {
        engine = values.engine === undefined ? undefined : parseEngine(values.engine);
      } catch (err) {
        throw new CliError((err as Error).message, EXIT.usage);
      }
      const withEngine = engine ? { engine } : {};
      const config: StudyConfig = {
        name: values.name,
        dataset: values.dataset,
        tasks: list('tasks', values.tasks, ['MI', 'STTC', 'CD', 'HYP']),
        methods: list('methods', values.methods, grid.methods) as StudyConfig['methods'],
        patches: ints('patches', values.patches, grid.patches),
        depths: ints('depths', values.depths, grid.depths),
        dims: ints('dims', values.dims, grid.dims),
        protocols: list('protocols', values.protocols, [...DOWNSTREAM_PROTOCOLS]) as StudyConfig['protocols'],
        baselines: baselines as StudyConfig['baselines'],
        seed: int('seed', values.seed, 1),
        split: values.split ?? 'strat_fold',
        ...pretrainSources(values['pretrain-datasets'], values['source-weights']),
        pretrain: { steps: int('steps', values.steps, 500), batchSize: int('batch', values.batch, 32), ...optionalNumber('tau', values.tau), ...withEngine },
        downstream: {
          probe: { ...(values['probe-epochs'] ? { epochs: int('probe-epochs', values['probe-epochs'], 1) } : {}), ...withEngine },
          endToEnd: {
            ...(values['finetune-epochs'] ? { epochs: int('finetune-epochs', values['finetune-epochs'], 1) } : {}),
            ...optionalNumber('warmupEpochs', values['warmup-epochs']),
            ...optionalNumber('layerDecay', values['layer-decay']),
            ...withEngine,
          },
        },
      };
      let study;
      try {
        study = createStudy(store, config);
      } catch (err) {
        throw new CliError((err as Error).message, EXIT.usage);
      }
      if (!json) process.stderr.write(`Study ${study.name}: ${store.studyCells(study.id).length} cells.\n`);
      return await drive(store, study.id, json, false, slurmRequest(values));
    } finally {
      store.close();
    }
  },
};

/** `ecgfm study cell NAME INDEX`: one cell on this node; exit 0 done, 1 failed or OOM, 130 stopped by a signal. */
async function cell(positionals: string[]): Promise<number> {
  const [name, index] = positionals;
  if (!name || index === undefined || !/^\d+$/.test(index)) throw new CliError('usage: ecgfm study cell NAME INDEX', EXIT.usage);
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`ecgfm: ${sig}: stopping cell ${index} at its next step (its checkpoint is kept)\n`);
    stop.abort();
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGUSR1'] as const) process.on(sig, onSignal);
  try {
    const outcome = await runCellTask(name, Number(index), { signal: stop.signal });
    process.stderr.write(`ecgfm: cell ${index} ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}\n`);
    return outcome.status === 'succeeded' ? EXIT.ok : outcome.status === 'interrupted' ? EXIT.interrupted : EXIT.failed;
  } finally {
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGUSR1'] as const) process.off(sig, onSignal);
  }
}
