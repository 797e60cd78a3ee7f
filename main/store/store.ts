/**
 * The experiment store: one SQLite file per workspace (WAL, busy timeout) recording datasets, runs, loss series,
 * evaluations, studies and artifacts. Artifacts stay on disk under the workspace; the store keeps paths and hashes.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { workspaceDir } from '../workspace.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import type {
  ArtifactRecord,
  CellRecord,
  CellSpec,
  DatasetRecord,
  EvaluationRecord,
  MetricPoint,
  NewEvaluation,
  NewRun,
  RunPatch,
  RunRecord,
  StudyRecord,
} from './types.js';

export * from './types.js';

/** `<workspace>/ecgfm.sqlite`. */
export function storePath(): string {
  return join(workspaceDir(), 'ecgfm.sqlite');
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** A short sortable id: time prefix plus randomness, e.g. `pretrain-lx3k9a-4f2c`. */
/**
 * `WHERE col = @key AND …` for the filter fields that are set (empty when none), with their named parameters.
 * `columns` maps each filter field to its column.
 */
export function whereClause<F extends object>(filter: F, columns: { [K in keyof F]-?: string }): { where: string; values: Record<string, unknown> } {
  const where: string[] = [];
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(columns) as (keyof F & string)[]) {
    if (!filter[key]) continue;
    where.push(`${columns[key]} = @${key}`);
    values[key] = filter[key];
  }
  return { where: where.length ? 'WHERE ' + where.join(' AND ') : '', values };
}

export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
}

type Row = Record<string, unknown>;

const json = (v: unknown): string => JSON.stringify(v ?? {});
const parse = <T>(s: unknown, fallback: T): T => {
  if (typeof s !== 'string' || s === '') return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
};
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toRun(r: Row): RunRecord {
  return {
    id: String(r.id),
    kind: String(r.kind),
    name: String(r.name ?? ''),
    config: parse<Record<string, unknown>>(r.config, {}),
    backend: String(r.backend ?? ''),
    seed: Number(r.seed ?? 0),
    codeVersion: String(r.code_version ?? ''),
    status: String(r.status) as RunRecord['status'],
    dataset: str(r.dataset),
    parentRunId: str(r.parent_run_id),
    studyId: str(r.study_id),
    cellIndex: num(r.cell_index),
    dir: str(r.dir),
    checkpointPath: str(r.checkpoint_path),
    step: Number(r.step ?? 0),
    error: str(r.error),
    createdAt: String(r.created_at),
    startedAt: str(r.started_at),
    finishedAt: str(r.finished_at),
    elapsedMs: Number(r.elapsed_ms ?? 0),
    engine: String(r.engine ?? 'tfjs'),
    dataUse: dataUseOf(r.data_use),
  };
}

/** data_use read back from disk: checked, not cast (a hand-edited or damaged row reads as unknown). */
function dataUseOf(v: unknown): RunRecord['dataUse'] {
  const d = parse<unknown>(v, null);
  if (!d || typeof d !== 'object') return null;
  const o = d as Record<string, unknown>;
  const one = (x: Record<string, unknown>): x is { dataset: string; split: string; indices: number[] } =>
    typeof x.dataset === 'string' && typeof x.split === 'string' && Array.isArray(x.indices) && x.indices.every((i) => Number.isInteger(i));
  const monitored = (x: Record<string, unknown>): { validation?: number[] } =>
    Array.isArray(x.validation) && x.validation.every((i) => Number.isInteger(i)) ? { validation: x.validation as number[] } : {};
  if (!one(o)) return null;
  const use: NonNullable<RunRecord['dataUse']> = { dataset: o.dataset, split: o.split, indices: o.indices, ...monitored(o) };
  const sources: unknown = (d as Record<string, unknown>).sources;
  if (sources !== undefined) {
    // A damaged source list must not read as "saw nothing": the row's use is then unknown.
    if (!Array.isArray(sources) || !sources.every((x: unknown) => typeof x === 'object' && x !== null && one(x as Record<string, unknown>))) return null;
    use.sources = (sources as { dataset: string; split: string; indices: number[] }[]).map((x) => ({ dataset: x.dataset, split: x.split, indices: x.indices, ...monitored(x) }));
  }
  return use;
}

function toCell(r: Row): CellRecord {
  return {
    studyId: String(r.study_id),
    index: Number(r.idx),
    key: String(r.key),
    method: String(r.method),
    patch: Number(r.patch),
    depth: Number(r.depth),
    dim: Number(r.dim),
    status: String(r.status) as CellRecord['status'],
    runId: str(r.run_id),
    error: str(r.error),
    startedAt: str(r.started_at),
    finishedAt: str(r.finished_at),
  };
}

