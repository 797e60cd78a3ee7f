/** Import into the sharded cache (PTB-XL, CODE-15% layout), resume/idempotence, the loader and the npz export. */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../main/data/import.js';
import { listDatasets, openDataset } from '../../main/data/registry.js';
import { createLoader } from '../../main/data/loader.js';
import { exportNpz } from '../../main/data/export.js';
import { ECG_SIZE, type ImportReport } from '../../main/data/types.js';
import { sharedData, tempWorkspace } from '../helpers/paths.js';
import { python, requireNumpy, rms } from './helpers.js';

let report: ImportReport;
beforeAll(async () => {
  process.env.ECGFM_WORKSPACE = tempWorkspace();
  report = await importDataset({ kind: 'ptbxl', path: sharedData('ptbxl'), name: 'ptbxl', workers: 0, shardSize: 128 });
});

describe('PTB-XL import', () => {
  it('reports counts, label prevalence and patients, and lists the dataset', () => {
    expect(report.count).toBe(500);
    expect(report.added).toBe(500);
    expect(report.errors).toEqual([]);
    expect(report.countsBySource).toEqual({ ptbxl: 500 });
    expect(report.labelPrevalence.NORM).toEqual({ count: 297, fraction: 297 / 500 });
    expect(report.labelPrevalence.HYP!.count).toBe(40);
    expect(report.unlabelled).toBe(12);
    expect(report.patients).toBeGreaterThan(400);
    const [summary] = listDatasets();
    expect(summary).toMatchObject({ name: 'ptbxl', kind: 'ptbxl', count: 500 });
    expect(() => openDataset('nope')).toThrow(/no dataset named "nope"/);
  });

  it('re-running is idempotent and a killed import resumes', async () => {
    const again = await importDataset({ kind: 'ptbxl', path: sharedData('ptbxl'), name: 'ptbxl', workers: 0 });
    expect(again).toMatchObject({ count: 500, added: 0, skipped: 500 });
    const ac = new AbortController();
    await expect(importDataset({
      kind: 'ptbxl', path: sharedData('ptbxl'), name: 'resumed', workers: 0, shardSize: 64, signal: ac.signal,
      onProgress: (done) => { if (done >= 200) ac.abort(); },
    })).rejects.toThrow(/aborted/);
    const partial = openDataset('resumed');
    expect(partial.count).toBeGreaterThanOrEqual(192);
    expect(partial.count).toBeLessThan(500);
    const resumed = await importDataset({ kind: 'ptbxl', path: sharedData('ptbxl'), name: 'resumed', workers: 0 });
    expect(resumed).toMatchObject({ count: 500, skipped: partial.count, added: 500 - partial.count });
    const a = openDataset('ptbxl');
    const b = openDataset('resumed');
    for (const i of [0, 250, 499]) {
      expect(b.meta(i).id).toBe(a.meta(i).id);
      expect(Array.from(b.readSignal(i))).toEqual(Array.from(a.readSignal(i)));
    }
  });

  it('stores signals at 1 µV int16 and reads them back by index', () => {
    const ds = openDataset('ptbxl');
    expect(ds.manifest).toMatchObject({ dtype: 'int16', scale: 0.001, shardSize: 128 });
    expect(ds.manifest.shards).toHaveLength(4);
    const x = ds.readSignal(300);
    expect(x).toHaveLength(ECG_SIZE);
    expect(ds.meta(300).id).toBe('301');
    // The first sample of lead I of record 1 is -0.115 mV in the 100 Hz source, smoothed by the resampler.
    expect(Math.abs(ds.readSignal(0)[0]!)).toBeLessThan(0.2);
  });
});

