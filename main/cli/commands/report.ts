import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm report',
  async run() {
    throw new CliError('`ecgfm report` is not part of this build yet.');
  },
};
