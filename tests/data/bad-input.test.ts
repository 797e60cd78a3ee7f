/** Bad input becomes per-record errors in the import report, naming the file and the problem; the import goes on. */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../main/data/import.js';
import { openDataset } from '../../main/data/registry.js';
import { sharedData, tempWorkspace } from '../helpers/paths.js';

const src = sharedData('ptbxl', 'records100', '00000');
let root: string;

function record(dir: string, name: string, mutate?: (hea: string, dat: Buffer) => [string, Buffer | null]): void {
  const hea = readFileSync(join(src, '00001_lr.hea'), 'latin1').replaceAll('00001_lr', name);
  const dat = readFileSync(join(src, '00001_lr.dat'));
  const [h, d] = mutate ? mutate(hea, Buffer.from(dat)) : [hea, dat];
  writeFileSync(join(dir, `${name}.hea`), h);
  if (d) writeFileSync(join(dir, `${name}.dat`), d);
}

beforeAll(() => {
  root = tempWorkspace();
  process.env.ECGFM_WORKSPACE = join(root, 'ws');
  const w = join(root, 'wfdb');
  mkdirSync(join(w, 'sub'), { recursive: true });
  record(w, 'good');
  record(join(w, 'sub'), 'good2');
  record(w, 'truncated', (h, d) => [h, d.subarray(0, d.length / 2)]);
  record(w, 'toolong', (h, d) => [h, Buffer.concat([d, Buffer.alloc(240)])]);
  record(w, 'checksum', (h, d) => {
    d.writeInt16LE(d.readInt16LE(2400) + 7, 2400);
    return [h, d];
  });
  record(w, 'missing', (h) => [h, null]);
  record(w, 'garbage', () => ['this is not a header\n', Buffer.alloc(10)]);
  // 12 leads whose every sample holds the invalid-sample marker (initial value −32768, checksum 1000·−32768 ≡ 0).
  record(w, 'allnan', (h, d) => [
    h.split('\n').map((l, i) => (i === 0 ? l : l.replace(/^(\S+ 16 \S+ 16 0) \S+ \S+ 0 /, '$1 -32768 0 0 '))).join('\n'),
    Buffer.alloc(d.length, 0).fill(Buffer.from([0x00, 0x80])),
  ]);
});

describe('bad input', () => {
  it('WFDB: truncated .dat, size and checksum mismatch, missing file, unparsable header, all-NaN', async () => {
    const r = await importDataset({ kind: 'wfdb', path: join(root, 'wfdb'), name: 'bad-wfdb', workers: 0 });
    expect(r.count).toBe(2);
    expect(openDataset('bad-wfdb').meta(1).id).toBe('sub/good2');
    const byRef = Object.fromEntries(r.errors.map((e) => [e.ref, e]));
    expect(Object.keys(byRef).sort()).toEqual(['allnan', 'checksum', 'garbage', 'missing', 'toolong', 'truncated']);
    expect(byRef.truncated!.problem).toMatch(/truncated\.dat: truncated signal file/);
    expect(byRef.truncated!.file).toMatch(/truncated\.hea$/);
    expect(byRef.toolong!.problem).toMatch(/header\/data mismatch/);
    expect(byRef.checksum!.problem).toMatch(/checksum mismatch in signal "I"/);
    expect(byRef.missing!.problem).toMatch(/missing\.dat: missing signal file/);
    expect(byRef.garbage!.problem).toMatch(/garbage\.hea: unparsable record line/);
    expect(byRef.allnan!.problem).toMatch(/all-NaN/);
  });

  it('HDF5: corrupt file, wrong shape, exam missing from the file', async () => {
    await h5wasm.ready;
    const dir = join(root, 'code15');
    mkdirSync(dir);
    copyFileSync(sharedData('code15-layout', 'exams_part1.hdf5'), join(dir, 'good.hdf5'));
    writeFileSync(join(dir, 'corrupt.hdf5'), Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n'), Buffer.alloc(4000, 7)]));
    const f = new h5wasm.File(join(dir, 'narrow.hdf5'), 'w');
    f.create_dataset({ name: 'tracings', data: new Float32Array(2 * 100 * 8).fill(0.5), shape: [2, 100, 8] });
    f.create_dataset({ name: 'exam_id', data: new Int32Array([900, 901]) });
    f.close();
    const rows = [
      'exam_id,age,is_male,AF,patient_id,trace_file',
      '97,50,True,False,1,good.hdf5',
      '98,50,True,True,2,good.hdf5',
      '800,50,True,False,3,corrupt.hdf5',
      '900,50,True,False,4,narrow.hdf5',
      '999,50,True,False,5,good.hdf5',
      '1000,50,True,False,6,absent.hdf5',
    ];
    writeFileSync(join(dir, 'exams.csv'), rows.join('\n') + '\n');
    const r = await importDataset({ kind: 'code15', path: dir, name: 'bad-code15', workers: 0 });
    expect(r.count).toBe(2);
    expect(r.labelPrevalence.AF!.count).toBe(1);
    const byRef = Object.fromEntries(r.errors.map((e) => [e.ref, e]));
    expect(byRef['code15:800']!.problem).toMatch(/corrupt\.hdf5: corrupt or unreadable HDF5 file/);
    expect(byRef['code15:900']!.problem).toMatch(/narrow\.hdf5: wrong shape: "tracings" has 8 leads/);
    expect(byRef['code15:999']!.problem).toMatch(/exam_id 999 is not in the file/);
    expect(byRef['code15:1000']!.problem).toMatch(/absent\.hdf5: missing file/);
  });
});
