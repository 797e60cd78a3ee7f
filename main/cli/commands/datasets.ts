import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm datasets',
  async run() {
    throw new CliError('`ecgfm datasets` is not part of this build yet.');
  },
};
