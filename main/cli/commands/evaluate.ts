import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm evaluate',
  async run() {
    throw new CliError('`ecgfm evaluate` is not part of this build yet.');
  },
};
