/**
 * The Clinical evaluation page's half of the service, over the finished back end in main/clinical and main/onnx:
 * model packages in <workspace>/models, cohort runs in <workspace>/clinical/runs/<id> (resumable jobs), per-record
 * saliency, the offline report and ONNX export. The back end is imported lazily so the host starts without tfjs.
 * Nothing here opens a network connection.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ApiHandlers, ClinicalModelView, ClinicalRunSummaryView, ClinicalRunView } from '../../contract/api.js';
import type { clinicalRunRequestSchema } from '../../contract/clinical.js';
import type { z } from 'zod';
import type { ClinicalMetrics, PackageHeader } from '../clinical/index.js';
import { ServiceError } from './errors.js';
import { macroView, modelView, num, readJson, readRows, round4, taskView } from './clinical-views.js';

export { modelView, taskView } from './clinical-views.js';
import type { JobSystem } from '../jobs/system.js';
import { CLINICAL_UI_FILE } from '../jobs/clinical-files.js';

type ClinicalHandlers = Pick<
  ApiHandlers,
  | 'listClinicalModels'
  | 'inspectClinicalModel'
  | 'importClinicalModel'
  | 'startClinicalFinetune'
  | 'startClinicalRun'
  | 'listClinicalRuns'
  | 'getClinicalRun'
  | 'clinicalRecords'
  | 'clinicalRecord'
  | 'clinicalReport'
  | 'saveClinicalPdf'
  | 'exportClinicalOnnx'
>;

export interface ClinicalDeps {
  workspace(): string;
  jobs: JobSystem;
}

type RunRequest = z.output<typeof clinicalRunRequestSchema>;

/** What run.json (written by main/clinical/run.ts) holds that the page reads. */
interface RunFile {
  model: { path: string; weightsSha256: string; tasks: string[] };
  overlap?: ClinicalRunView['overlap'];
  cohort: { kind: string; path: string; rate?: 100 | 500; where?: Record<string, string[]> };
  cohortDescription: string;
  engine: string;
  startedAt: string;
}

