/**
 * The headless host: serves the built renderer and the contract over HTTP (POST /api/<method>, JSON) with a
 * server-sent event stream (GET /api/events). Every request carries the session token: header `x-ecgfm-token`,
 * `Authorization: Bearer`, or the cookie that the page load sets. `?token=` is taken only on a page load, which
 * sets the cookie and redirects to the clean URL, so the token never sits in API URLs or history.
 *
 * Against cross-site and DNS-rebinding requests: the Host header must name this host's bind address or a loopback
 * name (else 421); state-changing requests must be `application/json` (else 415, so no HTML form or text/plain
 * beacon can reach a method) and, when they carry an Origin, it must be this host's own (else 403). Bodies over
 * MAX_BODY get 413.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isMethodName, METHOD_NAMES, parseInput, type ApiErrorBody, type ApiHandlers, type MethodName } from '../../contract/api.js';
import { errorBody, HTTP_STATUS } from '../api/errors.js';
import type { Service } from '../api/service.js';

export const TOKEN_HEADER = 'x-ecgfm-token';
const COOKIE = 'ecgfm_token';
/** Largest request body (1 MiB): every method's input is small JSON. */
export const MAX_BODY = 1 << 20;
/** A body this far over the limit is not even drained: the connection is closed after the 413. */
const DRAIN_LIMIT = 16 * MAX_BODY;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface HostOptions {
  service: Service;
  /** Replaces service handlers (e.g. a host-specific appInfo). */
  overrides?: Partial<ApiHandlers>;
  port?: number;
  host?: string;
  token?: string;
  /** The built renderer; default dist/renderer beside package.json. */
  staticDir?: string;
}

export interface RunningHost {
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export type HttpRoute = (body: unknown) => Promise<unknown>;

/** POST /api/<name> for every method; the contract test checks the table covers the contract. */
export function httpRoutes(handlers: ApiHandlers): Map<string, HttpRoute> {
  const routes = new Map<string, HttpRoute>();
  for (const name of METHOD_NAMES) {
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    routes.set(`/api/${name}`, (body) => handler(parseInput(name, body)));
  }
  return routes;
}

export const DEFAULT_STATIC_DIR = resolve(new URL('../../dist/renderer', import.meta.url).pathname);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function sameToken(a: string | undefined | null, token: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
}

class MalformedCookieError extends Error {}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === COOKIE && v) {
      try {
        return decodeURIComponent(v);
      } catch {
        throw new MalformedCookieError();
      }
    }
  }
  return null;
}

/** Host header values this host answers to: its bind address (every interface's when bound to all) and loopback. */
function allowedHosts(bind: string, port: number): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  if (bind === '0.0.0.0' || bind === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.family === 'IPv6' ? `[${a.address}]` : a.address);
  } else names.add(bind.includes(':') ? `[${bind}]` : bind.toLowerCase());
  const out = new Set<string>();
  for (const n of names) {
    out.add(`${n}:${port}`);
    if (port === 80) out.add(n);
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, body: ApiErrorBody): void {
  send(res, HTTP_STATUS[body.code], body);
}

function tooLarge(): Error {
  return Object.assign(new Error(`The request body is larger than the host takes (${MAX_BODY / (1 << 20)} MiB).`), { status: 413 });
}

/**
 * The JSON body. An oversized one is drained (so that the client reads the 413 rather than a reset connection) up
 * to DRAIN_LIMIT, beyond which the connection is closed after the answer.
 */
