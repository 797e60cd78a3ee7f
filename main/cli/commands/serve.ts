import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm serve',
  async run() {
    throw new CliError('`ecgfm serve` is not part of this build yet.');
  },
};
