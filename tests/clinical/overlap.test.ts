/**
 * A cohort run leaves out, by default, the records the package saw in training or calibration: same record id or
 * same patient, checked against the package's provenance; asked to include them, it scores them and the report
 * warns. Real PTB-XL records; a constant scorer stands in for the model (what is tested is which records run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { overlapText } from '../../contract/clinical.js';
import { openCohort } from '../../main/clinical/cohort.js';
import { defaultPreprocessing, type PackageHeader } from '../../main/clinical/package.js';
import { runCohort, type Scorer } from '../../main/clinical/run.js';
import { sharedData, tempWorkspace } from '../helpers/paths.js';

const constant: Scorer = { description: 'constant', score: async (_s, n) => new Float32Array(n).fill(0.5), dispose() {} };

describe('cohort records the package saw', () => {
  it('are left out by record and patient id, counted, and scored only when asked (with a warning)', async () => {
    const cohort = { kind: 'ptbxl' as const, path: sharedData('ptbxl'), rate: 100 as const, where: { strat_fold: ['9', '10'] } };
    const records = (await openCohort(cohort)).records;
    const fold9 = records.filter((r) => String(r.fields.strat_fold) === '9');
    // The package saw fold 9's records by id, plus one fold-10 patient through a record of theirs elsewhere.
    const extraPatient = records.find((r) => String(r.fields.strat_fold) === '10')!.patientId;
    const seen = { records: fold9.map((r) => r.id), patients: [...new Set([...fold9.map((r) => r.patientId), extraPatient])] };
    const expected = new Set(records.filter((r) => seen.records.includes(r.id) || seen.patients.includes(r.patientId)).map((r) => r.id));
    expect(expected.size).toBeGreaterThan(fold9.length);

    const header = {
      tasks: [{ name: 'MI', threshold: 0.5, thresholdRule: 'test' }],
      preprocessing: defaultPreprocessing(),
      provenance: { datasets: ['ptbxl'], split: 'folds 1–8 / 9', encoderRun: null, config: {}, backend: 'test', seed: 0, createdAt: '', software: 'test', seen },
      weightsSha256: 'x'.repeat(64),
    } as unknown as PackageHeader;

    const ws = tempWorkspace('ecgfm-overlap-');
    const out = join(ws, 'excluded');
    const run = await runCohort({ header, modelPath: join(ws, 'm.ecgfm'), scorer: constant, cohort, outDir: out });
    expect(run.overlap).toMatchObject({ records: expected.size, patients: seen.patients.filter((p) => records.some((r) => r.patientId === p)).length, excluded: true, known: true });
    const scored = readFileSync(join(out, 'scores.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
    expect(scored.length + run.unreadable).toBe(records.length - expected.size);
    expect(scored.some((id) => expected.has(id))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).overlap.records).toBe(expected.size);
    expect(overlapText(run.overlap)).toMatch(new RegExp(`^${expected.size} cohort records .* were left out of this run\\.$`));

    const incl = await runCohort({ header, modelPath: join(ws, 'm.ecgfm'), scorer: constant, cohort, outDir: join(ws, 'included'), seen: 'include' });
    expect(incl.overlap.excluded).toBe(false);
    expect(incl.scored + incl.unreadable).toBe(records.length);
    expect(overlapText(incl.overlap)).toMatch(/WERE SCORED: the metrics below are optimistic/);

    const old = await runCohort({ header: { ...header, provenance: { ...header.provenance, seen: undefined } }, modelPath: join(ws, 'm.ecgfm'), scorer: constant, cohort, outDir: join(ws, 'old') });
    expect(old.overlap.known).toBe(false);
    expect(overlapText(old.overlap)).toMatch(/could not be checked/);
  });
});
