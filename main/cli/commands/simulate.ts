import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm simulate',
  async run() {
    throw new CliError('`ecgfm simulate` is not part of this build yet.');
  },
};
