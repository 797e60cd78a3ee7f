/** Pinia stores against a recorded fake of the contract API: events, races and errors as the UI sees them. */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { ApiEvent, EcgfmApi, EventListener, MethodName, RunSummary } from '../../contract/api.js';
import { setApi } from '../../renderer/src/api/index.js';
import { ApiError } from '../../renderer/src/api/errors.js';
import { useDatasetsStore } from '../../renderer/src/stores/datasets.js';
import { mergePoints, useRunsStore } from '../../renderer/src/stores/runs.js';
import { useCompareStore } from '../../renderer/src/stores/compare.js';

type Impl = Partial<Record<MethodName, (input: never) => unknown>>;

function fakeApi(impl: Impl): EcgfmApi & { calls: [string, unknown][]; emit(e: ApiEvent): void } {
  const calls: [string, unknown][] = [];
  const listeners = new Set<EventListener>();
  return new Proxy({} as EcgfmApi & { calls: [string, unknown][]; emit(e: ApiEvent): void }, {
    get(_t, prop: string) {
      if (prop === 'calls') return calls;
      if (prop === 'emit') return (e: ApiEvent) => listeners.forEach((l) => l(e));
      if (prop === 'onEvent') return (l: EventListener) => (listeners.add(l), () => listeners.delete(l));
      return async (input: unknown) => {
        calls.push([prop, input]);
        const f = impl[prop as MethodName];
        if (!f) throw new Error(`unexpected call ${prop}`);
        return f(input as never);
      };
    },
  });
}

const run = (over: Partial<RunSummary> = {}): RunSummary => ({
  id: 'r1', name: 'r1', status: 'running', method: 'gl', model: 'P125 D64 L2', datasets: ['ptbxl'], steps: 100, lastStep: 0, lastLoss: null, backend: null, createdAt: null, message: null, ...over,
});

describe('datasets store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('follows an import job through progress to its report, then refreshes the list', async () => {
    const api = fakeApi({
      importDataset: () => ({ jobId: 'j1' }),
      listDatasets: () => [{ name: 'ptbxl', kind: 'ptbxl', count: 500, patients: 466, prevalence: { MI: 0.146 }, createdAt: null, path: '/x' }],
    });
    setApi(api);
    const ds = useDatasetsStore();
    await ds.startImport({ path: '/data/ptbxl', kind: 'ptbxl', name: 'ptbxl', rate: 100 });
    expect(ds.importing).toBe(true);
    expect(ds.handleEvent({ type: 'import.progress', jobId: 'other', dataset: 'x', done: 9, total: 10 })).toBe(true);
    expect(ds.job?.done).toBe(0); // another job's progress is ignored
    ds.handleEvent({ type: 'import.progress', jobId: 'j1', dataset: 'ptbxl', done: 125, total: 500 });
    expect(ds.progress).toBe(0.25);
    ds.handleEvent({ type: 'import.finished', jobId: 'j1', dataset: 'ptbxl', report: { dataset: 'ptbxl', kind: 'ptbxl', imported: 498, skipped: 0, failed: 2, patients: 466, prevalence: {}, errors: [{ ref: '7', file: 'a.hea', problem: 'bad checksum' }, { ref: '9', file: 'b.hea', problem: 'truncated' }], seconds: 3 } });
    expect(ds.importing).toBe(false);
    expect(ds.job?.report?.errors).toHaveLength(2);
    expect(ds.progress).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(ds.list.map((d) => d.name)).toEqual(['ptbxl']);
    expect(ds.handleEvent({ type: 'run.state', runId: 'r', status: 'running', message: null })).toBe(false);
  });

  it('keeps a failed import’s message and shows detection errors in words', async () => {
    setApi(fakeApi({ importDataset: () => ({ jobId: 'j2' }), detectDataset: () => { throw new ApiError('Nothing exists at /nope. Check the path.', 'not-found'); } }));
    const ds = useDatasetsStore();
    await ds.detect('/nope');
    expect(ds.detectError).toBe('Nothing exists at /nope. Check the path.');
    await ds.startImport({ path: '/d', kind: 'wfdb', name: 'd' });
    ds.handleEvent({ type: 'import.failed', jobId: 'j2', dataset: 'd', message: 'Import of /d failed: no headers' });
    expect(ds.job?.status).toBe('failed');
    expect(ds.job?.message).toContain('no headers');
  });

  it('drops a slow signal answer for a record the user already left', async () => {
    const pending: Record<number, (v: unknown) => void> = {};
    setApi(fakeApi({
      listRecords: () => ({ total: 2, offset: 0, rows: [] }),
      readRecord: ((input: { index: number }) => new Promise((resolve) => (pending[input.index] = resolve))) as never,
    }));
    const ds = useDatasetsStore();
    await ds.select('ptbxl');
    const first = ds.openRecord(0);
    const second = ds.openRecord(1);
    pending[1]!({ index: 1, id: 'b' });
    await second;
    pending[0]!({ index: 0, id: 'a' });
    await first;
    expect(ds.signal?.id).toBe('b');
  });
});