function toEvaluation(r: Row): EvaluationRecord {
  return {
    id: Number(r.id),
    runId: String(r.run_id),
    task: String(r.task),
    protocol: String(r.protocol),
    metric: String(r.metric),
    value: num(r.value),
    ciLow: num(r.ci_low),
    ciHigh: num(r.ci_high),
    split: String(r.split),
    condition: String(r.condition ?? ''),
    createdAt: String(r.created_at),
  };
}

const RUN_COLUMNS: Record<keyof RunPatch, string> = {
  name: 'name',
  config: 'config',
  backend: 'backend',
  seed: 'seed',
  codeVersion: 'code_version',
  status: 'status',
  dataset: 'dataset',
  parentRunId: 'parent_run_id',
  studyId: 'study_id',
  cellIndex: 'cell_index',
  dir: 'dir',
  checkpointPath: 'checkpoint_path',
  step: 'step',
  error: 'error',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  elapsedMs: 'elapsed_ms',
  engine: 'engine',
  dataUse: 'data_use',
};

export class Store {
  readonly db: Database.Database;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path);
    } catch (err) {
      throw new Error(`Cannot open the experiment store ${path}: ${(err as Error).message}`);
    }
    // WAL lets readers and one writer work at once; the busy timeout makes a second writer wait instead of failing.
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  get schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  private migrate(): void {
    const apply = this.db.transaction(() => {
      const current = this.schemaVersion;
      if (current > SCHEMA_VERSION) {
        throw new Error(
          `The experiment store ${this.path} has schema version ${current}, newer than this build understands (${SCHEMA_VERSION}). Update ECG-FM Workstation.`,
        );
      }
      for (let v = current; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!);
      if (current < SCHEMA_VERSION) this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
    // IMMEDIATE takes the write lock first, so two processes opening a fresh store do not both migrate.
    apply.immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in one write transaction (taken immediately, so concurrent writers queue instead of deadlocking). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ---- datasets -------------------------------------------------------------------------------------------------

  upsertDataset(d: Omit<DatasetRecord, 'createdAt'> & { createdAt?: string }): void {
    this.db
      .prepare(
        `INSERT INTO datasets (name, kind, source, path, manifest_hash, records, patients, labels, created_at)
         VALUES (@name, @kind, @source, @path, @manifestHash, @records, @patients, @labels, @createdAt)
         ON CONFLICT(name) DO UPDATE SET kind=excluded.kind, source=excluded.source, path=excluded.path,
           manifest_hash=excluded.manifest_hash, records=excluded.records, patients=excluded.patients, labels=excluded.labels`,
      )
      .run({ ...d, labels: json(d.labels), createdAt: d.createdAt ?? nowIso() });
  }

  listDatasets(): DatasetRecord[] {
    return (this.db.prepare('SELECT * FROM datasets ORDER BY name').all() as Row[]).map((r) => ({
      name: String(r.name),
      kind: String(r.kind),
      source: String(r.source),
      path: String(r.path),
      manifestHash: String(r.manifest_hash),
      records: Number(r.records),
      patients: Number(r.patients),
      labels: parse<Record<string, number>>(r.labels, {}),
      createdAt: String(r.created_at),
    }));
  }

  // ---- runs -----------------------------------------------------------------------------------------------------

  /** Creates a run, or returns the existing one with that id (a resumed run keeps its record). */
  createRun(run: NewRun): RunRecord {
    const id = run.id ?? newId(run.kind);
    this.db
      .prepare(
        `INSERT INTO runs (id, kind, name, config, backend, seed, code_version, status, dataset, parent_run_id, study_id,
           cell_index, dir, engine, data_use, created_at)
         VALUES (@id, @kind, @name, @config, @backend, @seed, @codeVersion, @status, @dataset, @parentRunId, @studyId,
           @cellIndex, @dir, @engine, @dataUse, @createdAt)
         ON CONFLICT(id) DO NOTHING`,
      )
      .run({
        id,
        kind: run.kind,
        name: run.name ?? '',
        config: json(run.config),
        backend: run.backend ?? '',
        seed: run.seed ?? 0,
        codeVersion: run.codeVersion ?? '',
        status: run.status ?? 'created',
        dataset: run.dataset ?? null,
        parentRunId: run.parentRunId ?? null,
        studyId: run.studyId ?? null,
        cellIndex: run.cellIndex ?? null,
        dir: run.dir ?? null,
        engine: run.engine ?? 'tfjs',
        dataUse: run.dataUse ? JSON.stringify(run.dataUse) : null,
        createdAt: nowIso(),
      });
    return this.getRun(id)!;
  }

  updateRun(id: string, patch: RunPatch): RunRecord {
    const sets: string[] = [];
    const values: Record<string, unknown> = { id };
    for (const [key, column] of Object.entries(RUN_COLUMNS) as [keyof RunPatch, string][]) {
      if (!(key in patch)) continue;
      const v = patch[key];
      sets.push(`${column} = @${key}`);
      values[key] = key === 'config' ? json(v) : key === 'dataUse' ? (v ? JSON.stringify(v) : null) : (v ?? null);
    }
    if (sets.length) {
      const info = this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = @id`).run(values);
      if (info.changes === 0) throw new Error(`No run "${id}" in the experiment store.`);
    }
    return this.getRun(id)!;
  }

  /** A run by exact id, or by a unique id prefix. */
  getRun(idOrPrefix: string): RunRecord | null {
    const exact = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(idOrPrefix) as Row | undefined;
    if (exact) return toRun(exact);
    const matches = this.db.prepare('SELECT * FROM runs WHERE substr(id, 1, ?) = ? ORDER BY created_at LIMIT 2').all(idOrPrefix.length, idOrPrefix) as Row[];
    return matches.length === 1 ? toRun(matches[0]!) : null;
  }

  listRuns(filter: { kind?: string; status?: string; studyId?: string; parentRunId?: string } = {}): RunRecord[] {
    const { where, values } = whereClause(filter, { kind: 'kind', status: 'status', studyId: 'study_id', parentRunId: 'parent_run_id' });
    return (this.db.prepare(`SELECT * FROM runs ${where} ORDER BY created_at, id`).all(values) as Row[]).map(toRun);
  }

  // ---- metric series ----------------------------------------------------------------------------------------------

  /** Adds loss/metric points; a point at an existing (name, step) replaces it, so a resumed run re-logs safely. */
  addMetrics(runId: string, points: MetricPoint[]): void {
    if (!points.length) return;
    const insert = this.db.prepare('INSERT OR REPLACE INTO metric_series (run_id, name, step, value) VALUES (?, ?, ?, ?)');
    this.transaction(() => {
      for (const p of points) if (Number.isFinite(p.value)) insert.run(runId, p.name, p.step, p.value);
    });
  }

  metricSeries(runId: string, name?: string): MetricPoint[] {
    const rows = (
      name
        ? this.db.prepare('SELECT name, step, value FROM metric_series WHERE run_id = ? AND name = ? ORDER BY step').all(runId, name)
        : this.db.prepare('SELECT name, step, value FROM metric_series WHERE run_id = ? ORDER BY name, step').all(runId)
    ) as Row[];
    return rows.map((r) => ({ name: String(r.name), step: Number(r.step), value: Number(r.value) }));
  }

  metricNames(runId: string): string[] {
    return (this.db.prepare('SELECT DISTINCT name FROM metric_series WHERE run_id = ? ORDER BY name').all(runId) as Row[]).map((r) =>
      String(r.name),
    );
  }

  /**
   * The final value of each series, as the mean of its last `tail` points: single steps of a short
   * stochastic run are too noisy to compare architectures.
   */
  finalMetrics(runId: string, tail = 10): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of this.metricNames(runId)) {
      const rows = this.db
        .prepare('SELECT value FROM metric_series WHERE run_id = ? AND name = ? ORDER BY step DESC LIMIT ?')
        .all(runId, name, tail) as Row[];
      if (rows.length) out[name] = rows.reduce((s, r) => s + Number(r.value), 0) / rows.length;
    }
    return out;
  }

  // ---- evaluations ------------------------------------------------------------------------------------------------

  addEvaluations(runId: string, rows: NewEvaluation[]): void {
    const insert = this.db.prepare(
      `INSERT INTO evaluations (run_id, task, protocol, metric, value, ci_low, ci_high, split, condition, created_at)
       VALUES (@runId, @task, @protocol, @metric, @value, @ciLow, @ciHigh, @split, @condition, @createdAt)
       ON CONFLICT(run_id, task, protocol, metric, split, condition) DO UPDATE SET
         value=excluded.value, ci_low=excluded.ci_low, ci_high=excluded.ci_high, created_at=excluded.created_at`,
    );
    const createdAt = nowIso();
    this.transaction(() => {
      for (const r of rows)
        insert.run({
          runId,
          task: r.task,
          protocol: r.protocol,
          metric: r.metric,
          value: r.value ?? null,
          ciLow: r.ciLow ?? null,
          ciHigh: r.ciHigh ?? null,
          split: r.split ?? 'test',
          condition: r.condition ?? '',
          createdAt,
        });
    });
  }

  evaluations(filter: { runId?: string; studyId?: string; protocol?: string } = {}): EvaluationRecord[] {
    const { where, values } = whereClause(filter, { runId: 'e.run_id', studyId: 'r.study_id', protocol: 'e.protocol' });
    const sql = `SELECT e.* FROM evaluations e JOIN runs r ON r.id = e.run_id
      ${where} ORDER BY e.id`;
    return (this.db.prepare(sql).all(values) as Row[]).map(toEvaluation);
  }

  // ---- studies ----------------------------------------------------------------------------------------------------

  /** Creates a study with its cells in run order; an existing study of that name is returned unchanged. */
  createStudy(name: string, config: Record<string, unknown>, cells: CellSpec[]): StudyRecord {
    return this.transaction(() => {
      const existing = this.getStudy(name);
      if (existing) return existing;
      const id = newId('study');
      const at = nowIso();
      this.db
        .prepare('INSERT INTO studies (id, name, config, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, name, json(config), 'created', at, at);
      const insert = this.db.prepare(
        'INSERT INTO study_cells (study_id, idx, key, method, patch, depth, dim) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      cells.forEach((c, i) => insert.run(id, i, c.key, c.method, c.patch, c.depth, c.dim));
      return this.getStudy(id)!;
    });
  }

  getStudy(idOrName: string): StudyRecord | null {
    const r = this.db.prepare('SELECT * FROM studies WHERE id = ? OR name = ?').get(idOrName, idOrName) as Row | undefined;
    return r
      ? {
          id: String(r.id),
          name: String(r.name),
          config: parse<Record<string, unknown>>(r.config, {}),
          status: String(r.status),
          createdAt: String(r.created_at),
          updatedAt: String(r.updated_at),
        }
      : null;
  }

  listStudies(): StudyRecord[] {
    return (this.db.prepare('SELECT id FROM studies ORDER BY created_at').all() as Row[]).map((r) => this.getStudy(String(r.id))!);
  }

  setStudyStatus(id: string, status: string): void {
    this.db.prepare('UPDATE studies SET status = ?, updated_at = ? WHERE id = ?').run(status, nowIso(), id);
  }

  studyCells(studyId: string): CellRecord[] {
    return (this.db.prepare('SELECT * FROM study_cells WHERE study_id = ? ORDER BY idx').all(studyId) as Row[]).map(toCell);
  }

  updateCell(studyId: string, index: number, patch: Partial<Pick<CellRecord, 'status' | 'runId' | 'error' | 'startedAt' | 'finishedAt'>>): void {
    const columns: Record<string, string> = { status: 'status', runId: 'run_id', error: 'error', startedAt: 'started_at', finishedAt: 'finished_at' };
    const sets: string[] = [];
    const values: Record<string, unknown> = { studyId, index };
    for (const [key, column] of Object.entries(columns)) {
      if (!(key in patch)) continue;
      sets.push(`${column} = @${key}`);
      values[key] = (patch as Record<string, unknown>)[key] ?? null;
    }
    if (sets.length) this.db.prepare(`UPDATE study_cells SET ${sets.join(', ')} WHERE study_id = @studyId AND idx = @index`).run(values);
  }

  // ---- artifacts ----------------------------------------------------------------------------------------------------

  /** Records a file under the workspace with its SHA-256 (re-recording a path updates its hash). */
  async recordArtifact(a: { path: string; kind: string; runId?: string | null; studyId?: string | null }): Promise<ArtifactRecord> {
    const sha256 = await sha256File(a.path);
    const bytes = statSync(a.path).size;
    const rec: ArtifactRecord = { path: a.path, kind: a.kind, runId: a.runId ?? null, studyId: a.studyId ?? null, sha256, bytes, createdAt: nowIso() };
    this.db
      .prepare(
        `INSERT INTO artifacts (path, kind, run_id, study_id, sha256, bytes, created_at) VALUES (@path, @kind, @runId, @studyId, @sha256, @bytes, @createdAt)
         ON CONFLICT(path) DO UPDATE SET kind=excluded.kind, run_id=excluded.run_id, study_id=excluded.study_id,
           sha256=excluded.sha256, bytes=excluded.bytes, created_at=excluded.created_at`,
      )
      .run(rec);
    return rec;
  }

  artifacts(filter: { runId?: string; studyId?: string } = {}): ArtifactRecord[] {
    const rows = (
      filter.runId
        ? this.db.prepare('SELECT * FROM artifacts WHERE run_id = ? ORDER BY path').all(filter.runId)
        : filter.studyId
          ? this.db.prepare('SELECT * FROM artifacts WHERE study_id = ? ORDER BY path').all(filter.studyId)
          : this.db.prepare('SELECT * FROM artifacts ORDER BY path').all()
    ) as Row[];
    return rows.map((r) => ({
      path: String(r.path),
      kind: String(r.kind),
      runId: str(r.run_id),
      studyId: str(r.study_id),
      sha256: String(r.sha256),
      bytes: Number(r.bytes),
      createdAt: String(r.created_at),
    }));
  }
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', (err) => reject(new Error(`Cannot hash artifact ${path}: ${err.message}`)))
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Opens (creating and migrating as needed) the store of the current workspace, or the file given. */
export function openStore(path: string = storePath()): Store {
  return new Store(path);
}
