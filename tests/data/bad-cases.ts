/**
 * Builds, on the fly, a PTB-XL-layout folder with 20 good records (copied from ../shared/data/ptbxl) and one row or
 * record of each kind of bad input, plus a folder outside it that bad names try to reach. Used by
 * tests/data/integrity.test.ts, and runnable as `npx tsx tests/data/bad-cases.ts DIR` to try `ecgfm datasets import`.
 */
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWfdbRecord } from '../../main/data/wfdb/record.js';
import { sharedData } from '../helpers/paths.js';

export const LEAD_NAMES = ['I', 'II', 'III', 'AVR', 'AVL', 'AVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
export const GOOD = 20;

interface WfdbSpec {
  /** Digital samples per lead (fmt 16). */
  leads: Int32Array[];
  fs?: number;
  gain?: number;
  baseline?: number;
  /** The signal file name written into the header (default `<name>.dat`); the file itself is written only when `writeDat`. */
  signalFile?: string;
  writeDat?: boolean;
  /** Change the header's checksum of lead I by this much (a checksum mismatch). */
  badChecksum?: boolean;
}

/** A WFDB record (format 16) written from digital samples, with the initial values and checksums a reader checks. */
export function writeWfdb(dir: string, name: string, spec: WfdbSpec): void {
  mkdirSync(dir, { recursive: true });
  const n = spec.leads[0]!.length;
  const fs = spec.fs ?? 100;
  const file = spec.signalFile ?? `${name}.dat`;
  const lines = [`${name} ${spec.leads.length} ${fs} ${n}`];
  spec.leads.forEach((d, l) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum = (sum + d[i]!) & 0xffff;
    if (spec.badChecksum && l === 0) sum = (sum + 7) & 0xffff;
    const checksum = sum >= 0x8000 ? sum - 0x10000 : sum;
    lines.push(`${file} 16 ${spec.gain ?? 1000}(${spec.baseline ?? 0})/mV 16 0 ${d[0]} ${checksum} 0 ${LEAD_NAMES[l]}`);
  });
  writeFileSync(join(dir, `${name}.hea`), lines.join('\n') + '\n');
  if (spec.writeDat ?? true) {
    const buf = Buffer.alloc(n * spec.leads.length * 2);
    for (let i = 0; i < n; i++) for (let l = 0; l < spec.leads.length; l++) buf.writeInt16LE(spec.leads[l]![i]!, 2 * (i * spec.leads.length + l));
    writeFileSync(join(dir, file), buf);
  }
}

/** The real digital samples of PTB-XL record 1 at 100 Hz (10 s), as a template for the bad records. */
export function templateLeads(): Int32Array[] {
  return readWfdbRecord(sharedData('ptbxl', 'records100', '00000', '00001_lr.hea'), { digitalOnly: true }).digital.map((d) => Int32Array.from(d));
}

const map = (leads: Int32Array[], f: (v: number, l: number, i: number) => number): Int32Array[] => leads.map((d, l) => d.map((v, i) => f(v, l, i)));

export interface BadCase {
  id: number;
  /** What the case is, in words. */
  what: string;
  /** The import must list it as an error matching this, or import it with these flags. */
  error?: RegExp;
  flags?: string[];
  /** How the report names it, when not "ptbxl:<id>" (a duplicate row carries another record's id). */
  ref?: string;
}

export interface BuiltFolder {
  root: string;
  outside: string;
  /** ecg_ids of the good records. */
  good: number[];
  /** Rows (by ecg_id, or by line when the row has none) and what must become of them. */
  cases: BadCase[];
  /** CSV lines that must be listed as errors: line → pattern. */
  lineErrors: Record<number, RegExp>;
  /** Data rows in the CSV. */
  rows: number;
}

function goodRows(): string[][] {
  const text = readFileSync(sharedData('ptbxl', 'ptbxl_database.csv'), 'utf8');
  // The first GOOD rows after the header, kept as raw lines (they are valid CSV and one line each).
  return text.split('\n').slice(1, 1 + GOOD).map((l) => [l]);
}

