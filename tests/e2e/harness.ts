/**
 * What the e2e suites share: the headless host on a temp workspace serving the built renderer, Debian's Chromium
 * through playwright-core, screenshots into test-artifacts/e2e/, and pixel/download helpers.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { createService, type Service } from '../../main/api/service.js';
import { startHost, type RunningHost } from '../../main/host/server.js';
import { decodePng } from './png.js';
import { REPO_ROOT, SHARED_DATA, sharedData, tempWorkspace } from '../helpers/paths.js';

const RENDERER = join(REPO_ROOT, 'dist', 'renderer');
export const SHOTS = join(REPO_ROOT, 'test-artifacts', 'e2e');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * A service over a fresh temp workspace, after checking the renderer build and Chromium are there.
 * $ECGFM_WORKSPACE points at it too: training workers and the study pipeline inherit it and write there.
 */
export function serviceOnTempWorkspace(prefix: string): { service: Service; workspace: string } {
  if (!existsSync(join(RENDERER, 'index.html'))) throw new Error(`The renderer is not built (${RENDERER} is missing): run \`npm run build:renderer\` (npm test does it first).`);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  mkdirSync(SHOTS, { recursive: true });
  const workspace = tempWorkspace(prefix);
  process.env.ECGFM_WORKSPACE = workspace;
  // The shared test data sits beside the repository and the tests' folders in the temp folder, outside the default
  // data roots (home and workspace).
  return { service: createService({ host: 'http', workspace, dataRoots: [SHARED_DATA, tmpdir()] }), workspace };
}

/** Imports the shared PTB-XL subset at 100 Hz as "ptbxl" straight through the service (the wizard has its own e2e). */
export async function importPtbxl(service: Service): Promise<void> {
  const imported = new Promise<void>((ok, fail) =>
    service.onEvent((e) => (e.type === 'import.finished' ? ok() : e.type === 'import.failed' ? fail(new Error(e.message)) : undefined)),
  );
  await service.handlers.importDataset({ path: sharedData('ptbxl'), kind: 'ptbxl', name: 'ptbxl', rate: 100 });
  await imported;
}

export interface Workstation {
  host: RunningHost;
  browser: Browser;
  page: Page;
  /** Uncaught errors thrown in the page; every suite ends by expecting none. */
  pageErrors: string[];
  shot(name: string): Promise<Buffer>;
}

/** Starts the host and opens the app in Chromium; `watch` hooks the page before it loads. */
export async function openWorkstation(
  service: Service,
  opts: { viewport: { width: number; height: number }; acceptDownloads?: boolean; fullPage?: boolean; watch?: (page: Page) => void },
): Promise<Workstation> {
  const host = await startHost({ service, staticDir: RENDERER });
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  } catch (err) {
    await host.close();
    throw err;
  }
  const page = await browser.newPage({ viewport: opts.viewport, ...(opts.acceptDownloads ? { acceptDownloads: true } : {}) });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  opts.watch?.(page);
  await page.goto(host.url);
  // A screenshot is an artefact, not an assertion: under a loaded CI machine (training workers beside Chromium) one
  // frame can take longer than playwright's 30 s default, so it gets two minutes and no animations to settle.
  const shot = (name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), timeout: 120_000, animations: 'disabled', ...(opts.fullPage === undefined ? {} : { fullPage: opts.fullPage }) });
  return { host, browser, page, pageErrors, shot };
}

export async function closeWorkstation(ui: Workstation | undefined, service: Service | undefined): Promise<void> {
  await ui?.browser.close();
  await service?.dispose();
  await ui?.host.close();
}

/** Strongly coloured pixels (heatmap cells, curves), as opposed to the white/grey chart furniture. */
export function colourPixels(png: Buffer): number {
  const { data, width, height } = decodePng(png);
  let n = 0;
  for (let i = 0; i < width * height; i++) {
    const r = data[i * 4]!;
    const g = data[i * 4 + 1]!;
    const b = data[i * 4 + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 80) n++;
  }
  return n;
}

export async function downloaded(page: Page, button: Locator): Promise<{ name: string; body: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: download.suggestedFilename(), body: readFileSync(await download.path()) };
}
