/**
 * The headless host: serves the built renderer and the contract over HTTP (POST /api/<method>, JSON) with a
 * server-sent event stream (GET /api/events). Every request carries the session token: header `x-ecgfm-token`,
 * `Authorization: Bearer`, `?token=` (page and event stream) or the cookie the page sets for its own assets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { isMethodName, METHOD_NAMES, parseInput, type ApiErrorBody, type ApiHandlers, type MethodName } from '../../contract/api.js';
import { errorBody, HTTP_STATUS } from '../api/errors.js';
import type { Service } from '../api/service.js';

export const TOKEN_HEADER = 'x-ecgfm-token';
const COOKIE = 'ecgfm_token';
const MAX_BODY = 1 << 20;

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

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === COOKIE && v) return decodeURIComponent(v);
  }
  return null;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, body: ApiErrorBody): void {
  send(res, HTTP_STATUS[body.code], body);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('Request body is larger than 1 MiB.'), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
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
    const auth = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    const headerToken = req.headers[TOKEN_HEADER];
    const presented = (Array.isArray(headerToken) ? headerToken[0] : headerToken) ?? auth ?? url.searchParams.get('token') ?? cookieToken(req);
    if (!sameToken(presented, token)) {
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
        return send(res, status, { error: (err as Error).message, code: 'invalid-input' });
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
      headers['set-cookie'] = `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, headers);
    res.end(readFileSync(target));
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ok());
  });
  const { port, address } = server.address() as AddressInfo;
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
