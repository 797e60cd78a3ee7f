/** The shared PTB-XL records (100 Hz) imported through the real data layer into a fresh temporary workspace. */
import { importDataset } from '../../main/data/import.js';
import { openDataset } from '../../main/data/registry.js';
import type { CachedDataset } from '../../main/data/types.js';
import { sharedData, tempWorkspace } from './paths.js';

/** Import into a new workspace, make it the process's workspace, and return its folder. */
export async function ptbxlWorkspace(prefix = 'ecgfm-ptbxl-'): Promise<string> {
  const ws = tempWorkspace(prefix);
  process.env.ECGFM_WORKSPACE = ws;
  await importDataset({ kind: 'ptbxl', path: sharedData('ptbxl'), name: 'ptbxl' });
  return ws;
}

/** The imported dataset (500 records, superclass labels, strat_fold, patient ids). */
export async function ptbxlDataset(): Promise<CachedDataset> {
  await ptbxlWorkspace();
  return openDataset('ptbxl');
}
