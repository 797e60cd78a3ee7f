import { beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../main/cli/index.js';
import { ptbxlWorkspace } from './ptbxl.js';
import { openDataset } from '../../main/data/registry.js';
import { openStore } from '../../main/store/store.js';
import { assertUnseen, TestLeakError } from '../../main/experiments/science.js';

// Tiny model: one wasm thread is faster (see pretrain.test.ts).
process.env.ECGFM_THREADS ??= '1';

describe('ecgfm pretrain', () => {
  let ws = '';
  beforeAll(async () => {
    ws = await ptbxlWorkspace();
  });

  it('rejects a missing or unknown method and a missing dataset with usage errors', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main(['pretrain', '--method', 'xl', '--dataset', 'ptbxl'])).toBe(2);
    expect(await main(['pretrain', '--method', 'gl'])).toBe(2);
    expect(await main(['pretrain', '--method', 'gl', '--dataset', 'ptbxl', '--steps', 'many'])).toBe(2);
    expect(err.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/--method must be one of cl, gl, hl[\s\S]*--dataset NAME is required[\s\S]*--steps must be a number/);
    err.mockRestore();
  });

  it('trains, prints the result as JSON and writes the run folder', async () => {
    const out: string[] = [];
    const log = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const code = await main(['pretrain', '--method', 'gl', '--dataset', 'ptbxl', '--patch', '250', '--depth', '1', '--dim', '32', '--steps', '3', '--batch-size', '4', '--run-id', 'cli-run', '--json']);
    log.mockRestore();
    expect(code).toBe(0);
    const result = JSON.parse(out.join('')) as { status: string; step: number; runDir: string };
    expect(result).toMatchObject({ status: 'completed', step: 3 });
    expect(result.runDir).toBe(join(ws, 'runs', 'cli-run'));
    expect(existsSync(join(result.runDir, 'metrics.jsonl'))).toBe(true);
    // The run is a store row that says which records it read: folds 1–8 only, never validation or test.
    const store = openStore(join(ws, 'ecgfm.sqlite'));
    const run = store.getRun('cli-run')!;
    store.close();
    expect(run).toMatchObject({ kind: 'pretrain', status: 'succeeded', step: 3, dataset: 'ptbxl', engine: 'tfjs' });
    const ds = openDataset('ptbxl');
    const fold = (i: number) => Number(ds.meta(i).fields.strat_fold);
    const train = Array.from({ length: ds.count }, (_, i) => i).filter((i) => fold(i) <= 8);
    expect(run.dataUse!.indices).toEqual(train);
    expect(run.dataUse!.split).toMatch(/^strat_fold/);
  });

  it('logs the loss terms on validation-fold batches beside ln(batch), and no test record reaches the run', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main([
      'pretrain', '--method', 'hl', '--dataset', 'ptbxl', '--patch', '250', '--depth', '1', '--dim', '32', '--steps', '4', '--batch-size', '4',
      '--validate-every', '2', '--validation-batches', '3', '--engine', 'ort', '--run-id', 'cli-val',
    ]);
    const printed = err.mock.calls.map((c) => String(c[0])).join('');
    err.mockRestore();
    expect(code).toBe(0);
    expect(printed).toMatch(/validation step 4: recon [\d.]+, patient [\d.]+, sample [\d.]+; chance ln\(batch\) 1\.3863/);
    const lines = readFileSync(join(ws, 'runs', 'cli-val', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    // Step 0 (the untrained encoder), every 2 steps and the last: validation terms with the chance level beside them.
    const val = lines.filter((l) => l.val_total !== undefined);
    expect(val.map((l) => l.step)).toEqual([0, 2, 4]);
    for (const l of val) {
      expect(l.ln_batch).toBeCloseTo(Math.log(4), 12);
      expect(l.val_batches).toBe(3);
      for (const k of ['val_recon', 'val_sample']) expect(Number.isFinite(l[k])).toBe(true);
    }
    expect(lines.filter((l) => l.total !== undefined).map((l) => l.step)).toEqual([1, 2, 3, 4]);
    // The monitored records are fold 9 exactly; the trained ones folds 1–8; fold 10 appears in neither.
    const ds = openDataset('ptbxl');
    const fold = (i: number) => Number(ds.meta(i).fields.strat_fold);
    const all = Array.from({ length: ds.count }, (_, i) => i);
    const config = JSON.parse(readFileSync(join(ws, 'runs', 'cli-val', 'config.json'), 'utf8')) as { resolved: { validation: { indices: number[] }; indices: number[] } };
    expect(config.resolved.validation.indices).toEqual(all.filter((i) => fold(i) === 9));
    const store = openStore(join(ws, 'ecgfm.sqlite'));
    const run = store.getRun('cli-val')!;
    const series = store.metricSeries('cli-val', 'val_sample');
    store.close();
    expect(run.dataUse!.validation).toEqual(all.filter((i) => fold(i) === 9));
    expect([...run.dataUse!.indices, ...run.dataUse!.validation!].some((i) => fold(i) === 10)).toBe(false);
    expect(series.map((p) => p.step)).toEqual([0, 2, 4]);
    // An evaluation whose test part holds a monitored record refuses the encoder.
    const testOnFold9 = { test: all.filter((i) => fold(i) === 9).slice(0, 1) };
    expect(() => assertUnseen('cli-val', run.dataUse, 'ptbxl', testOnFold9)).toThrow(TestLeakError);
  }, 120_000);
});
