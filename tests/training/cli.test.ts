import { beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../main/cli/index.js';
import { ptbxlWorkspace } from './ptbxl.js';
import { openDataset } from '../../main/data/registry.js';
import { openStore } from '../../main/store/store.js';

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
});
