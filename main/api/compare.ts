/** The Compare page and every encoder picker: runs from the store, one row each, with configs, scores and curves. */
import type { AnyRunView, ApiHandlers, CompareRunView } from '../../contract/api.js';
import type { Store } from '../store/store.js';
import { readRunFolderConfig } from '../training/run-folder.js';
import { recordsRead } from '../experiments/science.js';
import { ServiceError } from './errors.js';
import { differingKeys, flatten, r4, thin } from './views.js';

export function compareHandlers(store: Store): Pick<ApiHandlers, 'listAllRuns' | 'compareRuns'> {
  return {
    async listAllRuns() {
      return store
        .listRuns()
        .map((r): AnyRunView => ({ id: r.id, name: r.name || r.id, kind: r.kind, status: r.status, dataset: r.dataset, studyId: r.studyId, createdAt: r.createdAt }))
        .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    },

    async compareRuns({ runIds }) {
      const runs: CompareRunView[] = runIds.map((id) => {
        const rec = store.getRun(id);
        if (!rec) throw new ServiceError('not-found', `There is no run ${id} in the store (\`ecgfm runs list\` shows them).`);
        let saved = null;
        try {
          saved = rec.dir ? readRunFolderConfig(rec.dir) : null;
        } catch {
          // A damaged config.json: compare on what the store says.
        }
        // The engine's settings say what actually ran; the store's config says how it was asked for.
        const { indices: _i, runId: _r, resume: _s, ...resolved } = (saved?.input ?? {}) as Record<string, unknown>;
        const config = flatten({
          kind: rec.kind,
          dataset: rec.dataset,
          seed: rec.seed,
          parent: rec.parentRunId,
          engine: rec.engine,
          ...rec.config,
          ...(rec.dataUse ? { data: { split: rec.dataUse.split, records: recordsRead(rec.dataUse) } } : {}),
          ...(saved ? { resolved, model: saved.model } : {}),
        });
        const metrics: Record<string, number | null> = {};
        const losses: Record<string, [number, number][]> = {};
        // A pre-training run's scores live on its downstream runs.
        const scored = [rec, ...store.listRuns({ parentRunId: id }).filter((r) => r.kind !== 'simulate' && r.kind !== 'decompose')];
        for (const e of scored.flatMap((r) => store.evaluations({ runId: r.id })))
          if (e.split !== 'val' && (e.metric === 'auroc' || e.metric === 'auprc' || e.metric === 'criteria' || e.metric === 'f1'))
            metrics[`${e.metric} ${e.task}${e.protocol ? ` (${e.protocol})` : ''}${e.condition ? ` [${e.condition}]` : ''}`] = r4(e.value);
        for (const [k, v] of Object.entries(store.finalMetrics(id))) if (k !== 'lr') metrics[`final loss ${k}`] = r4(v);
        for (const p of store.metricSeries(id)) if (p.name !== 'lr') (losses[p.name] ??= []).push([p.step, p.value]);
        for (const k of Object.keys(losses)) losses[k] = thin(losses[k]!);
        return { id, name: rec.name || id, kind: rec.kind, status: rec.status, config, metrics, losses };
      });
      return { runs, differing: differingKeys(runs.map((r) => r.config)) };
    },
  };
}
