/**
 * CSV tables read with csv-parse (RFC 4180: quoted fields with commas, doubled quotes and newlines; BOM; CRLF),
 * strictly: a malformed row is never merged into its neighbours. When csv-parse stops on a row (an unclosed or
 * stray quote), that row is reported with its line and the reason, and parsing starts again on the next line, so
 * every data row of the file is either returned or listed as a problem.
 */
import { readFileSync } from 'node:fs';
import { CsvError, parse } from 'csv-parse/sync';

export interface CsvRow {
  /** 1-based line of the file where the row starts (the header is line 1). */
  line: number;
  values: Record<string, string>;
}

export interface CsvProblem {
  line: number;
  problem: string;
}

export interface CsvTable {
  path: string;
  header: string[];
  rows: CsvRow[];
  /** Rows that could not be read, each with its line and the reason. */
  problems: CsvProblem[];
}

export class CsvFileError extends Error {}

interface RawRow {
  line: number;
  fields: string[];
}

/** Byte offset (UTF-8) of the first byte of each line: csv-parse reports where a record ends in bytes. */
function lineStarts(bytes: Buffer): number[] {
  const starts = [0];
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line holding byte `at`. */
function lineAt(starts: number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Why csv-parse stopped on the row starting at `line` (`at` is the line it stopped on). */
function reason(err: unknown, line: number, at: number): string {
  if (!(err instanceof CsvError)) return err instanceof Error ? err.message : String(err);
  const code = String(err.code);
  const where = at > line ? ` (a quoted field opened on this line runs on to line ${at})` : '';
  if (code.endsWith('QUOTE_NOT_CLOSED')) return 'a quoted field is never closed (unbalanced ")';
  if (code.endsWith('INVALID_OPENING_QUOTE')) return `a quote (") inside an unquoted field${where}`;
  if (code.endsWith('INVALID_CLOSING_QUOTE')) return `text follows a closing quote (") where a comma or line end belongs${where}`;
  return err.message.replace(/ at line \d+.*$/, '') + where;
}

/**
 * Every row of `text` with the line it starts on; rows csv-parse cannot read become problems. Positions come from
 * csv-parse's byte counts (its line count takes a quoted CRLF for two lines).
 */
export function parseCsvRows(text: string): { rows: RawRow[]; problems: CsvProblem[] } {
  const body = Buffer.from(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, 'utf8');
  const starts = lineStarts(body);
  const isBlank = (line: number): boolean => {
    const s = starts[line - 1]!;
    const e = line < starts.length ? starts[line]! : body.length;
    return body.subarray(s, e).toString('utf8').trim() === '';
  };
  const firstFilled = (from: number): number => {
    let l = from;
    while (l <= starts.length && isBlank(l)) l++;
    return l;
  };
  const rows: RawRow[] = [];
  const problems: CsvProblem[] = [];
  let from = 1;
  while (from <= starts.length) {
    const offset = starts[from - 1]!;
    // Where the record being parsed starts: just after the previous one ended.
    let recordStart = offset;
    try {
      parse(body.subarray(offset), {
        relax_column_count: true,
        skip_empty_lines: true,
        on_record: (record: string[], ctx) => {
          rows.push({ line: firstFilled(lineAt(starts, recordStart)), fields: record });
          recordStart = offset + ctx.bytes;
          return null;
        },
      });
      break;
    } catch (err) {
      const bad = firstFilled(lineAt(starts, recordStart));
      if (bad > starts.length) break;
      const at = err instanceof CsvError && typeof err.bytes === 'number' ? lineAt(starts, Math.max(offset, offset + err.bytes - 1)) : bad;
      problems.push({ line: bad, problem: reason(err, bad, at) });
      from = bad + 1;
    }
  }
  return { rows, problems };
}

/** A table: the header row names the columns; each later row must have as many fields. */
export function parseCsvTable(text: string, path: string, required: readonly string[] = []): CsvTable {
  const { rows: raw, problems } = parseCsvRows(text);
  const head = raw[0];
  if (!head) throw new CsvFileError(`${path}: empty CSV file (no header row)`);
  const headProblem = problems.find((p) => p.line < head.line);
  if (headProblem) throw new CsvFileError(`${path}: line ${headProblem.line}: the header row cannot be read (${headProblem.problem})`);
  const header = head.fields.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (h !== '' && seen.has(h)) throw new CsvFileError(`${path}: column "${h}" appears twice in the header`);
    seen.add(h);
  }
  const missing = required.filter((c) => !seen.has(c));
  if (missing.length) {
    throw new CsvFileError(`${path}: missing required column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} (the header has ${header.map((h) => `"${h}"`).join(', ')})`);
  }
  const rows: CsvRow[] = [];
  for (const r of raw.slice(1)) {
    if (r.fields.length !== header.length) {
      problems.push({ line: r.line, problem: `${r.fields.length} fields where the header has ${header.length}` });
      continue;
    }
    rows.push({ line: r.line, values: Object.fromEntries(header.map((h, i) => [h, r.fields[i]!])) });
  }
  problems.sort((a, b) => a.line - b.line);
  return { path, header, rows, problems };
}

export function readCsvTable(path: string, required: readonly string[] = []): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CsvFileError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseCsvTable(text, path, required);
}

/** Rows as arrays, strict: the first malformed row throws with its line (for small files read whole). */
export function parseCsv(text: string): string[][] {
  const { rows, problems } = parseCsvRows(text);
  if (problems[0]) throw new CsvFileError(`line ${problems[0].line}: ${problems[0].problem}`);
  return rows.map((r) => r.fields);
}

/** Rows as objects keyed by the header row; any malformed row throws (use readCsvTable to go on past them). */
export function readCsvObjects(path: string, required: readonly string[] = []): Record<string, string>[] {
  const t = readCsvTable(path, required);
  if (t.problems[0]) throw new CsvFileError(`${path}: line ${t.problems[0].line}: ${t.problems[0].problem}`);
  return t.rows.map((r) => r.values);
}
