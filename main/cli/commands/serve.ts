import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, EXIT, printJson, type Command } from '../command.js';
import { createService } from '../../api/service.js';
import { startHost } from '../../host/server.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export const command: Command = {
  summary: 'serve the workstation UI and API over HTTP (token-protected, 127.0.0.1 by default)',
  usage: 'ecgfm serve [--port N] [--host H] [--static DIR] [--data-root DIR]… [--json]\n  --data-root DIR  a folder whose datasets the UI may detect and import (repeatable; default: your home folder and the workspace)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, static: { type: 'string' }, 'data-root': { type: 'string', multiple: true }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port ${values.port} is not a port number (0–65535; 0 picks a free one).`, EXIT.usage);
    if (!LOOPBACK.has(values.host)) {
      console.error(
        `warning: serving on ${values.host} exposes the workstation to the network. Anyone with the URL's token can read datasets and start jobs; use an SSH tunnel where you can.`,
      );
    }
    const dataRoots = (values['data-root'] ?? []).map((d) => resolve(d));
    for (const d of dataRoots) if (!existsSync(d)) throw new CliError(`--data-root ${d}: no such folder`, EXIT.usage);
    const service = createService({ host: 'http', dataRoots });
    let host;
    try {
      host = await startHost({ service, port, host: values.host, staticDir: values.static });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EADDRINUSE') throw new CliError(`Port ${port} is already in use. Pick another with --port, or 0 for any free port.`);
      if (code === 'EADDRNOTAVAIL') throw new CliError(`Cannot bind ${values.host}: no such address on this machine.`);
      throw err;
    }
    if (values.json) printJson({ url: host.url, port: host.port, token: host.token });
    else console.log(`ECG-FM Workstation is serving at\n  ${host.url}\nPress Ctrl+C to stop.`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void service
          .dispose()
          .then(() => host.close())
          .finally(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return EXIT.ok;
  },
};
