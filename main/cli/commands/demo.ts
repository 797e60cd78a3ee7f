import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm demo',
  async run() {
    throw new CliError('`ecgfm demo` is not part of this build yet.');
  },
};
