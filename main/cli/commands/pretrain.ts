import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm pretrain',
  async run() {
    throw new CliError('`ecgfm pretrain` is not part of this build yet.');
  },
};
