import { parseArgs } from 'node:util';
import { samplingLines, samplingOf } from '../sampling.js';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { openStore, type Store } from '../../store/store.js';
import type { RunRecord } from '../../store/types.js';
import { summariseLosses } from '../../reports/tables.js';

const USAGE = `ecgfm runs list [--kind pretrain|linear|finetune|supervised|random-linear] [--status S] [--study NAME] [--json]
       ecgfm runs show RUN [--json]
       ecgfm runs compare RUN RUN [RUN…] [--json]`;

function findRun(store: Store, id: string): RunRecord {
  const run = store.getRun(id);
  if (!run) throw new CliError(`No run "${id}" (or the prefix matches several); \`ecgfm runs list\` shows the ids.`, EXIT.notFound);
  return run;
}

const fmt = (v: number | null | undefined, d = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

/** A run with what the store knows about its results. */
function details(store: Store, run: RunRecord) {
  // A pre-training run's results are those of the downstream runs over its encoder.
  const children = store.listRuns({ parentRunId: run.id });
  const evaluations = [run, ...children].flatMap((r) => store.evaluations({ runId: r.id }));
  const final = store.finalMetrics(run.id);
  return {
    run,
    finalLosses: Object.keys(final).length ? summariseLosses(final) : null,
    lossPoints: store.metricSeries(run.id).length,
    evaluations,
    downstream: children.map((r) => ({ id: r.id, kind: r.kind, status: r.status })),
    artifacts: store.artifacts({ runId: run.id }),
  };
}

/** Flattens nested config objects to dotted keys, for comparing runs. */
function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = Array.isArray(v) && v.length > 8 ? `[${v.length} items]` : JSON.stringify(v);
  }
  return out;
}

