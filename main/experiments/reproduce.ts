/**
 * `ecgfm reproduce`: the paper's downstream protocol on the user's PTB-XL data at a time budget. CL, GL and HL
 * encoders (linear probe and fine-tune) against every baseline of the vocabulary, data-usage and case-ratio
 * simulations, at several seeds; then a verdict on each of the paper's findings from paired bootstrap differences
 * and a report with the paper's own figures beside ours.
 *
 * It is built on the study machinery: one study per seed (`<name>-s<seed>`), each a runner job of the store, so a
 * killed reproduction resumes where it stopped (pre-trainings from their checkpoints). The plan is chosen once,
 * from rates measured on this machine, and kept in the reproduction's run record, so a resumed one keeps it.
 */
import { loadavg } from 'node:os';
import { initBackend } from '../compute/backend.js';
import { excludedRecords, DEFAULT_EXCLUDE } from '../data/quality.js';
import { importDataset } from '../data/import.js';
import { openDataset } from '../data/registry.js';
import type { CachedDataset } from '../data/types.js';
import { openStore, nowIso, type Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';
import { STUDY_BASELINES, STUDY_SSL_METHODS } from '../../contract/vocabulary.js';
import { formatDuration } from '../../contract/progress.js';
import { codeVersion } from '../store/code-version.js';
import type { StudyConfig } from './grid.js';
import { createStudy, StudyConfigConflict, type StudyEvent } from './study.js';
import { driveStudy } from './jobs.js';
import { recordDataset } from './datasets.js';
import { protocolSplit } from './science.js';
import { studyPredictions } from './predictions.js';
import { FINDINGS, type Arm } from './reproduce-findings.js';
import { addResult, judgeFindings, type ReproduceResults, type Verdict } from './reproduce-verdicts.js';
import { describePlan, modelName, MODEL_CANDIDATES, planReproduce, reproducePlanSchema, scaleRates, type DataCounts, type ModelChoice, type ReproducePlan, type StepRates } from './reproduce-plan.js';
import { measureRates } from './reproduce-rates.js';
import { writeReproduceReport, type ReproduceReport } from '../reports/reproduce.js';

export const REPRODUCE_TASKS = ['MI', 'STTC', 'CD', 'HYP'];

export interface ReproduceOptions {
  /** PTB-XL folders imported (as needed) into one dataset; or `dataset`, one already in the cache. */
  ptbxl?: string[];
  dataset?: string;
  name?: string;
  budgetSeconds: number;
  seeds?: number;
  tasks?: string[];
  /** Print the plan and stop. */
  planOnly?: boolean;
  /** Measure step rates again even when this machine has them cached. */
  remeasure?: boolean;
  /** The largest model the plan may take (an index into MODEL_CANDIDATES); tests keep it tiny. */
  maxModel?: number;
  onLog?(line: string): void;
  onStudyEvent?(e: StudyEvent): void;
  handleSignals?: boolean;
  store?: Store;
}

export interface ReproduceResult {
  name: string;
  dataset: string;
  plan: ReproducePlan;
  planText: string[];
  /** Null with `planOnly`, or when interrupted before the analysis. */
  verdicts: Verdict[] | null;
  report: ReproduceReport | null;
  interrupted: boolean;
  /** Wall time of this reproduction so far, all sessions together. */
  seconds: number;
  studies: string[];
}

export class ReproduceConflict extends Error {}

/** Dataset name for a set of PTB-XL folders: their base names joined by '_', so another set never appends to it. */
export function datasetNameFor(folders: string[]): string {
  return folders.map((f) => f.replace(/[/\\]+$/, '').split(/[/\\]/).pop()!.replace(/[^\w.-]+/g, '-')).join('_');
}

async function prepareDataset(opts: ReproduceOptions, log: (s: string) => void): Promise<string> {
  if (opts.dataset) return opts.dataset;
  const folders = opts.ptbxl ?? [];
  if (!folders.length) throw new Error('Give the PTB-XL data: --ptbxl FOLDER (repeatable) or --dataset NAME of an imported dataset.');
  const name = datasetNameFor(folders);
  for (const [k, path] of folders.entries()) {
    // Records already in the cache are skipped, so a second run only lists the folders. Folders after the first
    // extend the dataset on purpose (`append`, the explicit form of `datasets import --append`).
    const rep = await importDataset({ kind: 'ptbxl', path, name, append: k > 0 });
    const added = rep.added;
    log(`${k === 0 ? 'Dataset' : '  + '} ${name}${k === 0 ? ' from' : ''} ${path}: ${added} added, ${rep.errors.length} problems.`);
  }
  return name;
}

/** Train/validation/test counts as the evaluations will see them (flagged records left out) and task prevalence. */
export function dataCounts(ds: CachedDataset, tasks: string[], seed = 0): DataCounts {
  const split = protocolSplit(ds, { split: 'strat_fold', seed, tasks });
  const { set: out } = excludedRecords(ds, DEFAULT_EXCLUDE);
  const keep = (xs: number[]) => xs.filter((i) => !out.has(i));
  const train = keep(split.train);
  const prevalence = Object.fromEntries(tasks.map((t) => [t, train.filter((i) => ds.meta(i).labels[t] === true).length / Math.max(1, train.length)]));
  return { train: train.length, val: keep(split.val).length, test: keep(split.test).length, prevalence };
}

/** Measures the smallest model, scales to guess the others, then measures the pick until the pick was measured. */
async function planWithRates(base: Omit<Parameters<typeof planReproduce>[0], 'rates'>, maxModel: number, remeasure: boolean, log: (s: string) => void): Promise<ReproducePlan> {
  const candidates = MODEL_CANDIDATES.slice(0, maxModel + 1);
  const measured = new Map<number, StepRates>();
  const measure = async (i: number) => {
    const { rates, cached } = await measureRates(candidates[i]!, { remeasure });
    log(`  ${cached ? `cached from ${cached}` : 'measured now'} for ${modelName(candidates[i]!)} (\`uptime\` load ${loadavg()[0]!.toFixed(1)}): ${JSON.stringify(Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, Number(v.toFixed(1))])))}`);
    measured.set(i, rates);
  };
  await measure(0);
  for (;;) {
    const rates = candidates.map((c, i) => measured.get(i) ?? scaleRates(measured.get(0)!, candidates[0]!, c));
    const plan = planReproduce({ ...base, rates });
    const pick = candidates.findIndex((c) => sameModel(c, plan.model));
    if (measured.has(pick)) return plan;
    await measure(pick);
  }
}

const sameModel = (a: ModelChoice, b: ModelChoice) => a.patch === b.patch && a.depth === b.depth && a.dim === b.dim && a.heads === b.heads;

/** The study of one seed: one architecture, every method and baseline, the simulations the plan kept. */
export function seedStudyConfig(name: string, dataset: string, plan: ReproducePlan, seed: number): StudyConfig {
  return {
    name: `${name}-s${seed}`,
    dataset,
    tasks: plan.tasks,
    methods: [...STUDY_SSL_METHODS],
    patches: [plan.model.patch],
    depths: [plan.model.depth],
    dims: [plan.model.dim],
    protocols: ['linear', 'finetune'],
    baselines: [...STUDY_BASELINES],
    seed,
    split: 'strat_fold',
    pretrain: {
      steps: plan.pretrainSteps,
      batchSize: plan.pretrainBatch,
      lr: 1e-3,
      warmupSteps: Math.min(50, Math.ceil(plan.pretrainSteps / 10)),
      schedule: 'cosine',
      minLrRatio: 0.1,
      checkpointEvery: Math.max(10, Math.ceil(plan.pretrainSteps / 10)),
      logEvery: Math.max(1, Math.ceil(plan.pretrainSteps / 50)),
      engine: 'ort',
      model: { heads: plan.model.heads },
    },
    downstream: {
      probe: { epochs: plan.probeEpochs, batchSize: 32, learningRate: 3e-3, patience: 15, engine: 'ort' },
      endToEnd: { epochs: plan.finetuneEpochs, batchSize: plan.finetuneBatch, learningRate: 5e-4, patience: plan.patience, engine: 'ort' },
    },
    simulations: plan.usage.length || plan.caseRatios.length ? { usage: plan.usage, caseRatios: plan.caseRatios, repeats: 1 } : null,
    decompose: false,
  };
}

/** Every model's test predictions of the seed studies, as arms of the findings. */
export function collectResults(store: Store, studyNames: string[]): ReproduceResults {
  const results: ReproduceResults = new Map();
  for (const studyName of studyNames) {
    const study = store.getStudy(studyName);
    if (!study) continue;
    const seed = (study.config as unknown as StudyConfig).seed;
    const cells = store.studyCells(study.id);
    const runs = new Map(store.listRuns({ studyId: study.id }).filter((r) => r.status === 'succeeded').map((r) => [r.id, r]));
    for (const p of studyPredictions(studyName)) {
      const run: RunRecord | undefined = runs.get(p.runId);
      if (!run) continue; // a run that did not finish (or was replaced on resume)
      const method = run.kind === 'simulate' ? String(run.config.method) : cells.find((c) => c.index === run.cellIndex)?.method;
      if (!method) continue;
      const arm: Arm = { method, protocol: p.protocol, condition: p.condition.replace(/#r\d+$/, '') };
      addResult(results, arm, seed, { indices: p.indices, tasks: p.tasks, labels: p.labels, scores: p.scores });
    }
  }
  return results;
}

interface Recorded {
  run: RunRecord;
  plan: ReproducePlan;
}

function findReproduction(store: Store, name: string): RunRecord | null {
  return store.listRuns({ kind: 'reproduce' }).find((r) => r.name === name) ?? null;
}

export async function runReproduce(opts: ReproduceOptions): Promise<ReproduceResult> {
  const t0 = Date.now();
  const log = opts.onLog ?? (() => {});
  const store = opts.store ?? openStore();
  const name = opts.name ?? 'reproduce';
  const seeds = opts.seeds ?? 3;
  const tasks = opts.tasks ?? REPRODUCE_TASKS;
  try {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`name "${name}" must be letters, digits, '.', '_' or '-'`);
    if (!(Number.isInteger(seeds) && seeds >= 1)) throw new Error(`--seeds must be a positive integer, got ${seeds}`);
    const dataset = await prepareDataset(opts, log);
    const ds = openDataset(dataset);
    const counts = dataCounts(ds, tasks);
    const previous = findReproduction(store, name);
    let recorded: Recorded | null = null;
    if (previous && !opts.planOnly) {
      const parsed = reproducePlanSchema.safeParse(previous.config.plan);
      if (!parsed.success) throw new ReproduceConflict(`The plan recorded for reproduction "${name}" (run ${previous.id}) is damaged (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); give this one another --name.`);
      const plan = parsed.data;
      const same = previous.dataset === dataset && plan.budgetSeconds === opts.budgetSeconds && plan.seeds === seeds && JSON.stringify(plan.tasks) === JSON.stringify(tasks);
      if (!same)
        throw new ReproduceConflict(
          `A reproduction named "${name}" exists with other settings (dataset ${previous.dataset}, budget ${formatDuration(plan.budgetSeconds)}, ${plan.seeds} seeds, tasks ${plan.tasks.join(',')}); ` +
            'run it again with those settings to resume it, or give this one another --name.',
        );
      recorded = { run: previous, plan };
      log(`Resuming reproduction "${name}" with its plan (${formatDuration(previous.elapsedMs / 1000)} spent so far).`);
    }
    let plan: ReproducePlan;
    if (recorded) plan = recorded.plan;
    else {
      await initBackend();
      log('Measuring step rates on this machine (ONNX Runtime; cached for next time) …');
      plan = await planWithRates(
        { budgetSeconds: opts.budgetSeconds, spentSeconds: (Date.now() - t0) / 1000, seeds, tasks, counts, extraBaselines: STUDY_BASELINES.length - 2 },
        Math.min(opts.maxModel ?? MODEL_CANDIDATES.length - 1, MODEL_CANDIDATES.length - 1),
        opts.remeasure === true,
        log,
      );
    }
    const planText = describePlan(plan, { baselines: [...STUDY_BASELINES], dataset, counts });
    if (!opts.planOnly) for (const line of planText) log(line);
    const studyNames = Array.from({ length: seeds }, (_, s) => `${name}-s${s}`);
    if (opts.planOnly) return { name, dataset, plan, planText, verdicts: null, report: null, interrupted: false, seconds: (Date.now() - t0) / 1000, studies: studyNames };

    const backend = await initBackend();
    const run = recorded?.run ?? store.createRun({
      id: `reproduce-${name}`, kind: 'reproduce', name, dataset, seed: 0, backend: backend.description, codeVersion: codeVersion(), status: 'running',
      config: { plan, studies: studyNames },
    });
    const before = run.elapsedMs;
    store.updateRun(run.id, { status: 'running', startedAt: run.startedAt ?? nowIso(), error: null });
    const elapsed = () => before / 1000 + (Date.now() - t0) / 1000;
    await recordDataset(store, dataset);

    let interrupted = false;
    for (const [s, studyName] of studyNames.entries()) {
      const config = seedStudyConfig(name, dataset, plan, s);
      let study;
      try {
        study = createStudy(store, config);
      } catch (err) {
        if (err instanceof StudyConfigConflict) throw new ReproduceConflict(`A study named "${studyName}" exists with another configuration; give this reproduction another --name.`);
        throw err;
      }
      log(`Seed ${s + 1}/${seeds}: study ${studyName} (${store.studyCells(study.id).length} cells${config.simulations ? ' + simulations' : ''}); ${formatDuration(elapsed())} of ${formatDuration(plan.budgetSeconds)} used.`);
      const job = await driveStudy(store, study.id, { onStudyEvent: opts.onStudyEvent, handleSignals: opts.handleSignals });
      if (job.status === 'paused' || job.status === 'cancelled') {
        interrupted = true;
        break;
      }
      // The pace so far against the estimate: say early when the rest will not fit (a busier machine than measured).
      const left = seeds - s - 1;
      const pace = elapsed() / ((s + 1) * plan.estimate.perSeed);
      if (left > 0 && elapsed() + left * plan.estimate.perSeed * pace > plan.budgetSeconds)
        log(`  running at ${pace.toFixed(2)}× the estimate: the ${left} remaining seed(s) need about ${formatDuration(left * plan.estimate.perSeed * pace)}, past the budget by ${formatDuration(elapsed() + left * plan.estimate.perSeed * pace - plan.budgetSeconds)}.`);
    }
    if (interrupted) {
      store.updateRun(run.id, { status: 'paused', elapsedMs: Math.round(elapsed() * 1000) });
      return { name, dataset, plan, planText, verdicts: null, report: null, interrupted, seconds: elapsed(), studies: studyNames };
    }

    log('Judging the paper\'s findings (paired bootstrap over test records and seeds) …');
    const results = collectResults(store, studyNames);
    const verdicts = judgeFindings(results, FINDINGS, { resamples: 1000, seed: 0 });
    const seconds = elapsed();
    const report = await writeReproduceReport(store, { name, dataset, plan, planText, verdicts, results, seconds, studies: studyNames });
    store.updateRun(run.id, {
      status: 'succeeded',
      finishedAt: nowIso(),
      elapsedMs: Math.round(seconds * 1000),
      config: { plan, studies: studyNames, verdicts: Object.fromEntries(verdicts.map((v) => [v.finding.id, v.verdict])), report: report.html },
    });
    return { name, dataset, plan, planText, verdicts, report, interrupted: false, seconds, studies: studyNames };
  } finally {
    if (!opts.store) store.close();
  }
}
