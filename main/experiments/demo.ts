/**
 * The main job: data → pre-training (CL, GL, HL) → linear probing and fine-tuning against the random-init and SL
 * baselines → the paper-shaped report, in one command and a few minutes on two cores.
 * Everything goes through the store and the runner, so killing it and running it again continues where it was.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../data/cache.js';
import { importDataset } from '../data/import.js';
import { datasetDir } from '../data/registry.js';
import { writeSyntheticDataset } from '../data/synthetic.js';
import type { DatasetKind } from '../data/types.js';
import { openStore, type Store } from '../store/store.js';
import type { RunnerEvent } from '../runner/types.js';
import { writeReport, type ReportResult } from '../reports/report.js';
import { loadStudyData } from '../reports/tables.js';
import type { StudyConfig } from './grid.js';
import { createStudy, summarise, type StudyEvent, type StudySummary } from './study.js';
import { driveStudy } from './jobs.js';
import { recordDataset } from './datasets.js';

export const DEMO_TASKS = ['MI', 'STTC', 'CD', 'HYP'];

export interface DemoOptions {
  /** A PTB-XL folder (ptbxl_database.csv + records100/) instead of the synthetic cohort. */
  ptbxl?: string;
  /** Synthetic cohort size (patients; 1–3 recordings each). */
  patients?: number;
  /** Pre-training steps per SSL method. */
  steps?: number;
  /** Patch sizes of the grid (default 125 and 250, so Figures 3–8 show a trend across patch size). */
  patches?: number[];
  seed?: number;
  /** Smaller settings for smoke tests: probe/fine-tune epochs and the checkpoint interval. */
  probeEpochs?: number;
  finetuneEpochs?: number;
  checkpointEvery?: number;
  /** Also run the data-usage and case-ratio simulations and the risk decomposition (Tables 6–8); takes longer. */
  full?: boolean;
  /** Study name (default `demo`, or `demo-ptbxl`; `-full` is appended with `full`). */
  name?: string;
  onLog?(line: string): void;
  onStudyEvent?(e: StudyEvent): void;
  onRunnerEvent?(e: RunnerEvent): void;
  handleSignals?: boolean;
  store?: Store;
}

/** Fine-tuned HL against the two baselines, per task (AUROC): the demo's headline. */
export interface DemoVerdict {
  tasks: string[];
  hlFinetune: (number | null)[];
  randomInit: (number | null)[];
  supervised: (number | null)[];
  /** HL fine-tuned beats the random-init baseline on every task. */
  beatsRandomInit: boolean;
  beatsSupervisedOnCriteria: boolean;
}

export function demoVerdict(store: Store, studyId: string): DemoVerdict {
  const d = loadStudyData(store, studyId);
  const score = (method: string, protocol: string) => d.cells.find((c) => c.cell.method === method)?.scores[protocol];
  const hl = score('HL', 'finetune');
  const rand = score('RAND', 'random-linear');
  const sl = score('SL', 'supervised');
  const at = (s: typeof hl) => d.tasks.map((t) => s?.auroc[t] ?? null);
  const hlFinetune = at(hl);
  const randomInit = at(rand);
  return {
    tasks: d.tasks,
    hlFinetune,
    randomInit,
    supervised: at(sl),
    beatsRandomInit: hlFinetune.every((v, i) => v !== null && randomInit[i] !== null && v > randomInit[i]!),
    beatsSupervisedOnCriteria: (hl?.criteria ?? -Infinity) > (sl?.criteria ?? Infinity),
  };
}

export interface DemoResult {
  verdict: DemoVerdict;
  studyId: string;
  dataset: string;
  summary: StudySummary;
  report: ReportResult;
  jobStatus: string;
  seconds: number;
}

export const DEMO_DEFAULTS = { patients: 400, steps: 150, seed: 7, patches: [125, 250] };
/** The synthetic cohort's dataset name, shared with the Datasets page's first-run path. */
export const DEMO_DATASET = 'demo-synthetic';

/**
 * The demo study: small encoders at two patch sizes per method (a structure setting that varies, so the report's
 * Figures 3–8 draw a line per method rather than one dot), both downstream protocols and both baselines.
 */
