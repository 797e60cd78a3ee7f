import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm clinical',
  async run() {
    throw new CliError('`ecgfm clinical` is not part of this build yet.');
  },
};
