import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm metrics',
  async run() {
    throw new CliError('`ecgfm metrics` is not part of this build yet.');
  },
};
