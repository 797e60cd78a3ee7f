/** The workspace: the one folder that holds a user's caches, runs, studies and the store. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

export function defaultWorkspace(): string {
  const home = homedir();
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'ECG-FM Workstation');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'ECG-FM Workstation');
  return join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'ecgfm-workstation');
}

/** `$ECGFM_WORKSPACE`, else the per-user default. */
export function workspaceDir(): string {
  const fromEnv = process.env.ECGFM_WORKSPACE;
  return fromEnv && fromEnv.trim() ? fromEnv : defaultWorkspace();
}

/** A folder under the workspace, created on first use. */
export function workspacePath(...parts: string[]): string {
  const p = join(workspaceDir(), ...parts);
  mkdirSync(p, { recursive: true });
  return p;
}