/** Builds everything under `base`; returns where and what to expect. */
export function buildBadFolder(base: string): BuiltFolder {
  const root = join(base, 'ptbxl-bad');
  const outside = join(base, 'outside');
  const rec = join(root, 'records100', '00000');
  mkdirSync(rec, { recursive: true });
  mkdirSync(outside, { recursive: true });
  copyFileSync(sharedData('ptbxl', 'scp_statements.csv'), join(root, 'scp_statements.csv'));
  const header = readFileSync(sharedData('ptbxl', 'ptbxl_database.csv'), 'utf8').split('\n')[0]!.replace(/\r$/, '');
  const cols = header.split(',');
  const good = goodRows();
  const goodIds: number[] = [];
  for (const [line] of good) {
    const id = Number(line!.split(',')[0]);
    goodIds.push(id);
    const n = String(id).padStart(5, '0');
    for (const ext of ['hea', 'dat']) copyFileSync(sharedData('ptbxl', 'records100', '00000', `${n}_lr.${ext}`), join(rec, `${n}_lr.${ext}`));
  }

  // Outside the dataset: files that bad names try to reach.
  const t = templateLeads();
  writeWfdb(outside, 'outside', { leads: t });
  writeFileSync(join(outside, 'secret.txt'), 'x'.repeat(12345));

  const row = (id: number, filename: string, over: Partial<Record<string, string>> = {}): string => {
    const v: Record<string, string> = {
      ecg_id: String(id), patient_id: String(90000 + id), age: '60', sex: '1', scp_codes: `"{'NORM': 100.0}"`,
      strat_fold: '5', filename_lr: filename, filename_hr: filename.replace('records100', 'records500').replace(/_lr$/, '_hr'), ...over,
    };
    return cols.map((c) => v[c] ?? '').join(',');
  };
  const lines: string[] = [];
  const cases: BadCase[] = [];
  const lineErrors: Record<number, RegExp> = {};
  const add = (id: number, what: string, line: string, expect: Omit<BadCase, 'id' | 'what'>): void => {
    lines.push(line);
    cases.push({ id, what, ...expect });
  };
  const rel = (name: string): string => `records100/00000/${name}`;

  // WFDB records with something wrong, each referenced by one CSV row.
  let id = 1001;
  const wfdb = (what: string, spec: WfdbSpec | null, expect: Omit<BadCase, 'id' | 'what'>, setup?: (name: string) => void): void => {
    const name = `bad${id}_lr`;
    if (spec) writeWfdb(rec, name, spec);
    setup?.(name);
    add(id, what, row(id, rel(name)), expect);
    id++;
  };
  wfdb('header names ../../../outside/outside.dat as its signal file', { leads: t, signalFile: '../../../outside/outside.dat', writeDat: false }, { error: /signal file named in .* "\.\.\/\.\.\/\.\.\/outside\/outside\.dat" lies outside the dataset folder/ });
  wfdb('header names an absolute path outside as its signal file', { leads: t, signalFile: join(outside, 'secret.txt'), writeDat: false }, { error: /"\/.*\/outside\/secret\.txt" lies outside the dataset folder .*; it is not read$/ });
  wfdb('.hea is a symlink to a header outside', null, { error: /lies outside the dataset folder/ }, (name) => symlinkSync(join(outside, 'outside.hea'), join(rec, `${name}.hea`)));
  wfdb('.dat is a symlink to a file outside', { leads: t, writeDat: false }, { error: /lies outside the dataset folder/ }, (name) => symlinkSync(join(outside, 'outside.dat'), join(rec, `${name}.dat`)));
  wfdb('.hea and .dat are symlinks to a record inside the folder', null, { flags: [] }, (name) => {
    writeWfdb(join(root, 'elsewhere'), 'inside', { leads: t });
    symlinkSync(join(root, 'elsewhere', 'inside.hea'), join(rec, `${name}.hea`));
    // The header names inside.dat, which sits beside the link's target only: link it too.
    symlinkSync(join(root, 'elsewhere', 'inside.dat'), join(rec, 'inside.dat'));
  });
  wfdb('truncated .dat', { leads: t }, { error: /truncated signal file/ }, (name) => {
    const p = join(rec, `${name}.dat`);
    writeFileSync(p, readFileSync(p).subarray(0, 1000));
  });
  wfdb('checksum mismatch', { leads: t, badChecksum: true }, { error: /checksum mismatch in signal "I"/ });
  wfdb('.dat is missing', { leads: t, writeDat: false }, { error: /missing signal file/ });
  wfdb('unparsable header', null, { error: /unparsable record line/ }, (name) => writeFileSync(join(rec, `${name}.hea`), 'this is not a header\n'));
  wfdb('every sample invalid (all NaN)', { leads: map(t, () => -32768) }, { error: /all-NaN/ });
  wfdb('gain 0.1 adu/mV: values beyond ±1 V', { leads: t, gain: 0.1 }, { error: /beyond the ±1000 mV that an ECG can hold/ });
  wfdb('baseline 5000 at gain 100: a −50 mV offset (beyond the old ±32.767 mV)', { leads: t, gain: 100, baseline: 5000 }, { flags: [] });
  wfdb('all-zero signal', { leads: map(t, () => 0) }, { flags: ['constant', 'flat_lead'] });
  wfdb('lead V1 constant', { leads: map(t, (v, l) => (l === 6 ? 250 : v)) }, { flags: ['flat_lead'] });
  wfdb('lead II saturated at the ADC limit', { leads: map(t, (v, l, i) => (l === 1 && i % 100 < 10 ? 32767 : v)) }, { flags: ['clipped'] });
  wfdb('10-minute record', { leads: t.map((d) => Int32Array.from({ length: 60 * d.length }, (_, i) => d[i % d.length]!)) }, { flags: ['cropped'] });
  wfdb('5-second record', { leads: t.map((d) => d.slice(0, 500)) }, { flags: ['padded'] });
  wfdb('a tenth of the samples invalid', { leads: map(t, (v, _l, i) => (i % 10 === 3 ? -32768 : v)) }, { flags: ['nan'] });
  wfdb('multi-segment record whose segment is ../../../outside/outside', null, { error: /segment named in .* lies outside the dataset folder/ }, (name) => {
    writeFileSync(join(rec, `${name}.hea`), `${name}/1 12 100 1000\n../../../outside/outside 1000\n`);
  });

  // CSV rows with something wrong.
  add(id, 'filename_lr escapes the folder (../../outside/outside)', row(id, '../outside/outside'), { error: /filename_lr "\.\.\/outside\/outside\.hea" lies outside the dataset folder/ });
  id++;
  add(id, 'filename_lr is an absolute path outside', row(id, join(outside, 'outside')), { error: /filename_lr ".*" lies outside the dataset folder/ });
  id++;
  add(id, 'empty filename_lr', row(id, ''), { error: /row without filename_lr/ });
  id++;
  add(id, 'scp_codes is not a dict literal', row(id, rel('00001_lr'), { scp_codes: 'NORM' }), { error: /is not a dict literal/ });
  id++;
  add(id, 'duplicate ecg_id (the same as good record 1)', row(1, rel('00001_lr')), { error: /duplicate id "1"/, ref: 'ptbxl:1' });
  id++;

  // Rows csv-parse cannot read: each one is listed by its line, and the rows after it are still read.
  const malformed: [string, string, RegExp][] = [
    ['unclosed quote', row(id, rel('00002_lr'), { report: '"never closed' }), /quote/],
    ['stray quote inside an unquoted field', row(id + 1, rel('00002_lr'), { report: 'a "quoted" word' }), /quote/],
    ['too many fields', row(id + 2, rel('00002_lr')) + ',extra', /fields where the header has/],
  ];
  // Ten good rows, then each malformed row followed by a good one (so that a good row follows each break), then the
  // other good rows and the rows of the bad records.
  const goodLines = good.map(([l]) => l!.replace(/\r$/, ''));
  // One good row carries an embedded line break and doubled quotes in a quoted field (valid RFC 4180).
  goodLines[0] = goodLines[0]!.replace('sinusrhythmus periphere niederspannung', '"sinusrhythmus\r\nperiphere ""niederspannung"""');
  const body: string[] = goodLines.slice(0, 10);
  let lineNo = 13; // header (1), ten good rows on lines 2–12 (the first spans two lines)
  malformed.forEach(([what, text, re], k) => {
    body.push(text, goodLines[10 + k]!);
    lineErrors[lineNo] = re;
    cases.push({ id: -lineNo, what: `${what} (line ${lineNo})`, error: re });
    lineNo += 2;
  });
  body.push(...goodLines.slice(13));
  body.push(...lines);
  // BOM and CRLF line ends, as spreadsheet exports write them.
  writeFileSync(join(root, 'ptbxl_database.csv'), '\uFEFF' + [header, ...body].join('\r\n') + '\r\n');
  return { root, outside, good: goodIds, cases, lineErrors, rows: body.length };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: npx tsx tests/data/bad-cases.ts DIR');
  const built = buildBadFolder(dir);
  console.log(built.root);
  for (const c of built.cases) console.log(`  ${c.id > 0 ? `ecg_id ${c.id}` : `line ${-c.id}`}: ${c.what}`);
}
