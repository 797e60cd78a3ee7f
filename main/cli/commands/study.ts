import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm study',
  async run() {
    throw new CliError('`ecgfm study` is not part of this build yet.');
  },
};
