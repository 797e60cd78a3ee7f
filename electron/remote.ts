/**
 * The desktop's back end: this machine's service, or a remote `ecgfm serve` (a cluster's login node through an SSH
 * tunnel) whose URL and token the app remembers. The connection logic lives in main/remote/client.ts; this file only
 * wires it to Electron (the remembered file under userData, the clipboard, dialogs, relaunch).
 */
import { app, clipboard, dialog, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import type { ApiHandlers } from '../contract/api.js';
import { loadRemembered, parseRemote, probeRemote, remember, remoteHandlers, type RemoteHost } from '../main/remote/client.js';

const rememberedPath = () => join(app.getPath('userData'), 'remote-host.json');

/** `ECGFM_REMOTE=<url printed by ecgfm serve>` for one launch, else the remembered host, else null (this machine). */
export async function chooseRemote(win: () => BrowserWindow | null): Promise<RemoteHost | null> {
  const fromEnv = process.env.ECGFM_REMOTE;
  const host = fromEnv ? parseRemote({ url: fromEnv }) : loadRemembered(rememberedPath());
  if (!host) return null;
  try {
    await probeRemote(host);
    return host;
  } catch (err) {
    const w = win();
    const options = { type: 'warning' as const, message: `Cannot use the remote host ${host.origin}`, detail: `${(err as Error).message}\n\nThis machine's own back end is used instead.`, buttons: ['OK'] };
    if (w) await dialog.showMessageBox(w, options);
    else await dialog.showMessageBox(options);
    return null;
  }
}

/** The remote host's handlers; file dialogs would pick paths on this machine, not the host's, so they are off. */
export function remoteApi(host: RemoteHost): ApiHandlers {
  const base = remoteHandlers(host);
  return {
    ...base,
    async appInfo(input) {
      return { ...(await base.appInfo(input)), canPickPaths: false };
    },
  };
}

/** The "Back end" menu: this machine, or the host whose URL (as `ecgfm serve` printed it) is on the clipboard. */
export function backEndMenu(current: RemoteHost | null, win: () => BrowserWindow | null): MenuItemConstructorOptions {
  const show = async (message: string, detail: string) => {
    const w = win();
    if (w) await dialog.showMessageBox(w, { type: 'info', message, detail });
    else await dialog.showMessageBox({ type: 'info', message, detail });
  };
  const relaunch = () => {
    app.relaunch();
    app.exit(0);
  };
  return {
    label: 'Back end',
    submenu: [
      {
        label: 'This machine',
        type: 'radio',
        checked: !current,
        click: () => {
          if (!current) return;
          remember(rememberedPath(), null);
          relaunch();
        },
      },
      {
        label: current ? `Remote: ${current.origin}` : 'Remote host (URL on the clipboard)…',
        type: 'radio',
        checked: !!current,
        click: async () => {
          try {
            const host = parseRemote({ url: clipboard.readText() });
            await probeRemote(host);
            remember(rememberedPath(), host);
            relaunch();
          } catch (err) {
            await show('Could not connect to the remote host', `${(err as Error).message}\n\nCopy the URL that \`ecgfm serve\` printed on the login node (through your SSH tunnel, e.g. http://127.0.0.1:8765/?token=…), then choose this again.`);
          }
        },
      },
    ],
  };
}
