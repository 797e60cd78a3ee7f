/**
 * The README's first command leaves a working workstation. On a `git clone` of this repository (committed files
 * only, nothing built) with node_modules linked from this checkout (what `npm ci` would install, without a second
 * copy), `npm run setup` runs as the README says; then `ecgfm serve` must answer the page, its assets and the API,
 * and the desktop bundles must build. `ecgfm demo` is left out here: it writes only to the workspace, never to the
 * clone, so it cannot change what serve needs (tests/experiments/demo.test.ts runs it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempWorkspace } from '../helpers/paths.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A child process run to its end without blocking the test worker (spawnSync would stall vitest's RPC for minutes). */
function run(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => ok({ status, stdout, stderr }));
  });
}

describe('the README’s first command', () => {
  const tmp = tempWorkspace('ecgfm-clone-');
  const clone = join(tmp, 'repo');
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('states the two commands exactly', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('```sh\nnpm ci && npm run setup && npx ecgfm demo\n```');
    expect(readme).toContain('```sh\nnpm ci && npm run setup && npm test\n```');
    expect(readme).toMatch(/`npm run setup`[^.]*builds the renderer/);
  });

  it('leaves `ecgfm serve` serving the app on a fresh clone after `npm run setup`', async () => {
    const git = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, clone], { encoding: 'utf8' });
    expect(git.status, git.stderr).toBe(0);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');

    const setup = await run('npm', ['run', 'setup'], clone);
    expect(setup.status, `${setup.stdout}\n${setup.stderr}`).toBe(0);
    expect(setup.stdout).toContain('setup: renderer: ready');
    expect(existsSync(join(clone, 'dist', 'renderer', 'index.html'))).toBe(true);

    const serve = spawn(process.execPath, [join(clone, 'bin', 'ecgfm.mjs'), 'serve', '--json'], {
      cwd: clone,
      env: { ...process.env, ECGFM_WORKSPACE: join(tmp, 'workspace') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    serve.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      // `--json` prints one pretty-printed object: read lines until they parse.
      const { url } = await new Promise<{ url: string }>((ok, fail) => {
        let text = '';
        createInterface({ input: serve.stdout }).on('line', (line) => {
          text += `${line}\n`;
          try {
            ok(JSON.parse(text) as { url: string });
          } catch {
            // Not complete yet.
          }
        });
        serve.once('exit', (code) => fail(new Error(`serve exited ${code}: ${stderr}`)));
      });
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'], headless: true });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const failures: string[] = [];
        page.on('pageerror', (e) => failures.push(e.message));
        page.on('response', (r) => void (r.status() >= 500 && failures.push(`${r.status()} ${r.url()}`)));
        const index = await page.goto(url);
        expect(index?.status()).toBe(200);
        await page.getByTestId('nav-datasets').waitFor({ timeout: 30_000 });
        await expect.poll(() => page.getByTestId('sidebar-backend').textContent(), { timeout: 30_000 }).toMatch(/wasm|cpu|tfjs|webgpu/i);
        expect(failures).toEqual([]);
      } finally {
        await browser.close();
      }
    } finally {
      serve.kill('SIGTERM');
    }

    // `npm run desktop` needs the same renderer and its Electron bundles; Electron itself cannot launch here.
    const desktop = await run(process.execPath, [join(clone, 'build', 'desktop.mjs'), '--build-only'], clone);
    expect(desktop.status, desktop.stderr).toBe(0);
    expect(existsSync(join(clone, 'dist-electron', 'main.cjs'))).toBe(true);
  }, 400_000);
});