export const command: Command = {
  summary: 'recorded runs: list, show one, compare several',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { kind: { type: 'string' }, status: { type: 'string' }, study: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    const json = values.json === true;
    const store = openStore();
    try {
      if (sub === 'list') {
        let studyId: string | undefined;
        if (values.study) {
          const s = store.getStudy(values.study);
          if (!s) throw new CliError(`No study "${values.study}"; \`ecgfm study status\` lists them.`, EXIT.notFound);
          studyId = s.id;
        }
        const runs = store.listRuns({ kind: values.kind, status: values.status, studyId });
        if (json) printJson(runs);
        else if (!runs.length) console.log('No runs recorded yet.');
        else {
          console.log(`${'id'.padEnd(34)} ${'kind'.padEnd(13)} ${'status'.padEnd(10)} ${'step'.padStart(6)} ${'time'.padStart(7)}  dataset`);
          for (const r of runs)
            console.log(`${r.id.padEnd(34)} ${r.kind.padEnd(13)} ${r.status.padEnd(10)} ${String(r.step).padStart(6)} ${(r.elapsedMs / 1000).toFixed(0).padStart(6)}s  ${r.dataset ?? ''}`);
        }
        return EXIT.ok;
      }
      if (sub === 'show') {
        if (!positionals[0]) throw new CliError('Which run? `ecgfm runs show RUN`.', EXIT.usage);
        const d = details(store, findRun(store, positionals[0]));
        if (json) {
          printJson(d);
          return EXIT.ok;
        }
        const r = d.run;
        console.log(`${r.id}  (${r.kind}, ${r.status})`);
        console.log(`  dataset ${r.dataset ?? '-'}  seed ${r.seed}  step ${r.step}  time ${(r.elapsedMs / 1000).toFixed(1)} s`);
        console.log(`  code ${r.codeVersion || '-'}\n  backend ${r.backend || '-'}`);
        if (r.dir) console.log(`  folder ${r.dir}`);
        if (r.checkpointPath) console.log(`  checkpoint ${r.checkpointPath}`);
        if (r.parentRunId) console.log(`  encoder from ${r.parentRunId}`);
        if (r.error) console.log(`  error: ${r.error}`);
        const { sampling: _s, ...config } = r.config;
        console.log(`  config ${JSON.stringify(config)}`);
        const sampling = samplingOf(r.config);
        if (sampling) for (const line of samplingLines(sampling)) console.log(`  ${line}`);
        if (d.finalLosses) {
          const l = d.finalLosses;
          console.log(`  final loss (mean of last 10 steps): total ${fmt(l.total)}  patient ${fmt(l.patient)}  sample ${fmt(l.sample)}  recon ${fmt(l.recon)}  (${d.lossPoints} points)`);
        }
        for (const protocol of [...new Set(d.evaluations.map((e) => e.protocol))]) {
          const ev = d.evaluations.filter((e) => e.protocol === protocol && e.condition === '');
          for (const t of [...new Set(ev.map((e) => e.task))]) {
            const get = (m: string) => ev.find((e) => e.task === t && e.metric === m);
            const a = get('auroc');
            const p = get('auprc');
            if (t === 'all') console.log(`  ${protocol.padEnd(13)} criteria ${fmt(get('criteria')?.value)}`);
            else console.log(`  ${protocol.padEnd(13)} ${t.padEnd(6)} AUROC ${fmt(a?.value)} [${fmt(a?.ciLow, 3)}, ${fmt(a?.ciHigh, 3)}]  AUPRC ${fmt(p?.value)} [${fmt(p?.ciLow, 3)}, ${fmt(p?.ciHigh, 3)}]  F1 ${fmt(get('f1')?.value)}`);
          }
        }
        for (const x of d.downstream) console.log(`  downstream ${x.kind} ${x.id} (${x.status})`);
        for (const a of d.artifacts) console.log(`  artifact ${a.path}  sha256 ${a.sha256.slice(0, 16)}…`);
        return EXIT.ok;
      }
      if (sub === 'compare') {
        if (positionals.length < 2) throw new CliError('Compare needs at least two runs: `ecgfm runs compare RUN RUN`.', EXIT.usage);
        const ds = positionals.map((id) => details(store, findRun(store, id)));
        const configs = ds.map((d) => flatten({ kind: d.run.kind, seed: d.run.seed, dataset: d.run.dataset, ...d.run.config }));
        const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))].sort();
        const differing = keys.filter((k) => new Set(configs.map((c) => c[k] ?? '')).size > 1);
        const tasks = [...new Set(ds.flatMap((d) => d.evaluations.map((e) => e.task)))].filter((t) => t !== 'all');
        // Runs of different kinds compare on their own protocol; a pre-training run on each of its downstream ones.
        const protocols = [...new Set(ds.flatMap((d) => d.evaluations.map((e) => e.protocol)))];
        const rows: [string, ...string[]][] = [];
        for (const k of differing) rows.push([k, ...configs.map((c) => c[k] ?? '-')]);
        for (const [label, get] of [
          ['loss total', (d: (typeof ds)[number]) => fmt(d.finalLosses?.total)],
          ['loss patient', (d: (typeof ds)[number]) => fmt(d.finalLosses?.patient)],
          ['loss sample', (d: (typeof ds)[number]) => fmt(d.finalLosses?.sample)],
          ['loss recon', (d: (typeof ds)[number]) => fmt(d.finalLosses?.recon)],
        ] as const)
          if (ds.some((d) => get(d) !== '-')) rows.push([label, ...ds.map(get)]);
        const value = (d: (typeof ds)[number], protocol: string, task: string, metric: string) =>
          fmt(d.evaluations.find((e) => e.protocol === protocol && e.task === task && e.metric === metric && e.condition === '')?.value);
        for (const protocol of protocols) {
          const label = protocols.length > 1 ? `${protocol} ` : '';
          for (const metric of ['auroc', 'auprc'])
            for (const t of tasks) rows.push([`${label}${metric.toUpperCase()} ${t}`, ...ds.map((d) => value(d, protocol, t, metric))]);
          rows.push([`${label}criteria`, ...ds.map((d) => value(d, protocol, 'all', 'criteria'))]);
        }
        if (json) {
          printJson({ runs: ds.map((d) => d.run.id), rows: rows.map(([k, ...v]) => ({ field: k, values: v })) });
          return EXIT.ok;
        }
        const w0 = Math.max(8, ...rows.map((r) => r[0].length));
        const w = ds.map((d, i) => Math.max(d.run.id.length, ...rows.map((r) => r[i + 1]!.length)));
        console.log(`${''.padEnd(w0)}  ${ds.map((d, i) => d.run.id.padEnd(w[i]!)).join('  ')}`);
        for (const r of rows) console.log(`${r[0].padEnd(w0)}  ${r.slice(1).map((v, i) => v.padEnd(w[i]!)).join('  ')}`);
        return EXIT.ok;
      }
      throw new CliError(`Unknown subcommand "${sub ?? ''}".\nusage: ${USAGE}`, EXIT.usage);
    } finally {
      store.close();
    }
  },
};
