// Plain-JS entry for loader workers when worker-entry.ts cannot bundle: tsx's --import hook does not reach
// worker threads on every Node version, so the TypeScript worker is loaded through tsx's API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./loader-worker.ts', import.meta.url);
