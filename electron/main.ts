/**
 * The desktop shell: one locked-down window over the built renderer; the contract served over IPC; every job in a
 * utilityProcess (every job). Bundled by build/desktop.mjs to dist-electron/main.cjs.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import { IPC_EVENT_CHANNEL, type ApiEvent, type ApiHandlers } from '../contract/api.js';
import { createService, type Service } from '../main/api/service.js';
import { iconPath } from '../main/resources.js';
import { ipcHandlers } from './handlers.js';
import { printReportToPdf } from './pdf.js';
import { utilityJobWorker } from './jobs.js';
import { backEndMenu, chooseRemote, remoteApi } from './remote.js';
import { remoteEvents, type RemoteHost } from '../main/remote/client.js';

const RENDERER_DIR = join(__dirname, '..', 'dist', 'renderer');
const PRELOAD = join(__dirname, 'preload.cjs');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

let win: BrowserWindow | null = null;
let service: Service | null = null;
let remote: RemoteHost | null = null;
let stopRemoteEvents: (() => void) | null = null;

function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 680,
    title: 'ECG-FM Workstation',
    icon: iconPath(),
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  w.once('ready-to-show', () => w.show());
  // No remote content: the app is the local renderer only; links open in the user's browser.
  w.webContents.on('will-navigate', (e) => e.preventDefault());
  w.webContents.on('will-redirect', (e) => e.preventDefault());
  w.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void w.loadFile(join(RENDERER_DIR, 'index.html'));
  return w;
}

function buildMenu(): void {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        {
          label: 'Import Dataset…',
          accelerator: 'CmdOrCtrl+O',
          click: () => win?.webContents.send(IPC_EVENT_CHANNEL, { type: 'app.menu', action: 'import-dataset' } satisfies ApiEvent),
        },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    backEndMenu(remote, () => win),
    { label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function electronOverrides(base: ApiHandlers): Partial<ApiHandlers> {
  return {
    async appInfo(input) {
      return { ...(await base.appInfo(input)), host: 'electron', canPickPaths: true };
    },
    async pickPath({ mode, title }) {
      const options = { title: title ?? (mode === 'folder' ? 'Choose a dataset folder' : 'Choose a dataset file'), properties: [mode === 'folder' ? ('openDirectory' as const) : ('openFile' as const)] };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
    },
    async saveClinicalPdf({ id }) {
      const { path } = await base.clinicalReport({ id, rewrite: false });
      return { path: await printReportToPdf(path, win) };
    },
  };
}

function registerIpc(s: Service | null, host: RemoteHost | null): void {
  const handlers: ApiHandlers = host ? remoteApi(host) : { ...s!.handlers, ...electronOverrides(s!.handlers) };
  for (const [channel, handler] of ipcHandlers(handlers)) {
    ipcMain.handle(channel, (event, payload: unknown) => {
      // Only our own window may call in.
      if (!win || event.sender !== win.webContents) return { ok: false, error: { error: 'Unknown sender.', code: 'unauthorized' } };
      return handler(payload);
    });
  }
  if (host) stopRemoteEvents = remoteEvents(host, (e) => win?.webContents.send(IPC_EVENT_CHANNEL, e));
  else s!.onEvent((e) => win?.webContents.send(IPC_EVENT_CHANNEL, e));
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });
  void app.whenReady().then(async () => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
    });
    session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
    // Attached to a remote `ecgfm serve` (remembered, or ECGFM_REMOTE), or this machine's own back end.
    remote = await chooseRemote(() => win);
    if (!remote) service = createService({ host: 'electron', spawn: utilityJobWorker });
    registerIpc(service, remote);
    buildMenu();
    win = createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) win = createWindow();
    });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', () => {
    stopRemoteEvents?.();
    void service?.dispose();
  });
}