describe('streaming loader', () => {
  it('gives the same shuffled batches for the same seed, other orders for other epochs, full coverage', async () => {
    const ds = openDataset('ptbxl');
    const take = async (seed: number, epoch: number): Promise<number[][]> => {
      const out: number[][] = [];
      for await (const b of createLoader(ds, { batchSize: 64, seed }).epoch(epoch)) out.push(b.indices);
      return out;
    };
    const a = await take(7, 0);
    expect(a).toEqual(await take(7, 0));
    expect(a).not.toEqual(await take(7, 1));
    expect(a).not.toEqual(await take(8, 0));
    expect(a).toHaveLength(createLoader(ds, { batchSize: 64, seed: 7 }).batchesPerEpoch);
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const loader = createLoader(ds, { batchSize: 32, seed: 1, indices: [5, 6, 7], dropLast: false });
    for await (const b of loader.epoch(0)) {
      expect(b.size).toBe(3);
      expect(b.signals).toHaveLength(3 * ECG_SIZE);
      const k = b.indices.indexOf(6);
      expect(Array.from(b.signals.subarray(k * ECG_SIZE, (k + 1) * ECG_SIZE))).toEqual(Array.from(ds.readSignal(6)));
      expect(b.ids[k]).toBe('7');
      expect(b.patientIds[k]).toBe(ds.meta(6).patientId);
    }
  });

  it('patient-aware batches put two ECGs of each multi-ECG patient together', async () => {
    const ds = openDataset('ptbxl');
    const byPatient = new Map<string, number>();
    for (let i = 0; i < ds.count; i++) byPatient.set(ds.meta(i).patientId, (byPatient.get(ds.meta(i).patientId) ?? 0) + 1);
    const multi = [...byPatient].filter(([, n]) => n >= 2).map(([p]) => p);
    expect(multi.length).toBeGreaterThan(5);
    const together = new Set<string>();
    let seen = 0;
    for await (const b of createLoader(ds, { batchSize: 32, seed: 3, patientAware: true }).epoch(0)) {
      seen += b.size;
      const counts = new Map<string, number>();
      for (const p of b.patientIds) counts.set(p, (counts.get(p) ?? 0) + 1);
      for (const [p, n] of counts) if (n >= 2) together.add(p);
    }
    expect(seen).toBe(500);
    for (const p of multi) expect(together.has(p)).toBe(true);
    // Every batch but the last is full, and the epoch has the advertised number of batches.
    for (const [batchSize, seed] of [[32, 3], [2, 5], [64, 9]] as const) {
      const loader = createLoader(ds, { batchSize, seed, patientAware: true, workers: 0 });
      const sizes: number[] = [];
      for await (const b of loader.epoch(1)) sizes.push(b.size);
      expect(sizes).toHaveLength(loader.batchesPerEpoch);
      expect(sizes.slice(0, -1).every((n) => n === batchSize)).toBe(true);
    }
  });

  it('reader threads, the in-thread reader and recycled buffers give the same batches', async () => {
    const ds = openDataset('ptbxl');
    const threads = createLoader(ds, { batchSize: 48, seed: 11, workers: 2 });
    const here = createLoader(ds, { batchSize: 48, seed: 11, workers: 0 });
    const a = threads.epoch(2);
    const b = here.epoch(2);
    let batches = 0;
    for (;;) {
      const [x, y] = await Promise.all([a.next(), b.next()]);
      expect(x.done).toBe(y.done);
      if (x.done || y.done) break;
      expect(x.value.indices).toEqual(y.value.indices);
      expect(x.value.ids).toEqual(y.value.ids);
      expect(x.value.signals).toHaveLength(x.value.size * ECG_SIZE);
      expect(Buffer.from(x.value.signals.buffer, 0, x.value.signals.byteLength).equals(
        Buffer.from(y.value.signals.buffer, 0, y.value.signals.byteLength))).toBe(true);
      const k = x.value.size - 1;
      expect(Array.from(x.value.signals.subarray(k * ECG_SIZE, (k + 1) * ECG_SIZE))).toEqual(Array.from(ds.readSignal(x.value.indices[k]!)));
      // Handing both back: later batches are read into these buffers.
      threads.recycle(x.value);
      here.recycle(y.value);
      batches++;
    }
    expect(batches).toBe(threads.batchesPerEpoch);
    threads.close();
  });
});

describe('CODE-15% layout import', () => {
  it('imports with labels; signals match the PTB-XL 500 Hz records standardised the same way', async () => {
    const r = await importDataset({ kind: 'code15', path: sharedData('code15-layout'), name: 'code15', workers: 0 });
    expect(r.errors).toEqual([]);
    expect(r.count).toBe(160);
    expect(r.countsBySource).toEqual({ code15: 160 });
    expect(Object.keys(r.labelPrevalence).sort()).toEqual(['1dAVb', 'AF', 'LBBB', 'RBBB', 'SB', 'ST', 'normal_ecg']);
    const code = openDataset('code15');
    expect(code.meta(0)).toMatchObject({ id: '1', patientId: '15709', labels: { normal_ecg: true, SB: false } });
    // Worker threads this time: results must still land in source order.
    const hr = await importDataset({ kind: 'ptbxl', path: sharedData('ptbxl'), name: 'hr', rate: 500, workers: 2 });
    expect(hr).toMatchObject({ count: 500, errors: [] });
    const ref = openDataset('hr');
    let worst = 0;
    for (let i = 0; i < code.count; i += 7) {
      const id = code.meta(i).id;
      const j = Number(id) - 1;
      expect(ref.meta(j).id).toBe(id);
      const a = code.readSignal(i);
      const b = ref.readSignal(j);
      // Edges carry each resampler's own boundary transient; compare the 10 s body.
      for (let l = 0; l < 12; l++) worst = Math.max(worst, rms(a, b, l * 2500 + 25, l * 2500 + 2475));
    }
    expect(worst).toBeLessThan(1e-3);
  });
});

describe('npz export', () => {
  beforeAll(() => requireNumpy());
  it('writes signals, ids, patient ids and label arrays that numpy.load reads', () => {
    const ds = openDataset('code15');
    const out = join(process.env.ECGFM_WORKSPACE!, 'code15.npz');
    const s = exportNpz(ds, out);
    expect(s.count).toBe(160);
    const py = python(
      'import json,sys,numpy as np\n' +
        'z=np.load(sys.argv[1] if len(sys.argv)>1 else json.load(sys.stdin))\n' +
        's=z["signals"]; print(json.dumps({"keys":sorted(z.files),"shape":list(s.shape),"dtype":str(s.dtype),' +
        '"first":float(s[3,1,100]),"ids":z["ids"][:2].tolist(),"pids":z["patient_ids"][:1].tolist(),' +
        '"norm":int(z["normal_ecg"].sum()),"bool":str(z["AF"].dtype)}))',
      out,
    ) as Record<string, unknown>;
    expect(py.shape).toEqual([160, 12, 2500]);
    expect(py.dtype).toBe('float32');
    expect(py.keys).toEqual(['1dAVb', 'AF', 'LBBB', 'RBBB', 'SB', 'ST', 'ids', 'normal_ecg', 'patient_ids', 'signals']);
    expect(py.first).toBeCloseTo(ds.readSignal(3)[2500 + 100]!, 6);
    expect(py.ids).toEqual(['1', '2']);
    expect(py.pids).toEqual(['15709']);
    expect(py.bool).toBe('bool');
    expect(py.norm).toBe(Array.from({ length: 160 }, (_, i) => ds.meta(i).labels.normal_ecg).filter(Boolean).length);
  });
});