export function demoStudyConfig(name: string, dataset: string, steps: number, seed: number, split = 'strat_fold', patches: number[] = DEMO_DEFAULTS.patches): StudyConfig {
  return {
    name,
    dataset,
    tasks: DEMO_TASKS,
    methods: ['CL', 'GL', 'HL'],
    patches: [...patches],
    depths: [2],
    dims: [64],
    protocols: ['linear', 'finetune'],
    baselines: ['RAND', 'SL'],
    seed,
    split,
    pretrain: { steps, batchSize: 16, lr: 1e-3, warmupSteps: 10, schedule: 'cosine', minLrRatio: 0.1, checkpointEvery: 25, logEvery: 5, model: { heads: 4 } },
    downstream: {
      probe: { epochs: 60, batchSize: 32, learningRate: 3e-3, patience: 15 },
      endToEnd: { epochs: 6, batchSize: 16, learningRate: 5e-4, patience: 3 },
    },
    simulations: null,
    decompose: false,
  };
}

function complete(name: string, kind: DatasetKind): boolean {
  const dir = datasetDir(name);
  if (!existsSync(join(dir, 'manifest.json'))) return false;
  const m = readManifest(dir);
  if (m.kind !== kind) throw new Error(`${dir} holds a "${m.kind}" dataset, not the demo's ${kind} data; remove it or use another workspace.`);
  return m.complete;
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const t0 = Date.now();
  const log = opts.onLog ?? (() => {});
  const store = opts.store ?? openStore();
  const seed = opts.seed ?? DEMO_DEFAULTS.seed;
  const steps = opts.steps ?? DEMO_DEFAULTS.steps;
  try {
    let dataset: string;
    if (opts.ptbxl) {
      dataset = 'demo-ptbxl';
      if (!complete(dataset, 'ptbxl')) {
        log(`Importing PTB-XL from ${opts.ptbxl} …`);
        const rep = await importDataset({ kind: 'ptbxl', path: opts.ptbxl, name: dataset });
        log(`Imported ${rep.count} ECGs of ${rep.patients} patients (${rep.errors.length} problems).`);
      }
    } else {
      dataset = DEMO_DATASET;
      if (!complete(dataset, 'synthetic')) {
        const patients = opts.patients ?? DEMO_DEFAULTS.patients;
        log(`Generating a synthetic 12-lead cohort of ${patients} patients …`);
        const rep = await writeSyntheticDataset({ name: dataset, patients, seed });
        log(`Generated ${rep.count} ECGs of ${rep.patients} patients in ${(rep.durations.totalMs / 1000).toFixed(1)} s.`);
      }
    }
    await recordDataset(store, dataset);

    const name = opts.name ?? `${opts.ptbxl ? 'demo-ptbxl' : 'demo'}${opts.full ? '-full' : ''}`;
    // PTB-XL has its folds; the synthetic cohort uses the paper's stratified 80/20 patient split, which keeps
    // positives of every task in the test part even for a small cohort.
    const config = demoStudyConfig(name, dataset, steps, seed, opts.ptbxl ? 'strat_fold' : 'patient:0.2', opts.patches ?? DEMO_DEFAULTS.patches);
    if (opts.full) {
      config.simulations = { usage: [10, 25, 50], caseRatios: [1, 2, 5], repeats: 1 };
      config.decompose = true;
    }
    if (opts.checkpointEvery) config.pretrain.checkpointEvery = opts.checkpointEvery;
    if (opts.probeEpochs) config.downstream.probe = { ...config.downstream.probe, epochs: opts.probeEpochs };
    if (opts.finetuneEpochs) config.downstream.endToEnd = { ...config.downstream.endToEnd, epochs: opts.finetuneEpochs };
    const study = createStudy(store, config);
    log(`Study "${name}": ${store.studyCells(study.id).length} cells (CL, GL, HL pre-training at patch ${config.patches.join(' and ')} + RAND and SL baselines)${opts.full ? ', then simulations and risk decomposition' : ''}.`);
    const job = await driveStudy(store, study.id, {
      onStudyEvent: opts.onStudyEvent,
      onRunnerEvent: opts.onRunnerEvent,
      handleSignals: opts.handleSignals,
    });
    const summary = summarise(store.studyCells(study.id));
    const report = await writeReport(store, study.id);
    return { verdict: demoVerdict(store, study.id), studyId: study.id, dataset, summary, report, jobStatus: job.status, seconds: (Date.now() - t0) / 1000 };
  } finally {
    if (!opts.store) store.close();
  }
}
