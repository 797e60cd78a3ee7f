/**
 * The service behind both hosts: implements every contract method by calling main/ modules.
 * Hosts validate inputs with the contract's schemas first; handlers receive parsed inputs.
 */
import { pretrainPresets } from '../resources.js';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ApiEvent, ApiHandlers, DatasetSummaryView, EcgSignal, EventListener, ImportReportView, PretrainPresets, RecordRow } from '../../contract/api.js';
import { doctorReportSchema, LEAD_NAMES } from '../../contract/api.js';
import type { CachedDataset, DatasetSummary, ImportReport, RecordMeta } from '../data/types.js';
import { PRODUCT_VERSION } from '../version.js';
import { workspaceDir } from '../workspace.js';
import { detectDataset } from './detect.js';
import { confine, datasetRoot, underRoots } from '../data/confine.js';
import { datasetState } from '../data/registry.js';
import { describeFlags } from '../data/quality.js';
import { ServiceError } from './errors.js';
import { defaultDataPort } from './modules.js';
import type { DataPort, ServiceDeps } from './ports.js';
import { createAnalysis } from './analysis.js';
import { createClinical } from './clinical.js';
import { createPretraining } from './pretraining.js';
import { openStore, type Store } from '../store/store.js';
import { createJobSystem } from '../jobs/system.js';
import { adoptRunFolders } from '../experiments/run-record.js';

export interface Service {
  handlers: ApiHandlers;
  onEvent(listener: EventListener): () => void;
  /** Cancels live imports and runs and waits for their workers to end. */
  dispose(): Promise<void>;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

function shares(prev: Record<string, { count: number; fraction: number }> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(prev ?? {})) out[k] = v.fraction;
  return out;
}

export function summaryView(s: DatasetSummary): DatasetSummaryView {
  const complete = s.complete ?? true;
  const expected = s.expected ?? null;
  return {
    name: s.name, kind: s.kind, count: s.count, patients: s.patients, prevalence: shares(s.labelPrevalence), createdAt: s.createdAt || null, path: s.path,
    complete, expected, state: datasetState({ complete, count: s.count, expected }), quality: s.quality ?? {},
    sources: (s.sources ?? []).map((f) => ({ path: f.path, records: f.records, complete: f.complete })),
  };
}

export function reportView(r: ImportReport): ImportReportView {
  return {
    dataset: r.name,
    kind: r.kind,
    imported: r.added,
    skipped: r.skipped,
    failed: r.errors.length,
    patients: r.patients,
    prevalence: shares(r.labelPrevalence),
    errors: r.errors.map((e) => ({ ref: e.ref, file: e.file, problem: e.problem })),
    seconds: r.durations.totalMs / 1000,
  };
}

function flagsOf(q: RecordMeta['quality'] | undefined): string[] {
  return describeFlags(q);
}

/** Where the source WFDB header of a cached record lives: PTB-XL's filename_lr/hr, or a WFDB folder's record id. */
function rawHeaderPath(ds: CachedDataset, meta: RecordMeta): string | null {
  const source = (ds as { manifest?: { source?: string | null } }).manifest?.source;
  if (!source) return null;
  const f = meta.fields;
  // Hospital-format records name their file relative to the imported folder (or the single file's folder); it must
  // lie inside that folder (confine.ts), like every file a dataset names.
  if (typeof f.format === 'string' && typeof f.file === 'string') {
    const base = existsSync(join(source, f.file)) ? source : dirname(source);
    try {
      const abs = confine(datasetRoot(base), base, f.file, 'source file');
      return existsSync(abs) ? abs : null;
    } catch {
      return null;
    }
  }
  const rels =
    ds.kind === 'ptbxl' ? [f.filename_lr, f.filename_hr] : ds.kind === 'wfdb' || ds.kind === 'mimic-iv-ecg' ? [meta.id, f.path, f.file] : [];
  const root = datasetRoot(source);
  for (const rel of rels) {
    if (typeof rel !== 'string' || !rel) continue;
    let hea: string;
    try {
      hea = confine(root, source, rel.endsWith('.hea') ? rel : `${rel}.hea`, 'source file');
    } catch {
      continue;
    }
    if (existsSync(hea)) return hea;
  }
  return null;
}

