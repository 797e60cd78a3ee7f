/**
 * Hospital formats through the data layer: a mixed folder recognised file by file, imported into the cache with
 * the broken files listed, a forced kind, a labels sidecar, 10 s windows of a long EDF, and the same folder opened
 * as a clinical cohort without an import.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../main/data/import.js';
import { openDataset } from '../../main/data/registry.js';
import { readEcgFile } from '../../main/data/formats/read.js';
import { sniffFile } from '../../main/data/formats/detect.js';
import { standardise } from '../../main/data/standardise.js';
import { detectDataset } from '../../main/api/detect.js';
import { checkCohortCompatibility, openCohort, readCohortRecord } from '../../main/clinical/cohort.js';
import type { Preprocessing } from '../../main/clinical/package.js';
import { LEADS, TARGET_SAMPLES } from '../../main/data/types.js';
import { REPO_ROOT, tempWorkspace } from '../helpers/paths.js';
import { lead, ptbxl, PYDICOM_CT, PYDICOM_ECG, tempDir, unpack, writeCardiosoft, writeEdf, writeMuse } from './helpers.js';

let folder: string;
let longEdf: string;

beforeAll(() => {
  process.env.ECGFM_WORKSPACE = tempWorkspace();
  folder = tempDir('ecgfm-mixed-');
  mkdirSync(join(folder, 'site-a'));
  unpack('muse-mac5500.xml.gz', folder, 'site-a/muse_ecg1.xml');
  unpack('hl7-aecg-example.xml.gz', folder, 'aecg_example.xml');
  copyFileSync(PYDICOM_ECG, join(folder, 'ecg_12lead.dcm'));
  const rec = ptbxl(3);
  writeCardiosoft(rec, join(folder, '1000037_20205_2_0.xml'));
  // A MUSE export saved without an extension, as some archives do: recognised by its content.
  writeMuse(ptbxl(4), join(folder, 'site-a', 'MUSE_20210510_131518'));
  writeEdf(join(folder, 'ptb5.edf'), ptbxl(5).names.map((n, i) => ({ label: `ECG ${n}`, unit: 'uV', digital: ptbxl(5).digital[i]!, physMin: -32768, physMax: 32767, digMin: -32768, digMax: 32767 })), 500);
  // Broken: a DICOM image (not a waveform) and a MUSE export whose last lead's base64 was cut.
  copyFileSync(PYDICOM_CT, join(folder, 'ct_image.dcm'));
  writeMuse(ptbxl(6), join(folder, 'site-a', 'muse_cut.xml'), { mutate: (x) => x.replace(/(<LeadID>V6<\/LeadID>.*?<WaveFormData>\n)([\s\S]*?)(\n<\/WaveFormData>)/, (_, a, b: string, c) => a + b.slice(0, b.length - 3) + c) });
  writeFileSync(join(folder, 'README.md'), 'exported 2021-05-10\n');
  writeFileSync(join(folder, 'labels.csv'), 'file,AF,MI,site,patient_id\nmuse_ecg1.xml,0,1,a,\naecg_example,1,0,b,P-77\n1000037_20205_2_0,0,0,c,\nno_such_ecg.xml,1,1,d,\n');
  // 30 s of 12-lead EDF: PTB-XL records 1, 2 and 3 one after another.
  longEdf = join(tempDir(), 'holter.edf');
  const three = [ptbxl(1), ptbxl(2), ptbxl(3)];
  writeEdf(longEdf, three[0]!.names.map((n) => {
    const d = new Int32Array(15000);
    three.forEach((r, k) => d.set(r.digital[lead(r, n)]!, k * 5000));
    return { label: n, unit: 'uV', digital: d, physMin: -32768, physMax: 32767, digMin: -32768, digMax: 32767 };
  }), 500, { annotations: [{ onset: 12.5, text: 'Arrhythmia' }, { onset: 25, text: 'Noise' }] });
});

describe('hospital formats in the data layer', () => {
  it('recognises each file by its content and the folder as mixed', () => {
    expect(sniffFile(join(folder, 'site-a', 'MUSE_20210510_131518'))).toBe('muse');
    expect(sniffFile(join(folder, 'ecg_12lead.dcm'))).toBe('dicom-ecg');
    expect(sniffFile(join(folder, 'ptb5.edf'))).toBe('edf');
    expect(sniffFile(join(folder, '1000037_20205_2_0.xml'))).toBe('cardiosoft');
    expect(sniffFile(join(folder, 'README.md'))).toBeNull();
    const d = detectDataset(folder);
    expect(d.kind).toBe('ecg-files');
    expect(d.evidence).toMatch(/3 GE MUSE XML/);
    expect(detectDataset(join(folder, 'aecg_example.xml')).kind).toBe('hl7-aecg');
    expect(detectDataset(join(folder, 'site-a')).kind).toBe('muse');
  });

  it('imports every good file with its rate, leads and amplitude; the broken ones are listed by file', async () => {
    const report = await importDataset({ kind: 'ecg-files', path: folder, name: 'mixed', labels: { file: join(folder, 'labels.csv'), idColumn: 'file' } });
    expect(report.count).toBe(6);
    expect(report.countsBySource).toEqual({ 'hl7-aecg': 1, 'dicom-ecg': 1, cardiosoft: 1, edf: 1, muse: 2 });
    expect(report.errors.map((e) => [e.ref, e.problem])).toEqual([
      ['ct_image', expect.stringMatching(/^DICOM object is not a waveform: SOP class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2/)],
      ['site-a/muse_cut', expect.stringMatching(/^lead V6: truncated base64 block/)],
    ]);
    expect(report.errors[0]!.file).toBe(join(folder, 'ct_image.dcm'));
    expect(report.sidecar).toMatchObject({ rows: 4, matched: 3, labelNames: ['AF', 'MI'], fieldNames: ['site', 'patient_id'], unmatchedRows: ['no_such_ecg.xml'] });
    expect(report.sidecar!.unmatchedRecords.sort()).toEqual(['ct_image', 'ecg_12lead', 'ptb5', 'site-a/MUSE_20210510_131518', 'site-a/muse_cut']);

    const ds = openDataset('mixed');
    const byId = new Map(Array.from({ length: ds.count }, (_, i) => [ds.meta(i).id, i]));
    // Each cached ECG is the reader's output standardised (the cache stores 1 µV steps).
    for (const [id, file] of [['ecg_12lead', 'ecg_12lead.dcm'], ['aecg_example', 'aecg_example.xml'], ['site-a/muse_ecg1', 'site-a/muse_ecg1.xml'], ['ptb5', 'ptb5.edf']] as const) {
      const i = byId.get(id)!;
      const path = join(folder, file);
      const r = readEcgFile(path, sniffFile(path) as never);
      const want = standardise(r.signals, r.fs, r.leads).signal;
      const got = ds.readSignal(i);
      let d = 0;
      for (let k = 0; k < want.length; k++) d = Math.max(d, Math.abs(want[k]! - got[k]!));
      expect(d, id).toBeLessThan(1e-3);
    }
    const muse = ds.meta(byId.get('site-a/muse_ecg1')!);
    expect(muse.quality.derivedLeads).toEqual(['III', 'aVR', 'aVL', 'aVF']);
    expect(muse.labels).toEqual({ AF: false, MI: true });
    expect(muse.fields).toMatchObject({ age: 60, sex: 'M', device: 'MAC55', site: 'a', format: 'muse' });
    expect(muse.patientId).toBe('JAX01234');
    // A patient the sidecar names outranks the one the file states (the aECG example says SBJ-123).
    expect(ds.meta(byId.get('aecg_example')!).patientId).toBe('P-77');
    const dcm = ds.meta(byId.get('ecg_12lead')!);
    expect(dcm.fields).toMatchObject({ age: 42, sex: 'F', sop_class: '12-lead ECG' });
    // The EDF holds PTB-XL record 5: its cached lead V1 is that record's V1 at 250 Hz.
    const edf = ds.readSignal(byId.get('ptb5')!);
    const v1 = LEADS.indexOf('V1') * TARGET_SAMPLES;
    const ref = standardise(ptbxl(5).physical, 500, ptbxl(5).names).signal;
    expect(Math.abs(edf[v1 + 1234]! - ref[v1 + 1234]!)).toBeLessThan(1e-3);
  });

  it('--kind forces one reader: a folder read as MUSE only', async () => {
    const report = await importDataset({ kind: 'muse', path: join(folder, 'site-a'), name: 'muse-only' });
    expect(report.count).toBe(2);
    expect(report.errors.map((e) => e.ref)).toEqual(['muse_cut']);
  });

  it('--window 10 cuts a long EDF into 10 s records with their annotations', async () => {
    const report = await importDataset({ kind: 'edf', path: longEdf, name: 'holter', window: 10 });
    expect(report.count).toBe(3);
    const ds = openDataset('holter');
    expect([0, 1, 2].map((i) => ds.meta(i).id)).toEqual(['holter#w0', 'holter#w1', 'holter#w2']);
    expect(ds.meta(1).fields).toMatchObject({ window: 1, window_start: 10, annotations: '2.500 s Arrhythmia' });
    expect(ds.meta(1).patientId).toBe(ds.meta(2).patientId);
    const want = standardise(ptbxl(2).physical, 500, ptbxl(2).names).signal;
    const got = ds.readSignal(1);
    let d = 0;
    // The resampler's edges see the neighbouring windows in the EDF, not in record 2 alone: compare the middle.
    for (let l = 0; l < 12; l++) for (let k = 100; k < TARGET_SAMPLES - 100; k++) d = Math.max(d, Math.abs(want[l * TARGET_SAMPLES + k]! - got[l * TARGET_SAMPLES + k]!));
    expect(d).toBeLessThan(1e-3);
  });

  it('opens the mixed folder as a clinical cohort without an import', async () => {
    const cohort = await openCohort({ kind: 'ecg-files', path: folder, labels: { file: join(folder, 'labels.csv'), idColumn: 'file' } });
    expect(cohort.records.length).toBe(8);
    expect(cohort.labelNames).toEqual(['AF', 'MI']);
    const pre: Preprocessing = { leads: [...LEADS], sampleRate: 250, seconds: 10, units: 'mV', minSourceRate: 250, requiredLeads: [...LEADS], description: 'test' };
    expect(checkCohortCompatibility(cohort, pre)).toMatch(/record header\(s\) checked/);
    const results = cohort.records.map((r) => readCohortRecord(r, pre));
    expect(results.filter((r) => r.ok).length).toBe(6);
    expect(results.filter((r) => !r.ok).map((r) => (r as { problem: string }).problem.slice(0, 30))).toEqual(['DICOM object is not a waveform', 'lead V6: truncated base64 bloc']);
  });

  it('`ecgfm datasets import DIR` recognises the kind and prints the summary with the broken files', () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'ecgfm.mjs'), 'datasets', 'import', folder, '--name', 'cli-mixed', '--labels', join(folder, 'labels.csv'), '--id-column', 'file'], {
      encoding: 'utf8', env: { ...process.env }, timeout: 120_000,
    });
    // Two files are broken: the import is partial (exit 4, see `ecgfm datasets import` exit codes), the dataset usable.
    expect(r.status, r.stderr).toBe(4);
    expect(r.stdout).toMatch(/kind ecg-files: Recognised by content/);
    expect(r.stdout).toMatch(/records: 6 in cache/);
    expect(r.stdout).toMatch(/errors: 2/);
    expect(r.stdout).toMatch(/ct_image: .*ct_image\.dcm: DICOM object is not a waveform/);
    expect(r.stdout).toMatch(/1 rows matched no record: no_such_ecg\.xml/);
  });
});
