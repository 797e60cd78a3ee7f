/**
 * Multi-source pre-training on real data: PTB-XL (100 Hz) and the CODE-15%-layout HDF5 of ../shared/data, plus the
 * CPSC 2021 WFDB records (one ECG per patient) as a source without patient pairs. The sampler's per-source counts,
 * shares and patient-pair rate, one recorded run through the CLI with its per-source record use, and a dataset
 * extended from a second folder only with `datasets import --append`.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../main/cli/index.js';
import { importDataset } from '../../main/data/import.js';
import { listDatasets, openDataset } from '../../main/data/registry.js';
import { runRecordedPretraining } from '../../main/experiments/pretraining.js';
import { pretrainingUse } from '../../main/experiments/science.js';
import { openStore } from '../../main/store/store.js';
import { SourceUnion } from '../../main/training/data.js';
import { pairsIn, sourceSampler, type SamplerSource } from '../../main/training/sampler.js';
import type { PretrainResult } from '../../contract/training.js';
import { sharedData, tempWorkspace } from '../helpers/paths.js';
import { ptbxlWorkspace } from './ptbxl.js';

process.env.ECGFM_THREADS ??= '1';

/** The union of the named datasets' training parts, as the run would see them. */
function sources(names: string[], weights?: number[]) {
  const parts = names.map((n) => openDataset(n));
  const union = new SourceUnion(parts);
  const { use } = pretrainingUse(parts, { split: 'auto', seed: 0 });
  const uses = use.sources ?? [{ dataset: use.dataset, indices: use.indices, split: use.split }];
  const list: SamplerSource[] = uses.map((u, k) => ({ name: u.dataset, positions: u.indices.map((i) => i + union.offsetOf(k)), weight: weights ? weights[k]! : null }));
  const { patientIds } = union.identities();
  return { union, list, patientOf: (p: number) => patientIds[p]! };
}

function countBySource(batches: number[][], union: SourceUnion, n: number): number[] {
  const out = Array.from({ length: n }, () => 0);
  for (const b of batches) for (const p of b) out[union.partOf(p)]!++;
  return out;
}

