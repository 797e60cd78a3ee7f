import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

const require = createRequire(import.meta.url);
type Config = Record<string, unknown> & {
  asarUnpack: string[];
  files: string[];
  linux: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
};
const configPath = join(REPO_ROOT, 'build', 'electron-builder.json');
const config = JSON.parse(readFileSync(configPath, 'utf8')) as Config;

// electron-builder's own validator, the one `electron-builder --config` runs first.
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(c: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
};
const logger = { isEnabled: false, add() {} };

describe('electron-builder configuration', () => {
  it('is valid against electron-builder’s schema', async () => {
    await expect(validateConfiguration(config, logger)).resolves.toBeUndefined();
  });

  it('would be rejected if it were wrong (the validator is live)', async () => {
    await expect(validateConfiguration({ ...config, linux: { ...config.linux, bogusOption: 1 } }, logger)).rejects.toThrow(/bogusOption/);
  });

  it('targets AppImage and deb, NSIS and DMG', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  it('names only files that exist', () => {
    for (const icon of [config.linux.icon, config.win.icon, config.mac.icon]) expect(existsSync(join(REPO_ROOT, icon)), icon).toBe(true);
    expect(existsSync(join(REPO_ROOT, 'build', 'dist.mjs'))).toBe(true);
    // Native modules it unpacks from asar are real dependencies of the package.
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
    for (const pattern of config.asarUnpack) {
      const name = pattern.replace(/^node_modules\//, '').split('/').slice(0, pattern.includes('@') ? 2 : 1).join('/');
      expect(deps[name], `${name} (asarUnpack) is not a dependency`).toBeDefined();
    }
    expect(pkg.devDependencies?.electron).toBeDefined();
    expect(pkg.devDependencies?.['electron-builder']).toBeDefined();
  });
});
