/**
 * The experiment store's schema as an ordered list of migrations. `PRAGMA user_version` holds the number of
 * migrations applied; a store opened by newer code is upgraded in one transaction, an older code refuses a newer store.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the paper's bookkeeping — datasets, runs, loss series, evaluations, studies, artifacts, and the job queue.
  `
  CREATE TABLE datasets (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL,
    manifest_hash TEXT NOT NULL DEFAULT '',
    records INTEGER NOT NULL DEFAULT 0,
    patients INTEGER NOT NULL DEFAULT 0,
    labels TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
  );

  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT '{}',
    backend TEXT NOT NULL DEFAULT '',
    seed INTEGER NOT NULL DEFAULT 0,
    code_version TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'created',
    dataset TEXT,
    parent_run_id TEXT,
    study_id TEXT,
    cell_index INTEGER,
    dir TEXT,
    checkpoint_path TEXT,
    step INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    elapsed_ms INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX runs_study ON runs(study_id, cell_index);
  CREATE INDEX runs_kind ON runs(kind, status);

  CREATE TABLE metric_series (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    step INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, name, step)
  ) WITHOUT ROWID;

  CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    task TEXT NOT NULL,
    protocol TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL,
    ci_low REAL,
    ci_high REAL,
    split TEXT NOT NULL DEFAULT 'test',
    condition TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (run_id, task, protocol, metric, split, condition)
  );

  CREATE TABLE studies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'created',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE study_cells (
    study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    patch INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    dim INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    run_id TEXT,
    error TEXT,
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (study_id, idx)
  ) WITHOUT ROWID;

  CREATE TABLE artifacts (
    path TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    run_id TEXT,
    study_id TEXT,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    resource TEXT NOT NULL DEFAULT 'gpu',
    status TEXT NOT NULL DEFAULT 'queued',
    priority INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    -- pause/cancel asked by any process; the owner sees it on its next poll
    request TEXT,
    progress TEXT,
    result TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
  );
  CREATE INDEX jobs_status ON jobs(status, priority, id);
  `,
  // 2: studies run on a Slurm cluster — each submission (its script and settings) and each cell's array task.
  `
  CREATE TABLE cluster_submissions (
    job_id TEXT PRIMARY KEY,
    study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    script TEXT NOT NULL,
    settings TEXT NOT NULL,
    cells TEXT NOT NULL,
    submitted_at TEXT NOT NULL
  );
  CREATE TABLE cluster_tasks (
    study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    job_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    reason TEXT NOT NULL DEFAULT '',
    -- submissions of this cell so far; resubmissions after timeout, preemption or node failure count
    attempts INTEGER NOT NULL DEFAULT 1,
    -- the outcome was merged into the store (the cell's runs and metrics are here)
    settled INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (study_id, idx)
  ) WITHOUT ROWID;
  `,
  // 3: one run record — the compute engine of a run and the records its pre-training read (the science rule's proof).
  `
  ALTER TABLE runs ADD COLUMN engine TEXT NOT NULL DEFAULT 'tfjs';
  ALTER TABLE runs ADD COLUMN data_use TEXT;
  ALTER TABLE jobs ADD COLUMN title TEXT NOT NULL DEFAULT '';
  ALTER TABLE jobs ADD COLUMN result_id TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
