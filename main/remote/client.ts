/**
 * The desktop attached to a remote `ecgfm serve` (typically on a cluster's login node, reached through an SSH
 * tunnel): the connection as the user gives it (the URL `ecgfm serve` printed, or a URL and a token), a probe that
 * says plainly what is wrong, the contract's methods forwarded over HTTP, the event stream over SSE, and the
 * remembered connection. The Electron shell routes its IPC through this when attached; nothing here imports it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { METHOD_NAMES, type ApiErrorBody, type ApiEvent, type ApiHandlers, type AppInfo } from '../../contract/api.js';

export interface RemoteHost {
  /** `http(s)://host:port`, no path or token. */
  origin: string;
  token: string;
}

export class RemoteError extends Error {
  constructor(
    message: string,
    readonly code: ApiErrorBody['code'] | 'unreachable' | 'not-a-host',
  ) {
    super(message);
  }
}

/** The URL `ecgfm serve` printed (`http://127.0.0.1:8765/?token=…`), or a URL plus a separate token. */
export function parseRemote(input: { url: string; token?: string }): RemoteHost {
  let url: URL;
  try {
    url = new URL(input.url.trim());
  } catch {
    throw new RemoteError(`"${input.url}" is not a URL; paste the one \`ecgfm serve\` printed, e.g. http://127.0.0.1:8765/?token=…`, 'invalid-input');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RemoteError(`${url.protocol} is not supported: the host speaks http (through an SSH tunnel) or https.`, 'invalid-input');
  const token = (input.token ?? '').trim() || url.searchParams.get('token') || '';
  if (!token) throw new RemoteError('The host needs its access token: paste the full URL `ecgfm serve` printed (it ends in ?token=…) or give the token.', 'invalid-input');
  return { origin: url.origin, token };
}

async function request(host: RemoteHost, path: string, init: RequestInit = {}, timeoutMs = 30_000): Promise<Response> {
  try {
    return await fetch(`${host.origin}${path}`, {
      ...init,
      headers: { 'x-ecgfm-token': host.token, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
      signal: init.signal ?? AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new RemoteError(`Cannot reach ${host.origin} (${cause}). Is \`ecgfm serve\` running there, and the SSH tunnel open?`, 'unreachable');
  }
}

const errorBodySchema = z.object({ error: z.string(), code: z.string() }).passthrough();

/** Calls one contract method on the remote host; its errors come back with the host's own message. */
export async function callRemote(host: RemoteHost, method: string, input: unknown, timeoutMs?: number): Promise<unknown> {
  const res = await request(host, `/api/${method}`, { method: 'POST', body: JSON.stringify(input ?? {}) }, timeoutMs);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new RemoteError(`${host.origin} answered ${res.status} with something other than JSON: it is not an ECG-FM Workstation host.`, 'not-a-host');
  }
  if (res.ok) return body;
  const err = errorBodySchema.safeParse(body);
  if (!err.success) throw new RemoteError(`${host.origin} answered ${res.status}: it is not an ECG-FM Workstation host.`, 'not-a-host');
  throw new RemoteError(err.data.error, err.data.code as ApiErrorBody['code']);
}

/** Checks the connection before the app switches to it: the host answers, accepts the token, and is ours. */
export async function probeRemote(host: RemoteHost): Promise<AppInfo> {
  const info = await callRemote(host, 'appInfo', {}, 10_000);
  if (!info || typeof info !== 'object' || !('host' in info)) throw new RemoteError(`${host.origin} is not an ECG-FM Workstation host.`, 'not-a-host');
  return info as AppInfo;
}

/** Every contract method forwarded to the remote host (the IPC layer validates payloads before they leave). */
export function remoteHandlers(host: RemoteHost): ApiHandlers {
  return Object.fromEntries(METHOD_NAMES.map((name) => [name, (input: unknown) => callRemote(host, name, input, 600_000)])) as unknown as ApiHandlers;
}

/** The remote event stream (SSE), reconnected after a drop; returns a function that stops it. */
export function remoteEvents(host: RemoteHost, listener: (e: ApiEvent) => void, onState?: (connected: boolean) => void): () => void {
  const stop = new AbortController();
  void (async () => {
    let delay = 1000;
    while (!stop.signal.aborted) {
      try {
        const res = await request(host, '/api/events', { method: 'GET', signal: stop.signal });
        if (!res.ok || !res.body) throw new Error(`status ${res.status}`);
        onState?.(true);
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const chunk = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            for (const line of chunk.split('\n')) if (line.startsWith('data: ')) listener(JSON.parse(line.slice(6)) as ApiEvent);
          }
        }
      } catch {
        // dropped or refused: try again below
      }
      if (stop.signal.aborted) break;
      onState?.(false);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  })();
  return () => stop.abort();
}

const rememberedSchema = z.object({ origin: z.string().url(), token: z.string().min(1) }).strict();

/** The remembered connection (a file only its owner reads), or null for this machine's own back end. */
export function loadRemembered(path: string): RemoteHost | null {
  if (!existsSync(path)) return null;
  const parsed = rememberedSchema.safeParse((() => {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      return null;
    }
  })());
  return parsed.success ? parsed.data : null;
}

export function remember(path: string, host: RemoteHost | null): void {
  if (!host) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ origin: host.origin, token: host.token }) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}
