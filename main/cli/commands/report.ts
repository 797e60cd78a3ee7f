import { parseArgs } from 'node:util';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { openStore } from '../../store/store.js';
import { writeReport } from '../../reports/report.js';

export const command: Command = {
  summary: "paper-shaped CSV tables and an offline HTML page for a study, rebuilt from the store",
  usage: 'ecgfm report STUDY [--out DIR] [--json]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    const name = positionals[0];
    if (!name) throw new CliError('Which study? `ecgfm report STUDY` (`ecgfm study status` lists them).', EXIT.usage);
    const store = openStore();
    try {
      if (!store.getStudy(name)) {
        const known = store.listStudies().map((s) => s.name);
        throw new CliError(`No study "${name}" in the store${known.length ? ` (studies: ${known.join(', ')})` : ''}.`, EXIT.notFound);
      }
      const report = await writeReport(store, name, { outDir: values.out });
      if (values.json) printJson({ dir: report.dir, html: report.html, csv: report.csv });
      else {
        for (const f of report.csv) console.log(f);
        console.log(`\nReport: ${report.html}`);
      }
      return EXIT.ok;
    } finally {
      store.close();
    }
  },
};
