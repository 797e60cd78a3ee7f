import { parseArgs } from 'node:util';
import { formatDoctor, runDoctor } from '../../compute/doctor.js';
import { printJson, type Command } from '../command.js';

export const command: Command = {
  summary: 'which compute backends and ONNX Runtime providers work here, and what to do about the others',
  usage: 'ecgfm doctor [--json] [--backend auto|tfjs-node-gpu|webgpu|tfjs-node|wasm|cpu]',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, backend: { type: 'string' } } });
    const report = await runDoctor(values.backend ? { backend: values.backend } : {});
    if (values.json) printJson(report);
    else console.log(formatDoctor(report));
    return 0;
  },
};
