/**
 * The analysis half of the service: evaluations, studies, simulations and risk decompositions are jobs (run in a
 * worker, main/jobs/); this file checks a request cheaply, queues it, and maps store rows and view files to the
 * contract's views. Nothing here loads an engine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ApiHandlers, DecompositionView, EvaluationSummaryView, EvaluationView, SimulationView, StudyDetailView } from '../../contract/api.js';
import { PROTOCOL_LABELS, PROTOCOL_NAMES } from '../../contract/api.js';
import { openDataset } from '../data/registry.js';
import { createStudy } from '../experiments/study.js';
import { latestSettings } from '../cluster/records.js';
import { allTables, loadStudyData } from '../reports/tables.js';
import type { Store } from '../store/store.js';
import type { StudyRecord } from '../store/types.js';
import { readRunFolderConfig } from '../training/run-folder.js';
import type { JobSystem } from '../jobs/system.js';
import { compareHandlers } from './compare.js';
import { ServiceError } from './errors.js';
import { decompositionView, r4, simulationViews, STUDY_PRESETS, studyConfigOf, studyConfigView, studySummary } from './views.js';

export { differingKeys, flatten, operatingPoint, simulationViews, decompositionView, evaluationView, STUDY_PRESETS, studyConfigOf, studyConfigView } from './views.js';

type AnalysisHandlers = Pick<
  ApiHandlers,
  | 'listJobs'
  | 'cancelJob'
  | 'startEvaluation'
  | 'listEvaluations'
  | 'getEvaluation'
  | 'studyPresets'
  | 'startStudy'
  | 'listStudies'
  | 'studyDetail'
  | 'startSimulation'
  | 'listSimulations'
  | 'startDecomposition'
  | 'listDecompositions'
  | 'listAllRuns'
  | 'compareRuns'
>;

export interface AnalysisDeps {
  workspace(): string;
  store: Store;
  jobs: JobSystem;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const rand = () => Math.random().toString(36).slice(2, 6);

/** An evaluation view file read back: the fields the list shows are checked, the rest is the job's own output. */
const evaluationFile = z
  .object({ id: z.string(), title: z.string(), protocol: z.enum(PROTOCOL_NAMES), dataset: z.string(), criteria: z.number(), createdAt: z.string(), tasks: z.array(z.unknown()) })
  .passthrough();

