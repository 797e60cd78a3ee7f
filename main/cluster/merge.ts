/**
 * Per-cell results into the workspace's store. A Slurm task never opens the shared store (SQLite's locking is not
 * safe across the nodes of a network file system): it writes its cell's runs, loss series, evaluations and artifacts
 * to a store of its own, and the submitting side copies them in, in one transaction, here. Merging is idempotent,
 * so a cell merged after each attempt (or by two watchers) leaves one copy of every row.
 */
import { existsSync } from 'node:fs';
import type { Store } from '../store/store.js';

export interface MergeCounts {
  runs: number;
  metrics: number;
  evaluations: number;
}

export function mergeCellStore(store: Store, studyId: string, index: number, cellStorePath: string): MergeCounts {
  if (!existsSync(cellStorePath)) return { runs: 0, metrics: 0, evaluations: 0 };
  const db = store.db;
  db.prepare('ATTACH DATABASE ? AS cell').run(cellStorePath);
  try {
    return store.transaction(() => {
      const version = Number(db.prepare('PRAGMA cell.user_version').pluck().get());
      if (version !== store.schemaVersion)
        throw new Error(`${cellStorePath} has schema version ${version}, the workspace's store ${store.schemaVersion}: the node ran another version of ECG-FM Workstation.`);
      db.exec(`INSERT INTO datasets SELECT * FROM cell.datasets WHERE true ON CONFLICT(name) DO UPDATE SET
        kind=excluded.kind, source=excluded.source, path=excluded.path, manifest_hash=excluded.manifest_hash,
        records=excluded.records, patients=excluded.patients, labels=excluded.labels`);
      // Both stores come from the same migrations, so their runs tables have the same columns in the same order.
      const columns = (db.prepare('PRAGMA main.table_info(runs)').all() as { name: string }[]).map((c) => c.name).filter((c) => c !== 'id');
      const runs = db
        .prepare(
          `INSERT INTO runs SELECT * FROM cell.runs WHERE true ON CONFLICT(id) DO UPDATE SET
           ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`,
        )
        .run().changes;
      db.prepare('UPDATE runs SET study_id = ? WHERE id IN (SELECT id FROM cell.runs WHERE study_id IS NOT NULL)').run(studyId);
      const metrics = db.prepare('INSERT OR REPLACE INTO metric_series SELECT * FROM cell.metric_series').run().changes;
      const evaluations = db
        .prepare(
          `INSERT INTO evaluations (run_id, task, protocol, metric, value, ci_low, ci_high, split, condition, created_at)
           SELECT run_id, task, protocol, metric, value, ci_low, ci_high, split, condition, created_at FROM cell.evaluations WHERE true
           ON CONFLICT(run_id, task, protocol, metric, split, condition) DO UPDATE SET
             value=excluded.value, ci_low=excluded.ci_low, ci_high=excluded.ci_high, created_at=excluded.created_at`,
        )
        .run().changes;
      db.exec('INSERT OR REPLACE INTO artifacts SELECT * FROM cell.artifacts');
      db.prepare(`UPDATE artifacts SET study_id = ? WHERE study_id IS NOT NULL AND path IN (SELECT path FROM cell.artifacts)`).run(studyId);
      const runId = db.prepare('SELECT run_id FROM cell.study_cells WHERE idx = ?').pluck().get(index) as string | null | undefined;
      if (runId) db.prepare('UPDATE study_cells SET run_id = ? WHERE study_id = ? AND idx = ?').run(runId, studyId, index);
      return { runs, metrics, evaluations };
    });
  } finally {
    db.prepare('DETACH DATABASE cell').run();
  }
}
