/**
 * Shared by the format tests: the real fixtures, a real PTB-XL record, the independent oracles (Debian's pydicom,
 * mne and biosig-tools, run as separate programs), and small writers that encode a record in each format the way
 * the formats' documentation lays them out.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readWfdbRecord } from '../../main/data/wfdb/record.js';
import { sharedData } from '../helpers/paths.js';

export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
export const PYDICOM_ECG = '/usr/lib/python3/dist-packages/pydicom/data/test_files/waveform_ecg.dcm';
export const PYDICOM_CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
/** Debian's interpreter, where python3-pydicom and python3-mne live (`.ci/formats.sh` installs them). */
export const PYTHON = '/usr/bin/python3';

export function tempDir(prefix = 'ecgfm-formats-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A gzipped fixture unpacked into `dir`; returns its path. */
export function unpack(name: string, dir: string, as = name.replace(/\.gz$/, '')): string {
  const p = join(dir, as);
  writeFileSync(p, gunzipSync(readFileSync(join(FIXTURES, name))));
  return p;
}

/** Runs Python code with JSON on stdin; returns its stdout parsed as JSON. A missing oracle fails the test. */
export function py<T>(code: string, input: unknown = null): T {
  const r = spawnSync(PYTHON, ['-c', code], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 29 });
  if (r.status !== 0) throw new Error(`python oracle failed (${r.status}): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs a biosig-tools program; fails when it is not installed. */
export function biosig(args: string[], cwd: string): string {
  const r = spawnSync('save2gdf', args, { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`save2gdf ${args.join(' ')} failed: ${r.error ?? r.stderr}`);
  return r.stdout;
}

export interface PtbRecord {
  fs: number;
  names: string[];
  /** Digital values (1 µV per unit in PTB-XL). */
  digital: Int32Array[];
  /** Physical values, mV. */
  physical: Float64Array[];
}

/** A real PTB-XL ECG at 500 Hz (record 1, 12 leads × 5000 samples, 1000 units per mV). */
export function ptbxl(n = 1): PtbRecord {
  const id = String(n).padStart(5, '0');
  const r = readWfdbRecord(sharedData('ptbxl', 'records500', '00000', `${id}_hr.hea`));
  return { fs: r.fs, names: r.names, digital: r.digital, physical: r.physical };
}

export const lead = (rec: PtbRecord, name: string): number => rec.names.findIndex((n) => n.toUpperCase() === name.toUpperCase());

// ---- writers (test-only encoders, after each format's documentation) ----

const EIGHT = ['I', 'II', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];

export interface MuseOptions {
  encoding?: 'ISO-8859-1' | 'UTF-8';
  /** Replace a lead's base64 or drop elements to make broken files. */
  mutate?: (xml: string) => string;
  patientName?: string;
}

/** GE MUSE RestingECG: 8 leads, int16 little-endian base64, 1 µV per bit (PTB-XL's own resolution). */
export function writeMuse(rec: PtbRecord, path: string, opts: MuseOptions = {}): void {
  const enc = opts.encoding ?? 'ISO-8859-1';
  const leads = EIGHT.map((name) => {
    const d = rec.digital[lead(rec, name)]!;
    const buf = Buffer.alloc(d.length * 2);
    for (let i = 0; i < d.length; i++) buf.writeInt16LE(d[i]!, 2 * i);
    const b64 = buf.toString('base64').replace(/(.{76})/g, '$1\n');
    return `<LeadData><LeadByteCountTotal>${buf.length}</LeadByteCountTotal><LeadSampleCountTotal>${d.length}</LeadSampleCountTotal>` +
      `<LeadAmplitudeUnitsPerBit>1</LeadAmplitudeUnitsPerBit><LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><LeadID>${name}</LeadID>` +
      `<LeadSampleSize>2</LeadSampleSize><WaveFormData>\n${b64}\n</WaveFormData></LeadData>`;
  });
  let xml = `<?xml version="1.0" encoding="${enc}"?>\n<!DOCTYPE RestingECG SYSTEM "restecg.dtd">\n<RestingECG>` +
    `<PatientDemographics><PatientID>PTB-1</PatientID><PatientAge>56</PatientAge><AgeUnits>YEARS</AgeUnits><Gender>FEMALE</Gender>` +
    `<PatientLastName>${opts.patientName ?? 'Müller'}</PatientLastName></PatientDemographics>` +
    `<TestDemographics><AcquisitionDevice>MAC55</AcquisitionDevice><AcquisitionTime>09:17:34</AcquisitionTime><AcquisitionDate>11-08-1984</AcquisitionDate></TestDemographics>` +
    `<Diagnosis><DiagnosisStatement><StmtText>Sinus rhythm</StmtText></DiagnosisStatement><DiagnosisStatement><StmtText>Normal ECG</StmtText></DiagnosisStatement></Diagnosis>` +
    `<Waveform><WaveformType>Rhythm</WaveformType><NumberofLeads>8</NumberofLeads><SampleBase>${rec.fs}</SampleBase><SampleExponent>0</SampleExponent>${leads.join('')}</Waveform>` +
    `</RestingECG>\n`;
  if (opts.mutate) xml = opts.mutate(xml);
  writeFileSync(path, enc === 'UTF-8' ? Buffer.from(xml, 'utf8') : Buffer.from(xml, 'latin1'));
}

const MDC: Record<string, string> = { AVR: 'AVR', AVL: 'AVL', AVF: 'AVF' };

/** HL7 aECG: one RHYTHM series; the leads split over `sets` sequence sets, each with its own GLIST_TS. */
export function writeAecg(rec: PtbRecord, path: string, opts: { sets?: number; beatsFirst?: boolean; mutate?: (xml: string) => string } = {}): void {
  const sets = opts.sets ?? 1;
  const per = Math.ceil(rec.names.length / sets);
  const setXml = (names: string[]): string => `<component><sequenceSet>` +
    `<component><sequence><code code="TIME_ABSOLUTE" codeSystem="2.16.840.1.113883.5.4"/><value xsi:type="GLIST_TS"><head value="19840811091734.000"/><increment value="${1 / rec.fs}" unit="s"/></value></sequence></component>` +
    names.map((n) => {
      const d = rec.digital[lead(rec, n)]!;
      return `<component><sequence><code code="MDC_ECG_LEAD_${MDC[n.toUpperCase()] ?? n.toUpperCase()}" codeSystem="2.16.840.1.113883.6.24"/>` +
        `<value xsi:type="SLIST_PQ"><origin value="0" unit="uV"/><scale value="1" unit="uV"/><digits>${Array.from(d).join(' ')}</digits></value></sequence></component>`;
    }).join('') + `</sequenceSet></component>`;
  const groups: string[] = [];
  for (let i = 0; i < rec.names.length; i += per) groups.push(setXml(rec.names.slice(i, i + per)));
  const beat = `<component><series><code code="REPRESENTATIVE_BEAT" codeSystem="2.16.840.1.113883.5.4"/>${setXml(['I'])}</series></component>`;
  const rhythm = `<component><series><code code="RHYTHM" codeSystem="2.16.840.1.113883.5.4"/>${groups.join('')}</series></component>`;
  let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<effectiveTime><center value="19840811091734"/></effectiveTime>` +
    `<componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject><id extension="PTB-1"/>` +
    `<subjectDemographicPerson><administrativeGenderCode code="F"/></subjectDemographicPerson></trialSubject></subject></subjectAssignment></componentOf></timepointEvent></componentOf>` +
    (opts.beatsFirst ? beat + rhythm : rhythm + beat) + `</AnnotatedECG>\n`;
  if (opts.mutate) xml = opts.mutate(xml);
  writeFileSync(path, xml);
}

/** GE CardioSoft CardiologyXML: StripData with 12 comma-separated leads at 1 µV per LSB, ISO-8859-1. */
export function writeCardiosoft(rec: PtbRecord, path: string, opts: { mutate?: (xml: string) => string } = {}): void {
  const waves = rec.names.map((n, i) => `<WaveformData lead="${n.replace(/^AV/, 'aV')}">${Array.from(rec.digital[i]!).join(',')}</WaveformData>`).join('\n');
  let xml = `<?xml version="1.0" encoding="ISO-8859-1"?>\n<CardiologyXML><ObservationType>RestECG</ObservationType>` +
    `<ObservationDateTime><Hour>9</Hour><Minute>17</Minute><Second>34</Second><Day>11</Day><Month>8</Month><Year>1984</Year></ObservationDateTime>` +
    `<PatientInfo><PID>1000037</PID><Age units="years">56</Age><Gender>Female</Gender></PatientInfo>` +
    `<Interpretation><Diagnosis><DiagnosisText>Sinus rhythm</DiagnosisText><DiagnosisText>Normal ECG</DiagnosisText></Diagnosis></Interpretation>` +
    `<StripData><NumberOfLeads>${rec.names.length}</NumberOfLeads><SampleRate units="Hz">${rec.fs}</SampleRate>` +
    `<ChannelSampleCountTotal>${rec.digital[0]!.length}</ChannelSampleCountTotal><Resolution units="uVperLsb">1</Resolution>\n${waves}\n</StripData></CardiologyXML>\n`;
  if (opts.mutate) xml = opts.mutate(xml);
  writeFileSync(path, Buffer.from(xml, 'latin1'));
}

export interface EdfSignalIn {
  label: string;
  unit: string;
  digital: Int32Array;
  physMin: number;
  physMax: number;
  digMin: number;
  digMax: number;
}

/** EDF+ (16-bit) or BDF (24-bit): 1-second data records, an "EDF Annotations" signal when annotations are given. */
export function writeEdf(path: string, signals: EdfSignalIn[], fs: number, opts: { bdf?: boolean; annotations?: { onset: number; text: string }[] } = {}): void {
  const w = opts.bdf ? 3 : 2;
  const seconds = Math.floor(signals[0]!.digital.length / fs);
  const annBytes = 120;
  const all = [...signals.map((s) => ({ ...s, spr: fs, ann: false })), ...(opts.annotations ? [{ label: 'EDF Annotations', unit: '', digital: new Int32Array(0), physMin: -1, physMax: 1, digMin: -32768, digMax: 32767, spr: annBytes / 2, ann: true }] : [])];
  const ns = all.length;
  const f = (v: string | number, n: number): string => String(v).slice(0, n).padEnd(n, ' ');
  let head = (opts.bdf ? '\xffBIOSEMI' : f('0', 8)) + f('X F X PTB-1', 80) + f('Startdate 11-AUG-1984 X X test', 80) + f('11.08.84', 8) + f('09.17.34', 8) +
    f(256 * (ns + 1), 8) + f(opts.bdf ? '24BIT' : 'EDF+C', 44) + f(seconds, 8) + f(1, 8) + f(ns, 4);
  const cols: [keyof (typeof all)[number] | ((s: (typeof all)[number]) => string | number), number][] = [
    ['label', 16], [() => '', 80], ['unit', 8], ['physMin', 8], ['physMax', 8], ['digMin', 8], ['digMax', 8], [() => '', 80], ['spr', 8], [() => '', 32],
  ];
  for (const [key, n] of cols) for (const s of all) head += f(typeof key === 'function' ? key(s) : (s[key] as string | number), n);
  const recLen = all.reduce((a, s) => a + s.spr * (s.ann ? 2 : w), 0);
  const out = Buffer.alloc(head.length + recLen * seconds);
  out.write(head, 0, 'latin1');
  for (let r = 0; r < seconds; r++) {
    let at = head.length + r * recLen;
    for (const s of all) {
      if (s.ann) {
        const tals = [`+${r}\x14\x14\0`, ...(opts.annotations ?? []).filter((a) => Math.floor(a.onset) === r).map((a) => `+${a.onset}\x14${a.text}\x14\0`)].join('');
        out.write(tals, at, 'utf8');
        at += s.spr * 2;
        continue;
      }
      for (let i = 0; i < s.spr; i++, at += w) {
        const v = s.digital[r * s.spr + i]!;
        if (w === 2) out.writeInt16LE(v, at);
        else out.writeIntLE(v, at, 3);
      }
    }
  }
  writeFileSync(path, out);
}