export function createAnalysis(deps: AnalysisDeps): { handlers: AnalysisHandlers } {
  const { store, jobs } = deps;
  const evaluationsDir = () => join(deps.workspace(), 'evaluations');

  /** Metadata only (no signals, no engine): a cheap check that the dataset exists before queueing. */
  const checkDataset = (name: string) => {
    try {
      openDataset(name);
    } catch (err) {
      throw new ServiceError('not-found', `Dataset "${name}" is not in the workspace (${message(err)}). Import it on the Datasets page.`);
    }
  };
  /** A run usable as an encoder: its folder config, validated (never the weights). */
  const encoderRun = (runId: string) => {
    const dir = store.getRun(runId)?.dir ?? join(deps.workspace(), 'runs', runId);
    let saved;
    try {
      saved = readRunFolderConfig(dir);
    } catch (err) {
      throw new ServiceError('invalid-input', `Run ${runId} cannot be used as an encoder: ${message(err)}.`);
    }
    if (!saved) throw new ServiceError('not-found', `Run ${runId} has no pre-training folder with a config.json, so it has no encoder to evaluate.`);
    return saved;
  };
  const readEvaluation = (file: string): EvaluationView | null => {
    try {
      const r = evaluationFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      return r.success ? (r.data as unknown as EvaluationView) : null;
    } catch {
      return null;
    }
  };
  const studyTasks = (run: { studyId: string | null }) => (run.studyId ? ((store.getStudy(run.studyId)?.config as { tasks?: string[] } | undefined)?.tasks ?? []) : []);

  const handlers: AnalysisHandlers = {
    async listJobs() {
      return jobs.list();
    },

    async cancelJob({ jobId }) {
      return { cancelled: jobs.cancel(jobId) };
    },

    async startEvaluation(req) {
      checkDataset(req.dataset);
      if (req.runId) encoderRun(req.runId);
      const title = `${PROTOCOL_LABELS[req.protocol]} · ${req.runId ?? (req.model ? `P${req.model.patch} D${req.model.dim} L${req.model.depth} random init` : '')} · ${req.dataset}`;
      const id = `eval-${stamp()}-${req.protocol}-${rand()}`;
      const job = jobs.enqueue('evaluation', { id, title, request: req }, { title, resultId: id });
      return { jobId: job.id };
    },

    async listEvaluations() {
      const dir = evaluationsDir();
      if (!existsSync(dir)) return [];
      const out: EvaluationSummaryView[] = [];
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
        const v = readEvaluation(join(dir, f));
        if (v) out.push({ id: v.id, title: v.title, protocol: v.protocol, dataset: v.dataset, criteria: v.criteria, createdAt: v.createdAt });
      }
      return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },

    async getEvaluation({ id }) {
      const v = readEvaluation(join(evaluationsDir(), `${id}.json`));
      if (!v) throw new ServiceError('not-found', `There is no evaluation ${id} in this workspace.`);
      return v;
    },

    async studyPresets() {
      return STUDY_PRESETS;
    },

    async startStudy(req) {
      checkDataset(req.dataset);
      for (const name of req.pretrainDatasets ?? []) checkDataset(name);
      let study: StudyRecord;
      try {
        study = createStudy(store, studyConfigOf(req));
      } catch (err) {
        throw new ServiceError('invalid-input', message(err));
      }
      // Slurm: the worker (on a login node) submits the array and watches it; Cancel runs scancel.
      const job = jobs.enqueue('study', { studyId: study.id, executor: req.executor, slurm: req.slurm }, { title: `Study ${study.name}`, resultId: study.id });
      return { studyId: study.id, jobId: job.id };
    },

    async listStudies() {
      return store.listStudies().map((st) => studySummary(store, st));
    },

    async studyDetail({ study: idOrName }) {
      const study = store.getStudy(idOrName);
      if (!study) throw new ServiceError('not-found', `There is no study "${idOrName}" in this workspace.`);
      let slurm = null;
      // Only a study submitted to Slurm loads the cluster module (it brings the pipeline, and with it the engine).
      if (latestSettings(store, study.id) !== null) {
        const cluster = await import('../cluster/index.js');
        // Nobody watches a paused or submitted study: settle what finished (results merged) before showing it.
        if (study.status !== 'running') await cluster.refresh(store, study, { settings: cluster.latestSettings(store, study.id)!, resubmit: false }).catch(() => {});
        slurm = cluster.clusterCellViews(store, study);
      }
      const d = loadStudyData(store, study.id);
      const cells = d.cells.map((c) => ({
        index: c.cell.index,
        key: c.cell.key,
        method: c.cell.method,
        patch: c.cell.patch,
        depth: c.cell.depth,
        dim: c.cell.dim,
        status: c.cell.status,
        error: c.cell.error,
        runId: c.cell.runId,
        loss: r4(c.losses?.total),
        scores: Object.fromEntries(Object.entries(c.scores).map(([p, sc]) => [p, { auroc: sc.auroc, auprc: sc.auprc, criteria: r4(sc.criteria) }])),
      }));
      return { study: studySummary(store, study), config: studyConfigView(d.config), tasks: d.tasks, cells, slurm, tables: allTables(d) } satisfies StudyDetailView;
    },

    async startSimulation(req) {
      checkDataset(req.dataset);
      const saved = req.runId ? encoderRun(req.runId) : null;
      // Legend names follow the paper: the SSL method, with the architecture when the run says it.
      const label =
        req.label ||
        (saved
          ? `${saved.input.method.toUpperCase()} P${saved.model.patch} D${saved.model.dim} L${saved.model.depth}`
          : `${req.protocol === 'supervised' ? 'SL' : 'RAND'} P${req.model!.patch} D${req.model!.dim} L${req.model!.depth}`);
      const title = `${req.kind === 'data-usage' ? 'Data usage' : 'Case ratio'} · ${label} · ${PROTOCOL_LABELS[req.protocol]}`;
      const job = jobs.enqueue('simulation', { title, label, request: req }, { title });
      return { jobId: job.id };
    },

    async listSimulations() {
      const out: SimulationView[] = [];
      for (const run of store.listRuns({ kind: 'simulate', status: 'succeeded' })) out.push(...simulationViews(run, store.evaluations({ runId: run.id }), studyTasks(run)));
      return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },

    async startDecomposition(req) {
      checkDataset(req.dataset);
      encoderRun(req.runId);
      const title = `Risk decomposition · ${req.runId}`;
      const job = jobs.enqueue('decomposition', { title, request: req }, { title });
      return { jobId: job.id };
    },

    async listDecompositions() {
      const out: DecompositionView[] = [];
      for (const run of store.listRuns({ kind: 'decompose', status: 'succeeded' })) {
        const v = decompositionView(run, store.evaluations({ runId: run.id }), studyTasks(run));
        if (v) out.push(v);
      }
      return out;
    },

    ...compareHandlers(store),
  };

  return { handlers };
}
