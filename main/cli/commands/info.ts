import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { initBackend } from '../../compute/backend.js';
import { PRODUCT_NAME, PRODUCT_VERSION } from '../../version.js';
import { workspaceDir } from '../../workspace.js';
import { printJson, type Command } from '../command.js';

const require = createRequire(import.meta.url);

export const command: Command = {
  summary: 'versions, compute backend, threads and workspace',
  usage: 'ecgfm info [--json] [--backend auto|tfjs-node-gpu|webgpu|tfjs-node|wasm|cpu]',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, backend: { type: 'string' } } });
    const backend = await initBackend(values.backend ? { backend: values.backend } : {});
    const tfjsVersion = (require('@tensorflow/tfjs/package.json') as { version: string }).version;
    const info = {
      product: PRODUCT_NAME,
      version: PRODUCT_VERSION,
      node: process.versions.node,
      tfjs: tfjsVersion,
      backend: backend.description,
      threads: backend.threads,
      workspace: workspaceDir(),
    };
    if (values.json) printJson(info);
    else {
      console.log(`${info.product} ${info.version}`);
      console.log(`node       ${info.node}`);
      console.log(`tfjs       ${info.tfjs}`);
      console.log(`backend    ${info.backend}`);
      console.log(`threads    ${info.threads}`);
      console.log(`workspace  ${info.workspace}`);
    }
    return 0;
  },
};
