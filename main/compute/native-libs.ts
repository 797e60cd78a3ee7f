/**
 * Where the dynamic loader would find a shared library: LD_LIBRARY_PATH, the ldconfig cache, then the usual
 * folders. The doctor uses it to say which CUDA, cuDNN and Vulkan libraries are present, before anything loads them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const STANDARD_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/usr/lib', '/usr/local/lib', '/usr/local/cuda/lib64', '/usr/local/cuda/lib'];

let cache: Map<string, string> | null = null;

/** soname → path, from `ldconfig -p` (empty where ldconfig is missing, e.g. macOS). */
function ldconfigCache(): Map<string, string> {
  if (cache) return cache;
  cache = new Map();
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const r = spawnSync(bin, ['-p'], { encoding: 'utf8' });
    if (r.status !== 0 || !r.stdout) continue;
    for (const line of r.stdout.split('\n')) {
      const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line);
      if (m && m[2]!.includes('x86-64') === (process.arch === 'x64') && !cache.has(m[1]!)) cache.set(m[1]!, m[3]!);
    }
    break;
  }
  return cache;
}

export function libraryPathDirs(): string[] {
  return (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
}

/** The path the loader would use for `soname`, or null. */
export function findLibrary(soname: string): string | null {
  for (const d of libraryPathDirs()) if (existsSync(join(d, soname))) return join(d, soname);
  const hit = ldconfigCache().get(soname);
  if (hit) return hit;
  for (const d of STANDARD_DIRS) if (existsSync(join(d, soname))) return join(d, soname);
  return null;
}

/** Other versions present of a library (`libcudart.so.13` when `libcudart.so.11.0` is wanted). */
export function otherVersions(stem: string): string[] {
  const found = new Set<string>();
  for (const name of ldconfigCache().keys()) if (name.startsWith(`${stem}.so.`)) found.add(name);
  for (const d of [...libraryPathDirs(), ...STANDARD_DIRS]) {
    try {
      for (const f of readdirSync(d)) if (f.startsWith(`${stem}.so.`)) found.add(f);
    } catch {
      /* absent folder */
    }
  }
  return [...found].sort();
}

/** Debian/Ubuntu package version, or null where dpkg is absent or the package is not installed. */
export function debianPackageVersion(pkg: string): string | null {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const m = /install ok installed (\S+)/.exec(r.stdout);
  return m ? m[1]! : null;
}
