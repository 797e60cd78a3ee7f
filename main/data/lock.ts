/**
 * One writer per dataset. Import, resume and delete hold `<datasets>/<name>.lock` for their whole run, taken with
 * proper-lockfile: an atomic mkdir whose mtime the holder refreshes, which also holds on NFS (a Slurm cluster shares
 * one workspace between nodes). A lock whose mtime stops moving (its holder died, on any node) is stale and taken
 * over; on this machine a holder whose process is gone is taken over at once. Beside the lock, `<name>.holder.json`
 * says who holds it, so that a waiting writer can name them.
 */
import { hostname } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { checkDatasetName, datasetsDir } from './registry.js';

/** A lock whose mtime is older than this is stale (its holder refreshes it every STALE_MS / 2). */
const STALE_MS = 20_000;
const POLL_MS = 500;

export class DatasetLockedError extends Error {
  constructor(message: string, readonly holder: LockHolder | null) {
    super(message);
  }
}

const holderSchema = z.object({ pid: z.number(), host: z.string(), purpose: z.string(), since: z.string() });
export type LockHolder = z.infer<typeof holderSchema>;

export interface LockOptions {
  /** What the holder is doing, for the waiting writer's message ("import", "delete"). */
  purpose: string;
  /** Fail at once when another writer holds the lock (default: wait for it). */
  noWait?: boolean;
  /** Called once when the lock is held by someone else and this writer starts waiting. */
  onWait?: (message: string) => void;
  signal?: AbortSignal;
}

export interface DatasetLock {
  /** Set when the lock was lost while held (its mtime could not be refreshed); the writer must stop. */
  readonly compromised: Error | null;
  release(): Promise<void>;
}

const paths = (name: string): { target: string; lock: string; holder: string } => {
  const root = datasetsDir();
  const n = checkDatasetName(name);
  return { target: join(root, n), lock: join(root, `${n}.lock`), holder: join(root, `${n}.holder.json`) };
};

function readHolder(file: string): LockHolder | null {
  try {
    return holderSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function describeHolder(h: LockHolder | null): string {
  return h ? `${h.purpose} by process ${h.pid} on ${h.host} since ${h.since}` : 'another process';
}

/** The dataset's writer lock; waits for (or with noWait refuses) another holder. */
export async function lockDataset(name: string, opts: LockOptions): Promise<DatasetLock> {
  const p = paths(name);
  mkdirSync(datasetsDir(), { recursive: true });
  let compromised: Error | null = null;
  let waited = false;
  for (;;) {
    try {
      const release = await lockfile.lock(p.target, {
        lockfilePath: p.lock, realpath: false, stale: STALE_MS, retries: 0,
        onCompromised: (err) => { compromised = err; },
      });
      const me: LockHolder = { pid: process.pid, host: hostname(), purpose: opts.purpose, since: new Date().toISOString() };
      writeFileSync(p.holder, JSON.stringify(me));
      return {
        get compromised() { return compromised; },
        async release() {
          if (readHolder(p.holder)?.pid === me.pid) rmSync(p.holder, { force: true });
          await release().catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    }
    const holder = readHolder(p.holder);
    // A holder on this machine whose process is gone will never refresh the lock: take it over now.
    if (holder && holder.host === hostname() && !alive(holder.pid) && existsSync(p.lock)) {
      rmSync(p.lock, { recursive: true, force: true });
      continue;
    }
    const message = `dataset "${name}" is being written (${describeHolder(holder)})`;
    if (opts.noWait) throw new DatasetLockedError(`${message}; try again when it has finished, or leave out --no-wait to wait for it`, holder);
    if (!waited) {
      waited = true;
      opts.onWait?.(`${message}; waiting for it to finish…`);
    }
    if (opts.signal?.aborted) throw Object.assign(new Error(`gave up waiting for the lock on "${name}"`), { name: 'AbortError' });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** True while some writer holds the dataset's lock (for listing an import in progress). */
export async function isDatasetLocked(name: string): Promise<boolean> {
  const p = paths(name);
  if (!existsSync(p.lock)) return false;
  return lockfile.check(p.target, { lockfilePath: p.lock, realpath: false, stale: STALE_MS }).catch(() => false);
}
