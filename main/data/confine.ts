/**
 * Confinement: every file named inside a dataset (a WFDB header's signal files and segments, a CSV's file column,
 * a record list) must resolve, by its real path, inside the dataset's root folder. Symlinks that stay inside are
 * followed; a name or link that leads outside is refused before anything is opened there, with one message that
 * says nothing about the outside file (not whether it exists, not its size). Every reader of a dataset calls this.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export class ConfinementError extends Error {}

/** The real path of a dataset's root folder (what `confine` compares against). */
export function datasetRoot(folder: string): string {
  try {
    return realpathSync(resolve(folder));
  } catch {
    return resolve(folder);
  }
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The real path of the deepest existing ancestor of `p`, with the missing remainder appended: a missing file
 * inside the root stays "missing" for its reader, and a missing file under a link that leads out is still refused.
 */
function realish(p: string): string {
  let head = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...rest.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return p;
      rest.push(head.slice(up.length).replace(/^[/\\]+/, ''));
      head = up;
    }
  }
}

/**
 * `name` as written in the dataset (relative to `base`, or absolute), resolved and checked against `root` (a real
 * path, from `datasetRoot`). Returns the path to open; throws ConfinementError naming `name` when it leads outside.
 */
export function confine(root: string, base: string, name: string, what = 'file'): string {
  const lexical = isAbsolute(name) ? resolve(name) : resolve(base, name);
  // By real path, so that a link inside the root cannot lead out; the message is the same whatever lies outside.
  if (!inside(root, realish(lexical))) {
    // The folder holding it is inside, so the name itself is a link that leads out.
    const via = inside(root, join(realish(dirname(lexical)), basename(lexical))) ? ' through a symbolic link' : '';
    throw new ConfinementError(`${what} "${name}" lies outside the dataset folder ${root}${via}; it is not read`);
  }
  return lexical;
}

/**
 * The resolved `path` when its real location lies under one of `roots` (each compared by real path), else null.
 * Callers answer null with one "not allowed" message, whether or not the path exists.
 */
export function underRoots(path: string, roots: readonly string[]): string | null {
  const abs = resolve(path);
  const real = realish(abs);
  return roots.some((r) => inside(datasetRoot(r), real)) ? abs : null;
}

/** A path relative to the root for messages (the root itself is named once per import). */
export function relativeToRoot(root: string, p: string): string {
  const r = relative(root, p);
  return r && !r.startsWith('..') ? r : p;
}
