/** `ecgfm` entry: dispatches to one module per command under commands/. */
import { CliError, EXIT, type Command } from './command.js';

const commands: Record<string, () => Promise<{ command: Command }>> = {
  info: () => import('./commands/info.js'),
  doctor: () => import('./commands/doctor.js'),
  datasets: () => import('./commands/datasets.js'),
  pretrain: () => import('./commands/pretrain.js'),
  evaluate: () => import('./commands/evaluate.js'),
  metrics: () => import('./commands/metrics.js'),
  simulate: () => import('./commands/simulate.js'),
  decompose: () => import('./commands/decompose.js'),
  study: () => import('./commands/study.js'),
  runs: () => import('./commands/runs.js'),
  jobs: () => import('./commands/jobs.js'),
  report: () => import('./commands/report.js'),
  serve: () => import('./commands/serve.js'),
  demo: () => import('./commands/demo.js'),
  reproduce: () => import('./commands/reproduce.js'),
  clinical: () => import('./commands/clinical.js'),
};

async function help(): Promise<string> {
  const lines = ['usage: ecgfm <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(commands)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  lines.push('', 'Run `ecgfm <command> --help` for its options.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? EXIT.ok : EXIT.usage;
  }
  const load = commands[name];
  if (!load) {
    console.error(`ecgfm: unknown command "${name}". Run \`ecgfm --help\` for the list.`);
    return EXIT.usage;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${command.summary}\n\nusage: ${command.usage}`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`ecgfm ${name}: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`ecgfm ${name}: ${err.message}\nusage: ${command.usage}`);
      return EXIT.usage;
    }
    console.error(`ecgfm ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.failed;
  }
}
