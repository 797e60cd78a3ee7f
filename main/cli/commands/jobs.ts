/** `ecgfm jobs`: the store's job queue, shared with the UI hosts: list, cancel, pause, resume. */
import { parseArgs } from 'node:util';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { JobQueue } from '../../runner/runner.js';
import { openStore } from '../../store/store.js';

const USAGE = `ecgfm jobs list [--kind KIND] [--status S] [--json]
       ecgfm jobs cancel|pause|resume ID   (a running job stops at its next step, in whichever process runs it)`;

export const command: Command = {
  summary: 'jobs queued by the UI, the host and the CLI: list, cancel, pause, resume',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { kind: { type: 'string' }, status: { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true });
    const store = openStore();
    try {
      const queue = new JobQueue(store);
      if (sub === 'list') {
        const jobs = queue.list({ kind: values.kind, status: values.status as never }).reverse();
        if (values.json) printJson(jobs);
        else if (!jobs.length) console.log('No jobs.');
        else for (const j of jobs) console.log(`${String(j.id).padStart(5)} ${j.kind.padEnd(18)} ${j.status.padEnd(10)} ${typeof j.progress?.fraction === 'number' ? `${Math.round(j.progress.fraction * 100)}%`.padStart(4) : '   -'}  ${j.title}${j.error ? `  (${j.error})` : ''}`);
        return EXIT.ok;
      }
      if (sub === 'cancel' || sub === 'pause' || sub === 'resume') {
        const id = Number(positionals[0]);
        if (!Number.isInteger(id) || id < 1) throw new CliError(`Which job? \`ecgfm jobs ${sub} ID\` (\`ecgfm jobs list\` shows the ids).`, EXIT.usage);
        let job;
        try {
          job = sub === 'cancel' ? queue.cancel(id) : sub === 'pause' ? queue.pause(id) : queue.resume(id);
        } catch (err) {
          throw new CliError((err as Error).message, EXIT.notFound);
        }
        const asked = job.request ? ` (asked the process running it to ${job.request})` : '';
        if (values.json) printJson(job);
        else console.log(`job ${job.id} ${job.kind}: ${job.status}${asked}`);
        return EXIT.ok;
      }
      throw new CliError(`Unknown subcommand "${sub ?? ''}".\nusage: ${USAGE}`, EXIT.usage);
    } finally {
      store.close();
    }
  },
};
