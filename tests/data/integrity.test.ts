/**
 * Data integrity, case by case, on folders built on the fly (tests/data/bad-cases.ts): nothing read from outside a
 * dataset, every CSV row accounted for, the full physical range kept and quality flagged, one writer per dataset,
 * honest state, no empty datasets, and the import's exit codes. Every good record beside the bad ones is imported.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../main/data/import.js';
import { datasetsDir, listDatasets, openDataset } from '../../main/data/registry.js';
import { deleteDataset } from '../../main/data/delete.js';
import { DatasetLockedError, lockDataset } from '../../main/data/lock.js';
import { flagsSet, selectByQuality } from '../../main/data/quality.js';
import { exportNpz } from '../../main/data/export.js';
import { readWfdbRecord } from '../../main/data/wfdb/record.js';
import { REPO_ROOT, tempWorkspace } from '../helpers/paths.js';
import { buildBadFolder, GOOD, templateLeads, writeWfdb, type BuiltFolder } from './bad-cases.js';
import type { ImportReport } from '../../main/data/types.js';

let base: string;
let built: BuiltFolder;
let report: ImportReport;

beforeAll(async () => {
  base = tempWorkspace('ecgfm-integrity-');
  process.env.ECGFM_WORKSPACE = join(base, 'ws');
  built = buildBadFolder(base);
  report = await importDataset({ kind: 'ptbxl', path: built.root, name: 'mixed', workers: 0 });
}, 120_000);

const byRef = (r: ImportReport): Record<string, { file: string; problem: string }> => Object.fromEntries(r.errors.map((e) => [e.ref, e]));

describe('a PTB-XL folder with 20 good records and one of each bad case', () => {
  it('imports every good record and every flagged one, and lists every bad one with its file and reason', () => {
    const ds = openDataset('mixed');
    const ids = new Set(Array.from({ length: ds.count }, (_, i) => ds.meta(i).id));
    for (const id of built.good) expect(ids.has(String(id)), `good record ${id}`).toBe(true);
    const errors = byRef(report);
    for (const c of built.cases) {
      if (c.id < 0) continue;
      if (c.error) {
        expect(errors[c.ref ?? `ptbxl:${c.id}`]?.problem, `${c.id}: ${c.what}`).toMatch(c.error);
        if (!c.ref) expect(ids.has(String(c.id)), `${c.id} must not be imported`).toBe(false);
      } else {
        expect(ids.has(String(c.id)), `${c.id}: ${c.what} is imported`).toBe(true);
      }
    }
    for (const [line, re] of Object.entries(built.lineErrors)) expect(errors[`ptbxl:line ${line}`]?.problem, `line ${line}`).toMatch(re);
    // Every data row is accounted for: imported, or an error (the duplicate row's id is listed under its own ref).
    expect(report.count + report.errors.length).toBe(built.rows);
    expect(report.count).toBe(GOOD + built.cases.filter((c) => c.flags).length);
    ds.close();
  });

  it('never reveals anything about a file outside the folder', () => {
    const outsideErrors = report.errors.filter((e) => /outside the dataset folder/.test(e.problem));
    expect(outsideErrors).toHaveLength(7);
    for (const e of outsideErrors) {
      expect(e.problem).not.toMatch(/12345|bytes|size|ENOENT|exist/);
      expect(e.problem).toMatch(/it is not read$/);
    }
  });

  it('keeps the RFC 4180 row with an embedded line break and doubled quotes, after a BOM and with CRLF', () => {
    const ds = openDataset('mixed');
    expect(ds.meta(0).id).toBe('1');
    expect(ds.meta(0).patientId).toBe('15709');
    ds.close();
  });

  it('keeps a −50 mV offset at full range instead of a flat line at −32.767 mV', () => {
    const ds = openDataset('mixed');
    const i = Array.from({ length: ds.count }, (_, k) => k).find((k) => ds.meta(k).id === '1012')!;
    const x = ds.readSignal(i);
    const src = readWfdbRecord(join(built.root, 'records100', '00000', 'bad1012_lr.hea'));
    // Lead I at 100 Hz → 250 Hz: compare the mean, which resampling keeps.
    const mean = (a: ArrayLike<number>, from: number, to: number): number => {
      let s = 0;
      for (let k = from; k < to; k++) s += a[k]!;
      return s / (to - from);
    };
    expect(mean(x, 0, 2500)).toBeCloseTo(mean(src.physical[0]!, 0, 1000), 1);
    expect(Math.min(...x.subarray(0, 2500))).toBeLessThan(-45);
    expect(x.subarray(0, 2500).some((v) => v === -32.767)).toBe(false);
    ds.close();
  });

  it('flags quality at import, counts the flags, and leaves clipped and constant records out by default', () => {
    const ds = openDataset('mixed');
    const meta = (id: number) => ds.meta(Array.from({ length: ds.count }, (_, k) => k).find((k) => ds.meta(k).id === String(id))!);
    for (const c of built.cases.filter((k) => k.flags)) expect(flagsSet(meta(c.id).quality).filter((f) => f !== 'derived_leads'), c.what).toEqual(expect.arrayContaining(c.flags!));
    expect(meta(1013).quality.constant).toBe(true);
    expect(meta(1014).quality.flatLeads).toEqual(['V1']);
    expect(meta(1015).quality.clipped).toBe(true);
    expect(meta(1016).quality.croppedFromS).toBe(600);
    expect(meta(1017).quality.paddedS).toBe(5);
    expect(meta(1018).quality.nanFraction).toBeCloseTo(0.1, 3);
    for (const id of built.good) expect(flagsSet(meta(id).quality).filter((f) => f === 'clipped' || f === 'constant')).toEqual([]);
    expect(report.quality).toMatchObject({ constant: 1, clipped: 1, cropped: 1, padded: 1, nan: 1 });
    const sel = selectByQuality(ds);
    expect(sel.excluded).toEqual({ total: 2, clipped: 1, constant: 1 });
    expect(sel.indices).toHaveLength(ds.count - 2);
    expect(selectByQuality(ds, []).indices).toHaveLength(ds.count);
    ds.close();
  });
});

describe('CSV tables', () => {
  it('refuses a table without its required columns before reading any record, and creates no dataset', async () => {
    const dir = join(base, 'nocols');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ptbxl_database.csv'), 'ecg_id,patient_id\n1,2\n');
    writeFileSync(join(dir, 'scp_statements.csv'), ',diagnostic,diagnostic_class\nNORM,1,NORM\n');
    await expect(importDataset({ kind: 'ptbxl', path: dir, name: 'nocols', workers: 0 })).rejects.toThrow(/missing required columns "scp_codes", "strat_fold", "filename_lr"/);
    expect(existsSync(join(datasetsDir(), 'nocols'))).toBe(false);
  });

  it('refuses a junk file as the table with one clear error', async () => {
    const dir = join(base, 'junk');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ptbxl_database.csv'), Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 0x22, 0x0a, 0xff, 0xfe]));
    writeFileSync(join(dir, 'scp_statements.csv'), ',diagnostic,diagnostic_class\n');
    await expect(importDataset({ kind: 'ptbxl', path: dir, name: 'junk', workers: 0 })).rejects.toThrow(/ptbxl_database\.csv: .*(missing required|header row cannot be read|empty)/);
    expect(listDatasets().map((d) => d.name)).not.toContain('junk');
  });
});

describe('HDF5 sources', () => {
  it('refuses a trace_file outside the folder and a value no ECG can hold; imports the good exams', async () => {
    await h5wasm.ready;
    const dir = join(base, 'code15');
    mkdirSync(dir);
    const f = new h5wasm.File(join(dir, 'part.hdf5'), 'w');
    const tr = new Float32Array(3 * 4096 * 12);
    for (let k = 0; k < tr.length; k++) tr[k] = Math.sin(k / 50);
    for (let t = 0; t < 4096; t++) tr[2 * 4096 * 12 + t * 12] = 3e38;
    f.create_dataset({ name: 'tracings', data: tr, shape: [3, 4096, 12] });
    f.create_dataset({ name: 'exam_id', data: new Int32Array([1, 2, 3]) });
    f.close();
    writeFileSync(join(base, 'evil.hdf5'), 'x');
    writeFileSync(join(dir, 'exams.csv'), ['exam_id,patient_id,AF,trace_file', '1,1,0,part.hdf5', '2,2,1,part.hdf5', '3,3,0,part.hdf5', '4,4,0,../evil.hdf5', '5,5,0,/etc/passwd'].join('\n') + '\n');
    const r = await importDataset({ kind: 'code15', path: dir, name: 'h5', workers: 0 });
    expect(r.count).toBe(2);
    const errors = byRef(r);
    expect(errors['code15:3']!.problem).toMatch(/beyond the ±1000 mV/);
    expect(errors['code15:4']!.problem).toMatch(/trace_file "\.\.\/evil\.hdf5" lies outside the dataset folder/);
    expect(errors['code15:5']!.problem).toMatch(/trace_file "\/etc\/passwd" lies outside/);
  });
});

describe('WFDB folders', () => {
  it('follows a symlinked .hea inside the folder and reports one that points outside', async () => {
    const dir = join(base, 'links');
    writeWfdb(dir, 'real', { leads: templateLeads() });
    writeWfdb(join(base, 'links-outside'), 'far', { leads: templateLeads() });
    const { symlinkSync } = await import('node:fs');
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'real.hea'), join(dir, 'sub', 'alias.hea'));
    symlinkSync(join(dir, 'real.dat'), join(dir, 'sub', 'real.dat'));
    symlinkSync(join(base, 'links-outside', 'far.hea'), join(dir, 'far.hea'));
    const r = await importDataset({ kind: 'wfdb', path: dir, name: 'links', workers: 0 });
    expect(r.count).toBe(2);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.problem).toMatch(/symlink far\.hea lies outside the dataset folder/);
  });

  it('creates no dataset from an empty folder, and says so', async () => {
    mkdirSync(join(base, 'empty'));
    const r = await importDataset({ kind: 'wfdb', path: join(base, 'empty'), name: 'empty', workers: 0 });
    expect(r.created).toBe(false);
    expect(listDatasets().map((d) => d.name)).not.toContain('empty');
  });
});

describe('one writer per dataset, honest state', () => {
  it('a second writer fails at once with --no-wait, naming the holder, or waits and then finds the work done', async () => {
    const lock = await lockDataset('mixed', { purpose: 'test holder' });
    await expect(importDataset({ kind: 'ptbxl', path: built.root, name: 'mixed', workers: 0, noWait: true })).rejects.toThrow(DatasetLockedError);
    await expect(importDataset({ kind: 'ptbxl', path: built.root, name: 'mixed', workers: 0, noWait: true })).rejects.toThrow(new RegExp(`test holder by process ${process.pid} on ${hostname()}`));
    let waited = '';
    const second = importDataset({ kind: 'ptbxl', path: built.root, name: 'mixed', workers: 0, onWait: (m) => { waited = m; } });
    await new Promise((r) => setTimeout(r, 700));
    expect(waited).toMatch(/being written .* waiting/);
    await lock.release();
    const r = await second;
    expect(r.added).toBe(0);
    expect(r.count).toBe(report.count);
  });

  it('two imports into one name at once leave one consistent dataset that exports', async () => {
    const [a, b] = await Promise.all([
      importDataset({ kind: 'ptbxl', path: built.root, name: 'race', workers: 0, shardSize: 8 }),
      importDataset({ kind: 'ptbxl', path: built.root, name: 'race', workers: 0, shardSize: 8 }),
    ]);
    expect(a.added + b.added).toBe(report.count);
    const ds = openDataset('race');
    expect(ds.count).toBe(report.count);
    expect(new Set(Array.from({ length: ds.count }, (_, i) => ds.meta(i).id)).size).toBe(ds.count);
    expect(exportNpz(ds, join(base, 'race.npz')).count).toBe(report.count);
    ds.close();
  });

  it('takes over the stale lock of a dead process', async () => {
    const lockDir = join(datasetsDir(), 'stale.lock');
    mkdirSync(lockDir, { recursive: true });
    writeFileSync(join(datasetsDir(), 'stale.holder.json'), JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), purpose: 'import', since: new Date(0).toISOString() }));
    const r = await importDataset({ kind: 'ptbxl', path: built.root, name: 'stale', workers: 0, noWait: true });
    expect(r.count).toBe(report.count);
  });

  it('lists a stopped import as incomplete (N of M), completes it on resume, and deletes a dataset with its cache', async () => {
    const ac = new AbortController();
    const stopped = importDataset({ kind: 'ptbxl', path: built.root, name: 'half', workers: 0, shardSize: 4, signal: ac.signal, onProgress: (d) => { if (d >= 8) ac.abort(); } });
    await expect(stopped).rejects.toThrow(/aborted/);
    const half = listDatasets().find((d) => d.name === 'half')!;
    expect(half.complete).toBe(false);
    // The records the listing yields: the good ones and the WFDB cases (a bad CSV row or name is not a record).
    expect(half.expected).toBe(GOOD + 19 - 1);
    const { datasetState } = await import('../../main/data/registry.js');
    expect(datasetState(half)).toBe(`incomplete (${half.count} of ${half.expected})`);
    const done = await importDataset({ kind: 'ptbxl', path: built.root, name: 'half', workers: 0 });
    expect(done.count).toBe(report.count);
    expect(listDatasets().find((d) => d.name === 'half')!.complete).toBe(true);
    await deleteDataset('half');
    expect(listDatasets().map((d) => d.name)).not.toContain('half');
    expect(readdirSync(datasetsDir()).filter((f) => f.startsWith('half'))).toEqual([]);
  });
});

describe('ecgfm datasets import exit codes', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), ...args], {
    cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ECGFM_WORKSPACE: join(base, 'ws-cli') },
  });

  it('exits 4 when some records failed (listing each), 5 when none was imported, 0 when all were', () => {
    const partial = cli(['datasets', 'import', 'ptbxl', built.root, '--name', 'cli-mixed']);
    expect(partial.status, partial.stderr).toBe(4);
    expect(partial.stdout).toMatch(new RegExp(`errors: ${report.errors.length}`));
    expect(partial.stdout).toMatch(/ptbxl:1001: .*bad1001_lr\.hea: signal file named in/);
    const emptyDir = join(base, 'cli-empty');
    mkdirSync(emptyDir);
    const none = cli(['datasets', 'import', 'wfdb', emptyDir, '--name', 'cli-empty']);
    expect(none.status, none.stderr).toBe(5);
    expect(none.stdout).toMatch(/nothing imported/);
    const okDir = join(base, 'cli-ok');
    writeWfdb(okDir, 'one', { leads: templateLeads() });
    const ok = cli(['datasets', 'import', 'wfdb', okDir, '--name', 'cli-ok']);
    expect(ok.status, ok.stderr).toBe(0);
  }, 120_000);
});

describe('run ids', () => {
  it('a second pre-training with an existing run id refuses unless resumed, and the run record counts excluded records', async () => {
    const { pretrain } = await import('../../main/training/pretrain.js');
    const input = { method: 'gl' as const, dataset: 'mixed', model: { patch: 125, depth: 1, dim: 16, heads: 2 }, steps: 1, batchSize: 4, runId: 'unique-id', checkpointEvery: 1 };
    const first = await pretrain(input);
    expect(first.status).toBe('completed');
    const { readFileSync } = await import('node:fs');
    const record = JSON.parse(readFileSync(join(first.runDir, 'config.json'), 'utf8')) as { dataQuality: { excluded: Record<string, number>; kept: number } };
    expect(record.dataQuality.excluded).toEqual({ total: 2, clipped: 1, constant: 1 });
    expect(record.dataQuality.kept).toBe(report.count - 2);
    await expect(pretrain(input)).rejects.toThrow(/Run unique-id already exists .*--resume/);
    const resumed = await pretrain({ ...input, steps: 2, resume: true });
    expect(resumed.step).toBe(2);
  }, 120_000);
});
