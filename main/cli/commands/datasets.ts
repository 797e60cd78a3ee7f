/**
 * `ecgfm datasets import|list|export|delete`: the standardised ECG caches of the workspace. `import` exits 0 when
 * every record was imported, 4 (partial) when some failed and the dataset is usable, 5 when nothing was imported.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { progressBar } from '../progress.js';
import { importDataset } from '../../data/import.js';
import { datasetState, listDatasets, openDataset } from '../../data/registry.js';
import { deleteDataset, NoSuchDatasetError } from '../../data/delete.js';
import { DatasetLockedError } from '../../data/lock.js';
import { SourceFolderError } from '../../data/source-folders.js';
import { exportNpz } from '../../data/export.js';
import { DATASET_KINDS, type DatasetKind, type ImportReport } from '../../data/types.js';
import { detectDataset } from '../../api/detect.js';

const IMPORT_KINDS = DATASET_KINDS.filter((k) => k !== 'synthetic');
const USAGE = `ecgfm datasets import [KIND] <path> [--kind KIND] [--name NAME] [--rate 100|500] [--workers N] [--no-wait] [--json]
         [--window SECONDS] [--labels FILE.csv --id-column NAME] [--append]
       KIND: ${IMPORT_KINDS.join('|')}; without one the kind is recognised from the content
       (a folder of mixed GE MUSE, HL7 aECG, DICOM, EDF/BDF and CardioSoft files is 'ecg-files')
       ecgfm datasets list [--json]
       ecgfm datasets show <name> [--json]
       ecgfm datasets export <name> --out FILE.npz [--json]
       ecgfm datasets delete <name> [--no-wait] [--json]
import exits 0 when every record was imported, 4 when some failed (the dataset is usable), 5 when none was.
Running the same import again resumes an incomplete one. Another folder under an existing name is refused unless
--append: then its records join the dataset (record ids must differ from the dataset's), and the manifest lists every
folder with its records (\`datasets show\`). To pre-train on datasets of different kinds together, keep them apart
and give \`ecgfm pretrain\` several --dataset.`;

/** "  from FOLDER: N records" lines of a dataset's folders. */
function folderLines(folders: { path: string; records: number; expected: number | null; complete: boolean; errors: number }[], indent = '  '): string[] {
  return folders.map((f) => {
    const state = f.complete ? '' : `, incomplete${f.expected !== null ? ` (${f.records} of ${f.expected})` : ''}`;
    return `${indent}from ${f.path}: ${f.records} records${f.errors ? `, ${f.errors} errors` : ''}${state}`;
  });
}

function printReport(r: ImportReport): void {
  if (!r.created) {
    console.log(`nothing imported: no record of the source could be read, so no dataset "${r.name}" was created`);
    console.log(`  errors: ${r.errors.length}`);
    for (const e of r.errors) console.log(`    ${e.ref}: ${e.file}: ${e.problem}`);
    return;
  }
  console.log(`dataset ${r.name} (${r.kind}) at ${r.dir}`);
  if (r.appended) console.log(`  appended ${r.folder} to the dataset`);
  console.log(`  records: ${r.count} in cache (${r.added} added, ${r.skipped} already there), ${r.patients} patients`);
  if (r.sources && r.sources.length > 1) for (const line of folderLines(r.sources)) console.log(line);
  console.log(`  by source: ${Object.entries(r.countsBySource).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`);
  const prev = Object.entries(r.labelPrevalence).sort((a, b) => b[1].count - a[1].count);
  if (prev.length) {
    const shown = prev.slice(0, 20).map(([k, v]) => `${k} ${v.count} (${(100 * v.fraction).toFixed(1)}%)`);
    console.log(`  labels: ${shown.join(', ')}${prev.length > 20 ? `, … ${prev.length - 20} more` : ''}; none: ${r.unlabelled}`);
  }
  const flags = Object.entries(r.quality).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  console.log(`  quality flags: ${flags.join(', ') || 'none'}`);
  console.log(`  time: ${(r.durations.totalMs / 1000).toFixed(1)} s (${r.recordsPerSecond.toFixed(0)} records/s)`);
  if (r.sidecar) {
    const s = r.sidecar;
    console.log(`  labels file: ${s.file} on "${s.idColumn}": ${s.matched} of ${s.rows} rows matched; labels ${s.labelNames.join(', ') || '-'}; fields ${s.fieldNames.join(', ') || '-'}`);
    const show = (what: string, list: string[]): void => {
      if (!list.length) return;
      console.log(`    ${list.length} ${what}: ${list.slice(0, 20).join(', ')}${list.length > 20 ? `, … ${list.length - 20} more` : ''}`);
    };
    show('rows matched no record', s.unmatchedRows);
    show('records matched no row', s.unmatchedRecords);
  }
  console.log(`  errors: ${r.errors.length}`);
  for (const e of r.errors) console.log(`    ${e.ref}: ${e.file}: ${e.problem}`);
}