describe('multi-source pre-training', () => {
  let ws = '';
  beforeAll(async () => {
    ws = await ptbxlWorkspace('ecgfm-sources-');
    await importDataset({ kind: 'code15', path: sharedData('code15-layout'), name: 'code15' });
    await importDataset({ kind: 'wfdb', path: sharedData('torch_ecg', 'cpsc2021'), name: 'cpsc2021' });
  }, 300_000);

  it('draws each source by its weight, every epoch, and repeats a small source', () => {
    const { union, list, patientOf } = sources(['ptbxl', 'code15'], [1, 2]);
    const s = sourceSampler(list, patientOf, { batchSize: 16, seed: 3, patientAware: true, patientPairRate: 0, pairsPerBatch: 1 });
    const total = list[0]!.positions.length + list[1]!.positions.length;
    expect(s.batchesPerEpoch).toBe(Math.floor(total / 16));
    expect(s.quotas.reduce((a, b) => a + b, 0)).toBe(s.batchesPerEpoch * 16);
    expect(Math.abs(s.quotas[1]! / (s.batchesPerEpoch * 16) - 2 / 3)).toBeLessThan(1 / (s.batchesPerEpoch * 16));
    for (const epoch of [0, 1, 5]) {
      const plan = s.plan(epoch);
      expect(plan).toHaveLength(s.batchesPerEpoch);
      expect(plan.every((b) => b.length === 16)).toBe(true);
      expect(countBySource(plan, union, 2)).toEqual(s.quotas);
      // code15 is drawn about 2.7 times per epoch, yet no batch holds one record twice.
      expect(plan.every((b) => new Set(b).size === b.length)).toBe(true);
      // Only training records of each source, nothing else.
      const allowed = new Set(list.flatMap((l) => [...l.positions]));
      expect(plan.flat().every((p) => allowed.has(p))).toBe(true);
      // A pure function of (seed, epoch): a resumed run gets the same batches.
      expect(s.plan(epoch)).toEqual(plan);
    }
    // code15 holds fewer training records than its quota: each is drawn about quota/size times per epoch.
    const code15 = s.plan(0).flat().filter((p) => union.partOf(p) === 1);
    expect(new Set(code15).size).toBe(list[1]!.positions.length);
    // PTB-XL is drawn below its size: three epochs together cover all of it.
    const ptbxl = new Set([0, 1, 2].flatMap((e) => s.plan(e).flat().filter((p) => union.partOf(p) === 0)));
    expect(ptbxl.size).toBe(list[0]!.positions.length);
    // Proportional sampling without weights: shares are the sources' record counts.
    const p = sourceSampler(sources(['ptbxl', 'code15']).list, patientOf, { batchSize: 16, seed: 3, patientAware: true, patientPairRate: 0, pairsPerBatch: 1 });
    expect(p.shares[0]).toBeCloseTo(list[0]!.positions.length / total, 12);
  });

  it('guarantees the stated patient-pair rate, and names a source without patient pairs', () => {
    const { list, patientOf } = sources(['ptbxl', 'cpsc2021']);
    for (const [rate, perBatch] of [[0.5, 1], [0.9, 2], [1, 1]] as const) {
      const s = sourceSampler(list, patientOf, { batchSize: 32, seed: 1, patientAware: true, patientPairRate: rate, pairsPerBatch: perBatch });
      for (const epoch of [0, 1]) {
        const plan = s.plan(epoch);
        const ok = plan.filter((b) => pairsIn(b.map(patientOf), b) >= perBatch).length;
        expect(ok / plan.length).toBeGreaterThanOrEqual(rate);
      }
      expect(s.notes).toHaveLength(1);
      expect(s.notes[0]).toMatch(/^cpsc2021: no patient has 2 or more ECGs among its \d+ training records/);
    }
    // Without a rate, PTB-XL's few multi-ECG patients leave most batches of 32 without a pair: the rate is what helps.
    const plain = sourceSampler(list, patientOf, { batchSize: 32, seed: 1, patientAware: true, patientPairRate: 0, pairsPerBatch: 1 });
    const plan = plain.plan(0);
    expect(plan.filter((b) => pairsIn(b.map(patientOf), b) >= 2).length / plan.length).toBeLessThan(0.9);
  });

  it('pre-trains on PTB-XL and CODE-15% through the CLI and records the ECGs seen per source', async () => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // One epoch (29 batches of 16 from 353 + 116 training records): the counts must equal the epoch's quotas.
    const code = await main([
      'pretrain', '--method', 'hl', '--dataset', 'ptbxl', '--dataset', 'code15', '--source-weights', 'ptbxl=1,code15=2',
      '--patient-pair-rate', '0.5', '--patch', '250', '--depth', '1', '--dim', '32', '--batch-size', '16', '--epochs', '1',
      '--engine', 'ort', '--run-id', 'two-sources', '--json',
    ]);
    write.mockRestore();
    err.mockRestore();
    expect(code).toBe(0);
    const result = JSON.parse(out.join('')) as PretrainResult;
    const s = result.sampling!;
    const seen = Object.values(s.seenBySource).reduce((a, b) => a + b, 0);
    expect(seen).toBe(result.step * 16);
    expect(Object.keys(s.seenBySource)).toEqual(['ptbxl', 'code15']);
    expect(Math.abs(s.seenBySource.code15! / seen - 2 / 3)).toBeLessThan(0.01);
    expect(s.shares.code15).toBeCloseTo(2 / 3, 12);
    expect(s.pairBatchFraction).toBeGreaterThanOrEqual(0.5);
    expect(s.batchesWithPairsNeeded / s.batches).toBeGreaterThanOrEqual(0.5);

    // The store row: each source's training part only (PTB-XL folds 1–8; code15's patient split), and the counts.
    const store = openStore(join(ws, 'ecgfm.sqlite'));
    const run = store.getRun('two-sources')!;
    store.close();
    expect(run.dataset).toBe('ptbxl+code15');
    const [ptb, c15] = run.dataUse!.sources!;
    const ds = openDataset('ptbxl');
    expect(ptb!.indices).toEqual(Array.from({ length: ds.count }, (_, i) => i).filter((i) => Number(ds.meta(i).fields.strat_fold) <= 8));
    expect(c15!.dataset).toBe('code15');
    expect(c15!.split).toMatch(/patient/);
    expect(c15!.indices.length).toBeLessThan(openDataset('code15').count);
    expect((run.config.sampling as { seenBySource: Record<string, number> }).seenBySource).toEqual(s.seenBySource);

    // `ecgfm runs show` prints the same counts.
    const shown: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void shown.push(a.join(' ')));
    expect(await main(['runs', 'show', 'two-sources'])).toBe(0);
    log.mockRestore();
    expect(shown.join('\n')).toContain(`ptbxl ${s.seenBySource.ptbxl}`);
    expect(shown.join('\n')).toContain(`code15 ${s.seenBySource.code15}`);
  }, 300_000);

  it('counts the ECGs seen per source from step 0 when a stopped run resumes', async () => {
    const store = openStore(join(ws, 'ecgfm.sqlite'));
    const { use } = pretrainingUse(['ptbxl', 'code15'].map((n) => openDataset(n)), { split: 'auto', seed: 0 });
    const input = { method: 'cl' as const, dataset: use.dataset, model: { patch: 250, depth: 1, dim: 32 }, batchSize: 8, steps: 6, checkpointEvery: 3, logEvery: 1, engine: 'ort' as const };
    const stop = new AbortController();
    const paused = await runRecordedPretraining({
      store, runId: 'resumed-sources', input, data: use, signal: stop.signal,
      onProgress: (e) => {
        if (e.step === 3) stop.abort('pause');
      },
    });
    expect(paused.run.status).toBe('paused');
    const { run, result } = await runRecordedPretraining({ store, runId: 'resumed-sources', input, data: use });
    store.close();
    expect(run.status).toBe('succeeded');
    expect(result!.sampling!.batches).toBe(6);
    expect(Object.values(result!.sampling!.seenBySource).reduce((a, b) => a + b, 0)).toBe(6 * 8);
    // The same counts as the run's metrics.jsonl lines, one per step, each with its batch's sources.
    const all = readFileSync(join(result!.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; bySource: Record<string, number> });
    // Step 0 is the untrained encoder's validation point; it drew no training batch.
    const lines = all.filter((l) => l.step >= 1);
    expect(lines.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const name of ['ptbxl', 'code15']) expect(result!.sampling!.seenBySource[name]).toBe(lines.reduce((a, l) => a + l.bySource[name]!, 0));
  }, 300_000);

  it('extends a dataset from a second folder only with --append, and lists every folder', async () => {
    const logs: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
    const errs: string[] = [];
    const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errs.push(a.join(' ')));
    const first = sharedData('ptbxl');
    const second = sharedData('ptbxl-extra');
    // The same folder again: idempotent, nothing added.
    expect(await main(['datasets', 'import', 'ptbxl', first, '--name', 'ptbxl'])).toBe(0);
    expect(logs.join('\n')).toMatch(/records: 500 in cache \(0 added, 500 already there\)/);
    // Another folder under the same name without --append: refused, naming both folders; nothing changes.
    expect(await main(['datasets', 'import', 'ptbxl', second, '--name', 'ptbxl'])).toBe(2);
    const refusal = errs.join('\n');
    expect(refusal).toContain(resolve(first));
    expect(refusal).toContain(resolve(second));
    expect(refusal).toMatch(/--append/);
    expect(openDataset('ptbxl').count).toBe(500);
    // With --append: its 999 records join, and the manifest lists both folders with their records.
    logs.length = 0;
    expect(await main(['datasets', 'import', 'ptbxl', second, '--name', 'ptbxl', '--append'])).toBe(0);
    expect(logs.join('\n')).toMatch(/appended .*ptbxl-extra/);
    const d = listDatasets().find((x) => x.name === 'ptbxl')!;
    expect(d.count).toBe(1499);
    expect(d.complete).toBe(true);
    expect(d.sources.map((f) => [f.path, f.records, f.complete])).toEqual([[resolve(first), 500, true], [resolve(second), 999, true]]);
    // Each folder resumes as itself: importing either again adds nothing.
    logs.length = 0;
    expect(await main(['datasets', 'import', 'ptbxl', second, '--name', 'ptbxl'])).toBe(0);
    expect(logs.join('\n')).toMatch(/0 added, 999 already there/);
    logs.length = 0;
    expect(await main(['datasets', 'show', 'ptbxl'])).toBe(0);
    expect(logs.join('\n')).toContain(`from ${resolve(first)}: 500 records`);
    expect(logs.join('\n')).toContain(`from ${resolve(second)}: 999 records`);
    // A second folder whose record ids the dataset already holds: each such record is an error naming the first folder.
    const copy = join(tempWorkspace('ecgfm-clash-'), 'cpsc-copy');
    mkdirSync(copy);
    for (const f of ['data_101_6.hea', 'data_101_6.dat']) copyFileSync(join(sharedData('torch_ecg', 'cpsc2021'), f), join(copy, f));
    logs.length = 0;
    expect(await main(['datasets', 'import', 'wfdb', copy, '--name', 'cpsc2021', '--append'])).toBe(4);
    expect(logs.join('\n')).toMatch(new RegExp(`record id "data_101_6" is already in dataset cpsc2021, from ${resolve(sharedData('torch_ecg', 'cpsc2021')).replace(/[/.]/g, '\\$&')}`));
    expect(openDataset('cpsc2021').count).toBe(18);
    log.mockRestore();
    err.mockRestore();
  }, 300_000);
});
