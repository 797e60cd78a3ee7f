/**
 * The MIMIC-IV-ECG adapter on its real layout: `record_list.csv` with the columns and first row of the published
 * list (subject 10000032, study 40689238, as kept in a public repository) and the record at
 * files/p1000/p10000032/s40689238/40689238. No MIMIC-IV-ECG waveform is public outside PhysioNet's credentialed
 * download, so the record's signal is a real PTB-XL ECG copied into place at test time (500 Hz, 12 leads, WFDB 16).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mimicListing } from '../../main/data/adapters/mimic.js';
import { importDataset } from '../../main/data/import.js';
import { openDataset } from '../../main/data/registry.js';
import { detectDataset } from '../../main/api/detect.js';
import { sharedData, tempWorkspace } from '../helpers/paths.js';
import { tempDir } from './helpers.js';

describe('MIMIC-IV-ECG layout', () => {
  it('lists, detects and imports record_list.csv records with subject as patient', async () => {
    process.env.ECGFM_WORKSPACE = tempWorkspace();
    const root = tempDir('ecgfm-mimic-');
    const rel = 'files/p1000/p10000032/s40689238';
    mkdirSync(join(root, rel), { recursive: true });
    writeFileSync(join(root, 'record_list.csv'), 'subject_id,study_id,file_name,ecg_time,path\n10000032,40689238,40689238,2180-07-23 08:44:00,files/p1000/p10000032/s40689238/40689238\n10000032,40000000,40000000,2180-07-24 09:00:00,files/p1000/p10000032/s40000000/40000000\n');
    const src = sharedData('ptbxl', 'records500', '00000');
    const hea = readFileSync(join(src, '00001_hr.hea'), 'latin1').replace(/00001_hr/g, '40689238');
    writeFileSync(join(root, rel, '40689238.hea'), hea);
    copyFileSync(join(src, '00001_hr.dat'), join(root, rel, '40689238.dat'));
    const listing = mimicListing(root);
    expect(listing.records.map((r) => [r.id, r.patientId, r.fields.ecg_time])).toEqual([
      ['40689238', '10000032', '2180-07-23 08:44:00'], ['40000000', '10000032', '2180-07-24 09:00:00'],
    ]);
    expect(detectDataset(root).kind).toBe('mimic-iv-ecg');
    const report = await importDataset({ kind: 'mimic-iv-ecg', path: root, name: 'mimic' });
    expect(report.count).toBe(1);
    expect(report.errors).toEqual([expect.objectContaining({ ref: 'mimic:40000000', problem: expect.stringMatching(/cannot read header/) })]);
    expect(openDataset('mimic').meta(0)).toMatchObject({ id: '40689238', patientId: '10000032', source: 'mimic-iv-ecg' });
  });
});