/** A record's source file name without folder or extension (PTB-XL's `records100/00000/00008_lr` → `00008_lr`). */
export function recordName(meta: RecordMeta): string {
  const f = meta.fields;
  const rel = [f.filename_lr, f.filename_hr, f.path, f.file].find((v): v is string => typeof v === 'string' && v.length > 0);
  if (!rel) return meta.id;
  return rel.replace(/\\/g, '/').split('/').pop()!.replace(/\.(hea|dat|mat|h5|hdf5|xml|dcm|npz)$/i, '') || meta.id;
}


/** The Pre-train page's defaults, grid and presets, from resources/presets/pretrain.json. */
export const PRESETS: PretrainPresets = pretrainPresets();

export function createService(deps: ServiceDeps = {}): Service {
  const listeners = new Set<EventListener>();
  const emit = (e: ApiEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // A broken subscriber must not stop the others.
      }
    }
  };
  const workspace = () => deps.workspace ?? workspaceDir();
  const dataRoots = () => (deps.dataRoots?.length ? deps.dataRoots : [homedir(), workspace()]);
  // One answer for every path outside the data roots, whether it exists or not (no file-existence oracle).
  const allowedPath = (path: string): string => {
    const abs = underRoots(path, dataRoots());
    if (!abs) throw new ServiceError('forbidden', 'That path is not in a folder this host may read. Start the host with `ecgfm serve --data-root DIR` to allow a folder.');
    return abs;
  };
  const runsDir = () => deps.runsDir ?? join(workspace(), 'runs');
  // One store per workspace; the job runner in it starts now, so jobs a previous host left behind resume.
  const store: Store = openStore(join(workspace(), 'ecgfm.sqlite'));
  adoptRunFolders(store, runsDir());
  let pretraining: ReturnType<typeof createPretraining> | null = null;
  const jobs = createJobSystem({ store, emit: (e) => emit(e), spawn: deps.spawn, concurrency: deps.concurrency, workspace, onJob: (e) => pretraining?.onJob(e) });

  // A null port (tests, or a host that leaves a capability out) makes its methods answer 'unavailable'.
  const dataPort = deps.data !== undefined ? deps.data : defaultDataPort();
  const data = async (): Promise<DataPort> => {
    if (!dataPort) throw new ServiceError('unavailable', 'This host has no data layer, so datasets cannot be imported or read.');
    return dataPort;
  };

  const opened = new Map<string, CachedDataset>();
  const dataset = async (name: string): Promise<CachedDataset> => {
    const hit = opened.get(name);
    if (hit) return hit;
    let ds: CachedDataset;
    try {
      ds = await (await data()).openDataset(name);
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      throw new ServiceError('not-found', `Dataset "${name}" is not in the workspace (${err instanceof Error ? err.message : String(err)}).`);
    }
    opened.set(name, ds);
    return ds;
  };

  const imports = new Map<string, { abort: AbortController; done: Promise<void> }>();
  let jobSeq = 0;

  const analysis = createAnalysis({ workspace, store, jobs });
  const clinical = createClinical({ workspace, jobs });
  pretraining = createPretraining({ store, jobs, emit, runsDir, datasets: async () => (await (await data()).listDatasets()).map((d) => summaryView(d).name) });

  const handlers: ApiHandlers = {
    ...analysis.handlers,
    ...clinical.handlers,
    ...pretraining.handlers,

    async appInfo() {
      return {
        version: PRODUCT_VERSION,
        host: deps.host ?? 'http',
        workspace: workspace(),
        canPickPaths: false,
        capabilities: { datasets: Boolean(dataPort), rawSignals: Boolean(dataPort?.readRaw), pretraining: true },
      };
    },

    async computeInfo() {
      const [{ initBackend }, { adapterLine }] = await Promise.all([import('../compute/backend.js'), import('../compute/webgpu.js')]);
      const b = await initBackend();
      return { name: b.name, description: b.description, gpu: b.adapter ? adapterLine(b.adapter) : b.name === 'tfjs-node-gpu' ? 'CUDA GPU' : null };
    },

    async computeDoctor() {
      const report = await jobs.run('doctor', {}, { title: 'Check the compute backends (ecgfm doctor)' });
      const r = doctorReportSchema.safeParse(report);
      if (!r.success) throw new ServiceError('failed', `The doctor's report did not read back: ${r.error.message}`);
      return r.data;
    },

    async createDemoDataset({ patients }) {
      // The same cohort `ecgfm demo` generates (name, size, seed), so the CLI demo and the first-run path share it.
      const [{ DEMO_DATASET, DEMO_DEFAULTS }, { writeSyntheticDataset }] = await Promise.all([import('../experiments/demo.js'), import('../data/synthetic.js')]);
      const d = await data();
      const have = (await d.listDatasets()).map(summaryView).find((s) => s.name === DEMO_DATASET);
      if (have && have.count > 0) return { name: have.name, count: have.count, patients: have.patients };
      const rep = await writeSyntheticDataset({ name: DEMO_DATASET, patients: patients ?? DEMO_DEFAULTS.patients, seed: DEMO_DEFAULTS.seed });
      return { name: DEMO_DATASET, count: rep.count, patients: rep.patients };
    },

    async pickPath() {
      return { path: null };
    },

    async detectDataset({ path }) {
      return detectDataset(allowedPath(path));
    },

    async importDataset({ path, kind, name, rate, append }) {
      const d = await data();
      const abs = allowedPath(path);
      if (!existsSync(abs)) throw new ServiceError('not-found', `Nothing exists at ${abs}. Check the path (it is read on the machine running the host).`);
      const existing = (await d.listDatasets()).map(summaryView);
      // An incomplete dataset of that name is resumed; a complete one is not overwritten.
      // `append` adds another folder to it; the data layer refuses a folder it does not already list without one.
      if (!append && existing.some((s) => s.name === name && s.complete)) throw new ServiceError('invalid-input', `A dataset named "${name}" already exists. Choose another name, or append this folder to it.`);
      const jobId = `import-${++jobSeq}-${Date.now().toString(36)}`;
      const abort = new AbortController();
      let lastEmit = 0;
      const done = d
        .importDataset({
          kind,
          path: abs,
          name,
          rate,
          append,
          signal: abort.signal,
          noWait: true,
          onProgress(doneCount, total) {
            const now = performance.now();
            // Throttle: a fast import reports thousands of records a second.
            if (doneCount < total && now - lastEmit < 100) return;
            lastEmit = now;
            emit({ type: 'import.progress', jobId, dataset: name, done: doneCount, total });
          },
        })
        .then(
          (report) => {
            opened.delete(name);
            emit({ type: 'import.finished', jobId, dataset: name, report: reportView(report) });
          },
          (err: unknown) => {
            const message = abort.signal.aborted ? 'Import cancelled.' : `Import of ${abs} failed: ${err instanceof Error ? err.message : String(err)}`;
            emit({ type: 'import.failed', jobId, dataset: name, message });
          },
        )
        .finally(() => imports.delete(jobId));
      imports.set(jobId, { abort, done });
      return { jobId };
    },

    async cancelImport({ jobId }) {
      const job = imports.get(jobId);
      if (!job) return { cancelled: false };
      job.abort.abort();
      return { cancelled: true };
    },

    async deleteDataset({ dataset: name }) {
      const d = await data();
      if (!d.deleteDataset) throw new ServiceError('unavailable', 'This host cannot delete datasets.');
      if (!(await d.listDatasets()).some((s) => s.name === name)) throw new ServiceError('not-found', `Dataset "${name}" is not in the workspace.`);
      const held = opened.get(name) as { close?: () => void } | undefined;
      held?.close?.();
      opened.delete(name);
      try {
        await d.deleteDataset(name);
      } catch (err) {
        throw new ServiceError('invalid-input', `Dataset "${name}" was not deleted: ${err instanceof Error ? err.message : String(err)}`);
      }
      return { deleted: name };
    },

    async listDatasets() {
      const d = await data();
      return (await d.listDatasets()).map(summaryView).sort((a, b) => a.name.localeCompare(b.name));
    },

    async listRecords({ dataset: name, offset, limit, search }) {
      const ds = await dataset(name);
      const q = search?.trim().toLowerCase();
      const rowOf = (i: number): RecordRow => {
        const m = ds.meta(i);
        return {
          index: i,
          id: m.id,
          name: recordName(m),
          patientId: m.patientId,
          labels: Object.entries(m.labels)
            .filter(([, v]) => v)
            .map(([k]) => k),
          fields: m.fields,
          flags: flagsOf(m.quality),
        };
      };
      if (!q) {
        const rows: RecordRow[] = [];
        for (let i = offset; i < Math.min(ds.count, offset + limit); i++) rows.push(rowOf(i));
        return { total: ds.count, offset, rows };
      }
      const matches: number[] = [];
      for (let i = 0; i < ds.count; i++) {
        const r = rowOf(i);
        if (r.id.toLowerCase().includes(q) || r.name.toLowerCase().includes(q) || r.patientId.toLowerCase().includes(q) || r.labels.some((l) => l.toLowerCase() === q)) matches.push(i);
      }
      return { total: matches.length, offset, rows: matches.slice(offset, offset + limit).map(rowOf) };
    },

    async readRecord({ dataset: name, index, view }) {
      const ds = await dataset(name);
      if (index >= ds.count) throw new ServiceError('not-found', `Dataset "${name}" has ${ds.count} records; record ${index + 1} does not exist.`);
      const meta = ds.meta(index);
      let note: string | null = null;
      if (view === 'raw') {
        const d = await data();
        const header = rawHeaderPath(ds, meta);
        if (!d.readRaw) note = 'Raw signals are not available in this build; showing the standardised signal.';
        else if (!header) note = 'The source file of this record was not found (moved or not WFDB); showing the standardised signal.';
        else {
          try {
            const start = typeof meta.fields.window_start === 'number' ? meta.fields.window_start : undefined;
            const raw = await d.readRaw(header, start === undefined ? undefined : { start, seconds: 10 });
            const data_ = raw.signals.map((s) => Array.from(s, (v) => (Number.isFinite(v) ? round4(v) : 0)));
            return { dataset: name, index, id: meta.id, view: 'raw', leads: raw.leads, fs: raw.fs, data: data_, note: `Source file ${header} at ${raw.fs} Hz (${raw.units[0] ?? 'mV'}).` } satisfies EcgSignal;
          } catch (err) {
            note = `The source file could not be read (${err instanceof Error ? err.message : String(err)}); showing the standardised signal.`;
          }
        }
      }
      const signal = ds.readSignal(index);
      const n = signal.length / LEAD_NAMES.length;
      const leads: number[][] = [];
      for (let l = 0; l < LEAD_NAMES.length; l++) leads.push(Array.from(signal.subarray(l * n, (l + 1) * n), round4));
      return { dataset: name, index, id: meta.id, view: 'standardised', leads: [...LEAD_NAMES], fs: n / 10, data: leads, note };
    },

    async pretrainPresets() {
      return PRESETS;
    },
  };

  return {
    handlers,
    onEvent(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async dispose() {
      for (const job of imports.values()) job.abort.abort();
      const waits: Promise<unknown>[] = [...imports.values()].map((j) => j.done);
      waits.push(jobs.dispose());
      await Promise.allSettled(waits);
      store.close();
      listeners.clear();
    },
  };
}
