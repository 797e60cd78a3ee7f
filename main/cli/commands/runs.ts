import { CliError, type Command } from '../command.js';

export const command: Command = {
  summary: '(not built yet)',
  usage: 'ecgfm runs',
  async run() {
    throw new CliError('`ecgfm runs` is not part of this build yet.');
  },
};