function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      reject(Object.assign(tooLarge(), { close: declared > DRAIN_LIMIT }));
      if (declared <= DRAIN_LIMIT) req.resume();
      return;
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else if (size > DRAIN_LIMIT) {
        reject(Object.assign(tooLarge(), { close: true }));
        req.pause();
      }
    });
    req.on('end', () => {
      if (size > MAX_BODY) return reject(tooLarge());
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return resolveBody({});
      try {
        resolveBody(JSON.parse(text));
      } catch {
        reject(Object.assign(new Error('The request body is not valid JSON.'), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const staticDir = resolve(options.staticDir ?? DEFAULT_STATIC_DIR);
  const handlers: ApiHandlers = { ...options.service.handlers, ...options.overrides };
  const routes = httpRoutes(handlers);
  const streams = new Set<ServerResponse>();
  // Filled once the port is known (it may be chosen by the system).
  let hosts = new Set<string>();
  let origins = new Set<string>();
  const sessionCookie = (): string => `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, errorBody(err));
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('x-content-type-options', 'nosniff');
    // The token rides in the page URL: never leak it in a Referer.
    res.setHeader('referrer-policy', 'no-referrer');
    // DNS rebinding: a foreign name resolving to this address still carries its own name in Host.
    if (!hosts.has((req.headers.host ?? '').toLowerCase())) {
      return send(res, 421, { error: 'This host answers only to its own address or a loopback name.', code: 'forbidden' });
    }
    const method = req.method ?? 'GET';
    if (STATE_CHANGING.has(method)) {
      const origin = req.headers.origin;
      if (origin !== undefined && !origins.has(origin.toLowerCase())) {
        return send(res, 403, { error: 'Requests from another site are refused.', code: 'forbidden' });
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') {
        return send(res, 415, { error: 'Send the request body as JSON with Content-Type: application/json.', code: 'invalid-input' });
      }
    }
    let cookie: string | null;
    try {
      cookie = cookieToken(req);
    } catch {
      return sendError(res, { error: 'The session cookie is malformed: open the URL that `ecgfm serve` printed again.', code: 'unauthorized' });
    }
    const auth = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    const headerToken = req.headers[TOKEN_HEADER];
    const presented = [Array.isArray(headerToken) ? headerToken[0] : headerToken, auth, cookie];
    const isPage = !url.pathname.startsWith('/api/') && (method === 'GET' || method === 'HEAD');
    const queryToken = url.searchParams.get('token');
    if (isPage && queryToken !== null && sameToken(queryToken, token)) {
      // The printed URL's token becomes the cookie; the address bar and history keep the clean URL.
      url.searchParams.delete('token');
      res.writeHead(303, {
        location: url.pathname + url.search,
        'set-cookie': sessionCookie(),
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    if (!presented.some((p) => sameToken(p, token))) {
      return sendError(res, { error: 'This workstation host needs its access token: open the URL that `ecgfm serve` printed (it ends in ?token=…).', code: 'unauthorized' });
    }

    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return send(res, 405, { error: 'Use GET for the event stream.', code: 'invalid-input' });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      streams.add(res);
      const off = options.service.onEvent((e) => res.write(`data: ${JSON.stringify(e)}\n\n`));
      const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(beat);
        off();
        streams.delete(res);
      });
      return;
    }

    // A cheap read for monitors and bench/host.ts: what appInfo says, over GET.
    if (url.pathname === '/api/health' && req.method === 'GET') return send(res, 200, await handlers.appInfo({}));

    if (url.pathname.startsWith('/api/')) {
      const name = url.pathname.slice(5);
      const route = routes.get(url.pathname);
      if (!route || !isMethodName(name)) return send(res, 404, { error: `There is no API method "${name}".`, code: 'not-found' });
      if (req.method !== 'POST') return send(res, 405, { error: `Call ${name} with POST and a JSON body.`, code: 'invalid-input' }, { allow: 'POST' });
      let body: unknown;
      try {
        body = await readBody(req);
      } catch (err) {
        const status = (err as { status?: number }).status ?? 400;
        const close = (err as { close?: boolean }).close === true;
        send(res, status, { error: (err as Error).message, code: 'invalid-input' }, close ? { connection: 'close' } : {});
        if (close) res.once('finish', () => req.destroy());
        return;
      }
      try {
        return send(res, 200, await route(body));
      } catch (err) {
        return sendError(res, errorBody(err));
      }
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'Only GET serves pages.', code: 'invalid-input' });
    return serveStatic(url, res);
  }

  function serveStatic(url: URL, res: ServerResponse): void {
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    const file = resolve(join(staticDir, rel || 'index.html'));
    if (file !== staticDir && !file.startsWith(staticDir + sep)) return send(res, 404, { error: 'Not found.', code: 'not-found' });
    const target = existsSync(file) && statSync(file).isFile() ? file : join(staticDir, 'index.html');
    if (!existsSync(target)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`The renderer is not built (${staticDir} is missing). Run \`npm run build:renderer\` and reload.`);
      return;
    }
    const headers: Record<string, string> = { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream', 'cache-control': 'no-cache' };
    if (target.endsWith('.html')) {
      headers['content-security-policy'] = CSP;
      headers['x-frame-options'] = 'DENY';
      // The page's own assets and event stream authenticate with this cookie; it never leaves this origin.
      headers['set-cookie'] = sessionCookie();
    }
    res.writeHead(200, headers);
    res.end(readFileSync(target));
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ok());
  });
  const { port, address } = server.address() as AddressInfo;
  hosts = allowedHosts(options.host ?? address, port);
  origins = new Set([...hosts].map((h) => `http://${h}`));
  const shownHost = address.includes(':') ? `[${address}]` : address === '0.0.0.0' ? '127.0.0.1' : address;
  const origin = `http://${shownHost}:${port}`;
  return {
    origin,
    url: `${origin}/?token=${token}`,
    port,
    token,
    async close() {
      for (const s of streams) s.end();
      await new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
    },
  };
}

export type { MethodName };