async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      name: { type: 'string' }, rate: { type: 'string' }, workers: { type: 'string' }, json: { type: 'boolean' },
      kind: { type: 'string' }, window: { type: 'string' }, labels: { type: 'string' }, 'id-column': { type: 'string' },
      'no-wait': { type: 'boolean' }, append: { type: 'boolean' },
    },
  });
  const path = positionals.length >= 2 ? positionals[1] : positionals[0];
  let kind = positionals.length >= 2 ? positionals[0] : values.kind;
  if (!path) throw new CliError(`import needs a path\nusage: ${USAGE}`, EXIT.usage);
  if (!existsSync(path)) throw new CliError(`${path}: no such file or folder`, EXIT.notFound);
  if (!kind) {
    const d = detectDataset(path);
    if (!d.kind) throw new CliError(`${path}: ${d.evidence} Give the kind with --kind.`, EXIT.usage);
    if (!values.json) console.log(`kind ${d.kind}: ${d.evidence}`);
    kind = d.kind;
  }
  if (!(IMPORT_KINDS as readonly string[]).includes(kind)) throw new CliError(`unknown kind "${kind}": use one of ${IMPORT_KINDS.join(', ')}`, EXIT.usage);
  const window = values.window !== undefined ? Number(values.window) : undefined;
  if (window !== undefined && !(window > 0)) throw new CliError('--window must be a number of seconds > 0', EXIT.usage);
  if (values.labels !== undefined && !values['id-column']) throw new CliError('--labels needs --id-column NAME (the CSV column holding the record id or file name)', EXIT.usage);
  if (values.labels !== undefined && !existsSync(values.labels)) throw new CliError(`${values.labels}: no such labels file`, EXIT.notFound);
  const labels = values.labels !== undefined ? { file: values.labels, idColumn: values['id-column']! } : undefined;
  let rate: 100 | 500 | undefined;
  if (values.rate !== undefined) {
    if (values.rate !== '100' && values.rate !== '500') throw new CliError('--rate must be 100 or 500', EXIT.usage);
    rate = Number(values.rate) as 100 | 500;
  }
  const workers = values.workers !== undefined ? Number(values.workers) : undefined;
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) throw new CliError('--workers must be a whole number ≥ 0', EXIT.usage);
  const bar = progressBar(`import ${kind}`);
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    const report = await importDataset({
      kind: kind as DatasetKind, path, name: values.name, rate, workers, signal: ac.signal, window, labels, noWait: values['no-wait'], append: values.append,
      onWait: (message) => console.error(message),
      onProgress: (d, t) => bar.update(d, t),
    });
    bar.done();
    if (values.json) printJson(report);
    else printReport(report);
    if (!report.created || report.count === 0) return EXIT.nothingImported;
    return report.errors.length > 0 ? EXIT.partial : EXIT.ok;
  } catch (err) {
    bar.done();
    if ((err as Error).name === 'AbortError') throw new CliError((err as Error).message, EXIT.interrupted);
    if (err instanceof DatasetLockedError) throw new CliError(err.message, EXIT.failed);
    if (err instanceof SourceFolderError) throw new CliError(err.message, EXIT.usage);
    throw new CliError((err as Error).message, EXIT.failed);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function runList(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const list = listDatasets();
  if (values.json) {
    printJson(list);
    return EXIT.ok;
  }
  if (!list.length) {
    console.log('no datasets yet; import one with `ecgfm datasets import <kind> <path>`');
    return EXIT.ok;
  }
  for (const d of list) {
    const labels = Object.entries(d.labelPrevalence).slice(0, 8).map(([k, v]) => `${k} ${v.count}`).join(', ');
    const state = d.complete ? '' : `  ${datasetState(d)}: run its import again to resume`;
    console.log(`${d.name.padEnd(20)} ${d.kind.padEnd(13)} ${String(d.count).padStart(8)} ECGs ${String(d.patients).padStart(8)} patients  ${d.createdAt}  ${labels}${state}`);
    for (const line of folderLines(d.sources, ' '.repeat(21))) console.log(line);
  }
  return EXIT.ok;
}

async function runShow(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [name] = positionals;
  if (!name) throw new CliError(`show needs a dataset name\nusage: ${USAGE}`, EXIT.usage);
  const d = listDatasets().find((x) => x.name === name);
  if (!d) {
    const known = listDatasets().map((x) => x.name);
    throw new CliError(`no dataset named "${name}"${known.length ? ` (have: ${known.join(', ')})` : ''}`, EXIT.notFound);
  }
  if (values.json) {
    printJson(d);
    return EXIT.ok;
  }
  console.log(`dataset ${d.name} (${d.kind}) at ${d.path}: ${datasetState(d)}`);
  console.log(`  records: ${d.count}, ${d.patients} patients; created ${d.createdAt}`);
  console.log(`  folders: ${d.sources.length}`);
  for (const line of folderLines(d.sources, '    ')) console.log(line);
  const prev = Object.entries(d.labelPrevalence).sort((a, b) => b[1].count - a[1].count);
  if (prev.length) console.log(`  labels: ${prev.map(([k, v]) => `${k} ${v.count} (${(100 * v.fraction).toFixed(1)}%)`).join(', ')}`);
  const flags = Object.entries(d.quality).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  console.log(`  quality flags: ${flags.join(', ') || 'none'}`);
  return EXIT.ok;
}

async function runDelete(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, 'no-wait': { type: 'boolean' } } });
  const [name] = positionals;
  if (!name) throw new CliError(`delete needs a dataset name\nusage: ${USAGE}`, EXIT.usage);
  try {
    const r = await deleteDataset(name, { noWait: values['no-wait'], onWait: (m) => console.error(m) });
    if (values.json) printJson({ deleted: r.name, path: r.path });
    else console.log(`deleted dataset ${r.name} (${r.path})`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof NoSuchDatasetError) throw new CliError(err.message, EXIT.notFound);
    throw new CliError((err as Error).message, EXIT.failed);
  }
}

async function runExport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, json: { type: 'boolean' } } });
  const [name] = positionals;
  if (!name || !values.out) throw new CliError(`export needs a dataset name and --out FILE.npz\nusage: ${USAGE}`, EXIT.usage);
  let ds;
  try {
    ds = openDataset(name);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.notFound);
  }
  const bar = progressBar(`export ${name}`);
  const summary = exportNpz(ds, values.out, (d, t) => bar.update(d, t));
  bar.done();
  ds.close();
  if (values.json) printJson(summary);
  else console.log(`wrote ${summary.path}: ${summary.count} ECGs, labels ${summary.labels.join(', ') || '-'}`);
  return EXIT.ok;
}

export const command: Command = {
  summary: 'import, list, show, export and delete standardised ECG datasets',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'import') return runImport(rest);
    if (sub === 'list') return runList(rest);
    if (sub === 'show') return runShow(rest);
    if (sub === 'export') return runExport(rest);
    if (sub === 'delete') return runDelete(rest);
    throw new CliError(`unknown subcommand "${sub ?? ''}"\nusage: ${USAGE}`, EXIT.usage);
  },
};
