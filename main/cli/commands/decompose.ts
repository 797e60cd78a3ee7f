import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm decompose',
  async run() {
    throw new CliError('`ecgfm decompose` is not part of this build yet.');
  },
};