/** The page's own note beside the back end's files: the request and the last run summary. */
const UI_FILE = CLINICAL_UI_FILE;
interface UiFile {
  request: RunRequest;
  modelPath: string;
  compatibility: string | null;
  complete: boolean;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const rand = () => Math.random().toString(36).slice(2, 6);
export function createClinical(deps: ClinicalDeps): { handlers: ClinicalHandlers } {
  const modelsDir = () => join(deps.workspace(), 'models');
  /** Package names of fine-tunes queued or running: a second one with the same name is refused, not overwritten. */
  const runsDir = () => join(deps.workspace(), 'clinical', 'runs');
  const back = () => import('../clinical/index.js');
  const backend = async () => (await import('../compute/backend.js')).initBackend();

  const resolveModel = (ref: string): string => {
    const candidates = [resolve(ref), join(modelsDir(), ref), join(modelsDir(), `${ref}.ecgfm`)];
    const found = candidates.find((p) => existsSync(p) && statSync(p).isFile());
    if (!found) throw new ServiceError('not-found', `No model package "${ref}" (looked in ${candidates.join(', ')}). Import one or fine-tune and export one.`);
    return found;
  };
  const inspect = async (path: string): Promise<PackageHeader> => {
    try {
      return (await back()).inspectModelPackage(path);
    } catch (err) {
      throw new ServiceError('invalid-input', message(err));
    }
  };
  const runDir = (id: string): string => {
    const dir = join(runsDir(), id);
    if (!existsSync(join(dir, 'run.json')) && !existsSync(join(dir, UI_FILE))) throw new ServiceError('not-found', `There is no clinical run ${id} in this workspace.`);
    return dir;
  };
  const runFile = (dir: string): RunFile => {
    const r = readJson<RunFile>(join(dir, 'run.json'));
    if (!r) throw new ServiceError('not-found', `${dir} has no run.json yet: the run has not read its cohort (start or resume it).`);
    return r;
  };
  const summary = (id: string): ClinicalRunSummaryView | null => {
    const dir = join(runsDir(), id);
    const ui = readJson<UiFile>(join(dir, UI_FILE));
    const run = readJson<RunFile>(join(dir, 'run.json'));
    if (!ui && !run) return null;
    const metrics = readJson<ClinicalMetrics>(join(dir, 'metrics.json'));
    const lines = (f: string) => (existsSync(join(dir, f)) ? Math.max(0, readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length - 1) : 0);
    return {
      id,
      model: basename(run?.model.path ?? ui?.modelPath ?? ''),
      cohort: run?.cohortDescription ?? ui?.request.cohort.path ?? '',
      status: ui?.complete && metrics ? 'complete' : 'incomplete',
      scored: lines('scores.csv'),
      unreadable: lines('unreadable.csv'),
      createdAt: run?.startedAt ?? statSync(dir).mtime.toISOString(),
    };
  };

  const handlers: ClinicalHandlers = {
    async listClinicalModels() {
      const dir = modelsDir();
      if (!existsSync(dir)) return [];
      const out: ClinicalModelView[] = [];
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.ecgfm')).sort()) {
        try {
          out.push(modelView(join(dir, f), await inspect(join(dir, f))));
        } catch {
          // A damaged file is reported when the user picks it, not here.
        }
      }
      return out;
    },

    async inspectClinicalModel({ model }) {
      const path = resolveModel(model);
      return modelView(path, await inspect(path));
    },

    async importClinicalModel({ path, name }) {
      const src = resolve(path);
      if (!existsSync(src)) throw new ServiceError('not-found', `Nothing exists at ${src}. Check the path (it is read on the machine running the host).`);
      const header = await inspect(src);
      const file = (name ?? basename(src)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/(\.ecgfm)?$/, '.ecgfm');
      mkdirSync(modelsDir(), { recursive: true });
      let dest = join(modelsDir(), file);
      if (resolve(dest) === src) return modelView(dest, header);
      // Another package under this name is never overwritten: the import is versioned (name-2.ecgfm, …) unless it
      // is the very same model (same weights), which is then simply the one already there.
      for (let v = 2; existsSync(dest); v++) {
        if ((await inspect(dest)).weightsSha256 === header.weightsSha256) return modelView(dest, header);
        dest = join(modelsDir(), file.replace(/\.ecgfm$/, `-${v}.ecgfm`));
      }
      copyFileSync(src, dest);
      return modelView(dest, header);
    },

    async startClinicalFinetune(req) {
      const name = req.name.replace(/\.ecgfm$/, '');
      const dest = join(modelsDir(), `${name}.ecgfm`);
      if (existsSync(dest)) throw new ServiceError('invalid-input', `A model package named "${name}" already exists. Choose another name.`);
      if (deps.jobs.list().some((j) => j.kind === 'clinical-finetune' && j.resultId === `${name}.ecgfm` && (j.status === 'queued' || j.status === 'running')))
        throw new ServiceError('invalid-input', `A fine-tune that exports "${name}.ecgfm" is already queued or running. Choose another name.`);
      const title = `Fine-tune ${req.runId ?? `P${req.model?.patch} D${req.model?.dim} L${req.model?.depth}`} on ${req.dataset} → ${name}.ecgfm`;
      const job = deps.jobs.enqueue('clinical-finetune', { name, dest, request: req }, { title, resultId: `${name}.ecgfm` });
      return { jobId: job.id };
    },

    async startClinicalRun(req) {
      const modelPath = resolveModel(req.model);
      const header = await inspect(modelPath);
      const id = req.resume ?? `${stamp()}-${basename(modelPath, '.ecgfm')}-${rand()}`;
      const outDir = join(runsDir(), id);
      if (req.resume) {
        const prev = runDir(req.resume);
        const run = readJson<RunFile>(join(prev, 'run.json'));
        if (run && run.model.weightsSha256 !== header.weightsSha256) throw new ServiceError('invalid-input', `Run ${id} was made with another model (${basename(run.model.path)}); resume it with that model.`);
      }
      const { detectDataset } = await import('./detect.js');
      if (!existsSync(resolve(req.cohort.path))) detectDataset(req.cohort.path); // Throws the "nothing exists at" message.
      mkdirSync(outDir, { recursive: true });
      const ui: UiFile = { request: req, modelPath, compatibility: null, complete: false };
      writeFileSync(join(outDir, UI_FILE), JSON.stringify(ui, null, 2));
      const title = `${req.resume ? 'Resume' : 'Run'} ${basename(modelPath)} on ${basename(resolve(req.cohort.path))}${req.cohort.where ? ` (${Object.entries(req.cohort.where).map(([k, v]) => `${k}=${v.join(',')}`).join(' ')})` : ''}`;
      const job = deps.jobs.enqueue('clinical-run', { id, modelPath, outDir, request: req }, { title, resultId: id });
      return { jobId: job.id, runId: id };
    },

    async listClinicalRuns() {
      if (!existsSync(runsDir())) return [];
      return readdirSync(runsDir())
        .map(summary)
        .filter((s): s is ClinicalRunSummaryView => s !== null)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },

    async getClinicalRun({ id }) {
      const dir = runDir(id);
      const base = summary(id) as ClinicalRunSummaryView;
      const ui = readJson<UiFile>(join(dir, UI_FILE));
      const run = readJson<RunFile>(join(dir, 'run.json'));
      const metrics = ui?.complete === false ? null : readJson<ClinicalMetrics>(join(dir, 'metrics.json'));
      const { splitCsvLine } = await import('../clinical/run.js');
      const unreadable = existsSync(join(dir, 'unreadable.csv'))
        ? readFileSync(join(dir, 'unreadable.csv'), 'utf8')
            .split('\n')
            .filter(Boolean)
            .slice(1)
            .map((l) => {
              const c = splitCsvLine(l);
              return { id: c[0] ?? '', file: c[1] ?? '', problem: c[2] ?? '' };
            })
        : [];
      return {
        ...base,
        outDir: dir,
        modelPath: run?.model.path ?? ui?.modelPath ?? '',
        engine: run?.engine ?? '',
        compatibility: ui?.compatibility ?? null,
        request: ui?.request ?? null,
        thresholdsChosenOn: metrics?.thresholdsChosenOn ?? null,
        summary: metrics ? { ageBands: metrics.summary.ageBands, sex: metrics.summary.sex, labelled: metrics.summary.labelled } : null,
        unreadableRecords: unreadable,
        overlap: run?.overlap ?? null,
        tasks: (metrics?.tasks ?? []).map(taskView),
        macro: macroView(metrics?.macro),
        warnings: metrics?.warnings ?? [],
        hasReport: existsSync(join(dir, 'report.html')),
      } satisfies ClinicalRunView;
    },

    async clinicalRecords({ id, offset, limit, task, search }) {
      const dir = runDir(id);
      const { splitCsvLine } = await import('../clinical/run.js');
      const { tasks, rows } = readRows(dir, splitCsvLine);
      let list = rows;
      const q = search?.trim().toLowerCase();
      if (q) list = list.filter((r) => r.id.toLowerCase().includes(q) || r.patientId.toLowerCase().includes(q));
      const t = task === undefined ? -1 : tasks.indexOf(task);
      if (task !== undefined && t < 0) throw new ServiceError('invalid-input', `Run ${id} has no task ${task} (tasks: ${tasks.join(', ')}).`);
      // With a task: highest score first, so the cases the model is surest about lead.
      if (t >= 0) list = [...list].sort((a, b) => (b.scores[t] as number) - (a.scores[t] as number));
      return { tasks, total: list.length, offset, rows: list.slice(offset, offset + limit) };
    },

    async clinicalRecord({ id, recordId, task, steps }) {
      const dir = runDir(id);
      const run = runFile(dir);
      const t = run.model.tasks.indexOf(task);
      if (t < 0) throw new ServiceError('invalid-input', `The model has no task ${task} (tasks: ${run.model.tasks.join(', ')}).`);
      await backend();
      const clinical = await back();
      const { openCohort } = clinical;
      const { readCohortRecord } = await import('../clinical/cohort.js');
      const cohort = await openCohort(run.cohort as Parameters<typeof openCohort>[0]);
      const rec = cohort.records.find((r) => r.id === recordId);
      if (!rec) throw new ServiceError('not-found', `Record ${recordId} is not in the cohort of run ${id}.`);
      const model = clinical.ClinicalModel.load(run.model.path);
      try {
        const read = readCohortRecord(rec, model.header.preprocessing);
        if (!read.ok) throw new ServiceError('failed', `Record ${recordId} cannot be read: ${read.problem}`);
        const sal = await clinical.integratedGradients(model, read.signal, t, { steps });
        const { splitCsvLine } = await import('../clinical/run.js');
        const row = readRows(dir, splitCsvLine).rows.find((r) => r.id === recordId);
        const metrics = readJson<ClinicalMetrics>(join(dir, 'metrics.json'));
        const pre = model.header.preprocessing;
        const n = pre.sampleRate * pre.seconds;
        const data: number[][] = [];
        for (let l = 0; l < pre.leads.length; l++) data.push(Array.from(read.signal.subarray(l * n, (l + 1) * n), round4));
        return {
          id: recordId,
          task,
          score: row ? num(row.scores[t]) : null,
          label: row?.labels[t] ?? null,
          threshold: metrics?.tasks[t]?.threshold ?? model.header.tasks[t]?.threshold ?? null,
          signal: { dataset: cohort.description, index: cohort.records.indexOf(rec), id: recordId, view: 'standardised', leads: [...pre.leads], fs: pre.sampleRate, data, note: `As the model saw it: ${pre.description}.` },
          saliency: { task: sal.task, leads: sal.leads, segmentSeconds: sal.segmentSeconds, segments: sal.segments.map((r) => r.map((v) => Math.round(v * 1e6) / 1e6)), logit: sal.logit, baselineLogit: sal.baselineLogit, total: sal.total, steps: sal.steps },
        };
      } finally {
        model.dispose();
      }
    },

    async clinicalReport({ id, rewrite }) {
      const dir = runDir(id);
      const path = join(dir, 'report.html');
      if (rewrite || !existsSync(path)) {
        if (!existsSync(join(dir, 'metrics.json'))) throw new ServiceError('invalid-input', `Run ${id} has not finished: resume it before writing its report.`);
        await backend();
        await (await back()).writeClinicalReport(dir, runFile(dir).model.path);
      }
      return { path, html: readFileSync(path, 'utf8') };
    },

    async saveClinicalPdf() {
      throw new ServiceError('unavailable', 'Saving the report as PDF needs the desktop app (Electron prints it with printToPDF). In the browser, open the HTML report and print it to PDF.');
    },

    async exportClinicalOnnx({ model, verify }) {
      const path = resolveModel(model);
      await inspect(path);
      const out = path.replace(/\.ecgfm$/, '') + '.onnx';
      // ONNX Runtime checks the export in a worker, as every engine does.
      let res: { path: string; bytes: number; maxAbsDiff: number | null };
      try {
        res = await deps.jobs.run('onnx-export', { path, out, verify }, { title: `ONNX export of ${basename(path)}` });
      } catch (err) {
        throw new ServiceError('failed', `ONNX export of ${path} failed: ${message(err)}`);
      }
      if (res.maxAbsDiff !== null && !(res.maxAbsDiff <= 1e-4)) throw new ServiceError('failed', `The ONNX export differs from tfjs by ${res.maxAbsDiff} (> 1e-4); it was written to ${res.path} but should not be used.`);
      return { path: res.path, bytes: res.bytes, opset: 17, maxAbsDiff: res.maxAbsDiff };
    },
  };
  return { handlers };
}

/** For the Electron shell: where a run's report lives, written first when missing. */
export async function clinicalReportPath(handlers: Pick<ClinicalHandlers, 'clinicalReport'>, id: string): Promise<string> {
  return (await handlers.clinicalReport({ id, rewrite: false })).path;
}
