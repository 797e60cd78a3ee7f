/** GE CardioSoft / UK Biobank XML reader on files written here from a real PTB-XL record after the published layout. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cardiosoftMetadata } from '../../main/data/formats/cardiosoft/metadata.js';
import { decodeCounts } from '../../main/data/formats/cardiosoft/decode.js';
import { readCardiosoft } from '../../main/data/formats/cardiosoft/read.js';
import { decodeXml, parseXml } from '../../main/data/formats/xml.js';
import { lead, ptbxl, tempDir, writeCardiosoft } from './helpers.js';

const textOf = (p: string): string => decodeXml(new Uint8Array(readFileSync(p)));

describe('GE CardioSoft / UK Biobank XML', () => {
  const dir = tempDir();
  const rec = ptbxl(2);

  it('StripData: rate, resolution, leads, demographics; counts × resolution reads the record back exactly', () => {
    const p = join(dir, '1000037_20205_2_0.xml');
    writeCardiosoft(rec, p);
    const doc = cardiosoftMetadata(parseXml(textOf(p)));
    expect(doc.strip).toMatchObject({ fs: 500, statedLeads: 12, statedSamples: 5000, resolution: 1, resolutionUnit: 'uV' });
    expect(doc.fields).toMatchObject({ age: 56, sex: 'F', patient_id: '1000037', acquired: '1984-08-11T09:17:34', statements: 'Sinus rhythm | Normal ECG' });
    const r = readCardiosoft(textOf(p));
    expect(r.leads).toEqual(['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
    r.leads.forEach((name, i) => {
      const ref = rec.physical[lead(rec, name)]!;
      for (let k = 0; k < ref.length; k += 3) expect(Math.abs(r.signals[i]![k]! - ref[k]!)).toBeLessThan(1e-12);
    });
    expect(Array.from(decodeCounts('1, -2,3,', 'I'))).toEqual([1, -2, 3]);
  });

  it('bad input: missing resolution, unknown unit, lead count, sample count, non-integer counts', () => {
    const bad = (name: string, mutate: (x: string) => string): string => {
      const p = join(dir, `${name}.xml`);
      writeCardiosoft(rec, p, { mutate });
      return textOf(p);
    };
    expect(() => readCardiosoft(bad('res', (x) => x.replace(/<Resolution[^<]*<\/Resolution>/, '')))).toThrow(/missing sensitivity/);
    expect(() => readCardiosoft(bad('unit', (x) => x.replace('uVperLsb', 'inchesperLsb')))).toThrow(/unknown Resolution unit "inches"/);
    expect(() => readCardiosoft(bad('count', (x) => x.replace('<NumberOfLeads>12', '<NumberOfLeads>8')))).toThrow(/lead count mismatch: NumberOfLeads says 8/);
    expect(() => readCardiosoft(bad('samples', (x) => x.replace(/(<WaveformData lead="V6">)-?\d+,/, '$1')))).toThrow(/lead V6: ChannelSampleCountTotal says 5000 samples, the data holds 4999/);
    expect(() => readCardiosoft(bad('nan', (x) => x.replace(/(<WaveformData lead="I">-?\d+),/, '$1,1.5,')))).toThrow(/lead I: sample 2 \("1.5"\) is not an integer/);
  });
});