describe('runs store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('collects live loss points per run and updates the list', async () => {
    setApi(fakeApi({ startPretrain: () => ({ runId: 'r1' }), listRuns: () => [run({ status: 'queued' })] }));
    const runs = useRunsStore();
    await runs.launch({ method: 'gl', patch: 125, dim: 64, depth: 2, maskRatio: 0.75, augmentations: [], tau: 0.1, batchSize: 8, lr: 1e-4, weightDecay: 1e-5, steps: 100, datasets: ['ptbxl'] });
    expect(runs.selectedId).toBe('r1');
    const progress = (step: number, total: number): ApiEvent => ({ type: 'run.progress', runId: 'r1', step, totalSteps: 100, epoch: 0, losses: { total, recon: total }, samplesPerSec: 50, etaSeconds: 10, memoryMB: 300, backend: 'wasm' });
    runs.handleEvent(progress(1, 0.9));
    runs.handleEvent(progress(2, 0.8));
    runs.handleEvent(progress(2, 0.8)); // a duplicate step is not a new point
    expect(runs.selectedSeries.map((p) => p.step)).toEqual([1, 2]);
    expect(runs.components).toEqual(['total', 'recon']);
    expect(runs.selected?.status).toBe('running');
    expect(runs.selected?.lastLoss).toBe(0.8);
    expect(runs.selectedLive?.samplesPerSec).toBe(50);
  });

  it('does not let a late control reply undo a final state from the event stream', async () => {
    const api = fakeApi({ listRuns: () => [run()], controlRun: () => ({ runId: 'r1', status: 'cancelling' }) });
    setApi(api);
    const runs = useRunsStore();
    await runs.refresh();
    const reply = runs.control('r1', 'cancel');
    runs.handleEvent({ type: 'run.state', runId: 'r1', status: 'cancelled', message: 'Cancelled' });
    await reply;
    expect(runs.list[0]?.status).toBe('cancelled');
    expect(api.calls).toContainEqual(['controlRun', { runId: 'r1', action: 'cancel' }]);
  });

  it('merges fetched history with live points without duplicates', async () => {
    setApi(fakeApi({ runMetrics: () => [{ step: 3, epoch: 0, losses: { total: 1 } }, { step: 4, epoch: 0, losses: { total: 0.5 } }] }));
    const runs = useRunsStore();
    runs.series.r1 = [{ step: 3, epoch: 0, losses: { total: 1 } }];
    await runs.select('r1');
    expect(runs.series.r1!.map((p) => p.step)).toEqual([3, 4]);
    expect(mergePoints([{ step: 5, epoch: 0, losses: {} }], [{ step: 4, epoch: 0, losses: {} }]).map((p) => p.step)).toEqual([4, 5]);
  });

  it('joins validation points to the curve live: at their own steps, or beside the training terms of the same step', async () => {
    setApi(fakeApi({ startPretrain: () => ({ runId: 'r1' }), listRuns: () => [run({ status: 'queued' })] }));
    const runs = useRunsStore();
    await runs.launch({ method: 'hl', patch: 125, dim: 64, depth: 2, maskRatio: 0.75, augmentations: [], tau: 0.1, batchSize: 8, lr: 1e-4, weightDecay: 1e-5, steps: 100, datasets: ['ptbxl'] });
    const train = (step: number, total: number): ApiEvent => ({ type: 'run.progress', runId: 'r1', step, totalSteps: 100, epoch: 0, losses: { total }, samplesPerSec: 50, etaSeconds: 10, memoryMB: 300, backend: 'wasm' });
    const val = (step: number, sample: number): ApiEvent => ({ type: 'run.validation', runId: 'r1', step, losses: { val_sample: sample, ln_batch: Math.log(8) } });
    expect(runs.handleEvent(val(0, 2.3))).toBe(true);
    runs.handleEvent(train(10, 4));
    runs.handleEvent(train(20, 3));
    runs.handleEvent(val(20, 1.9));
    runs.handleEvent(val(15, 2.0)); // late, between two points
    expect(runs.selectedSeries.map((p) => p.step)).toEqual([0, 10, 15, 20]);
    expect(runs.selectedSeries.at(-1)?.losses).toEqual({ total: 3, val_sample: 1.9, ln_batch: Math.log(8) });
    expect(runs.components).toEqual(['val_sample', 'ln_batch', 'total']);
    // A validation point is not the run's last training loss.
    expect(runs.selected?.lastLoss).toBe(3);
  });
});

describe('compare store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('refreshes the run list (the encoder pickers) when any job ends, without a reload', async () => {
    let n = 0;
    const api = fakeApi({ listAllRuns: () => (n++ ? [{ id: 'new', name: 'new', kind: 'pretrain', status: 'succeeded', dataset: 'ptbxl', studyId: null, createdAt: null }] : []) });
    setApi(api);
    const compare = useCompareStore();
    await compare.refresh();
    expect(compare.runs).toEqual([]);
    const job = { id: '7', kind: 'pretrain' as const, title: 'Pre-train', status: 'running' as const, fraction: 0.5, message: null, resultId: 'new', createdAt: '' };
    expect(compare.handleEvent({ type: 'job.state', job })).toBe(false);
    expect(api.calls.filter(([m]) => m === 'listAllRuns')).toHaveLength(1);
    compare.handleEvent({ type: 'job.state', job: { ...job, status: 'succeeded' } });
    await expect.poll(() => compare.runs.map((r) => r.id)).toEqual(['new']);
  });
});
