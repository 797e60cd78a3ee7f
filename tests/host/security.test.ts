/**
 * The host against cross-site and DNS-rebinding requests: foreign Host, foreign Origin, text/plain bodies, oversized
 * bodies, malformed cookies, the token in API URLs, and paths outside the data roots. Each asserts the status and
 * that no handler ran.
 */
import { request } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, TOKEN_HEADER, type RunningHost } from '../../main/host/server.js';
import { createService, type Service } from '../../main/api/service.js';
import { tempWorkspace } from '../helpers/paths.js';
import { stubService } from '../contract/stub-service.js';

/** A raw request (fetch may not set Host), resolving to status and body. */
function raw(host: RunningHost, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: host.port, method: opts.method ?? 'POST', path: opts.path, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

describe('host security', () => {
  const service = stubService();
  let host: RunningHost;
  let json: Record<string, string>;
  beforeAll(async () => {
    host = await startHost({ service, staticDir: tempWorkspace('ecgfm-sec-') });
    json = { host: `127.0.0.1:${host.port}`, 'content-type': 'application/json', [TOKEN_HEADER]: host.token };
  });
  afterAll(() => host.close());

  it('answers a foreign Host with 421 (DNS rebinding), even with the token', async () => {
    const r = await raw(host, { path: '/api/listRuns', headers: { ...json, host: `evil.example:${host.port}` }, body: '{}' });
    expect(r.status).toBe(421);
    const page = await raw(host, { method: 'GET', path: `/?token=${host.token}`, headers: { host: 'evil.example' } });
    expect(page.status).toBe(421);
    expect(service.calls).toEqual([]);
  });

  it('accepts loopback names for Host', async () => {
    for (const name of ['127.0.0.1', 'localhost']) {
      const r = await raw(host, { path: '/api/listRuns', headers: { ...json, host: `${name}:${host.port}` }, body: '{}' });
      expect(r.status, name).toBe(200);
    }
  });

  it('refuses a state-changing request from a foreign Origin with 403, even with the cookie', async () => {
    const load = await raw(host, { method: 'GET', path: `/?token=${host.token}`, headers: { host: `127.0.0.1:${host.port}` } });
    expect(load.status).toBe(303);
    const calls = service.calls.length;
    const r = await raw(host, {
      path: '/api/importDataset',
      headers: { host: `127.0.0.1:${host.port}`, origin: 'https://evil.example', 'content-type': 'application/json', cookie: `ecgfm_token=${host.token}` },
      body: JSON.stringify({ path: '/tmp', kind: 'wfdb', name: 'x' }),
    });
    expect(r.status).toBe(403);
    const own = await raw(host, { path: '/api/listRuns', headers: { ...json, origin: host.origin }, body: '{}' });
    expect(own.status).toBe(200);
    expect(service.calls.length).toBe(calls + 1);
  });

  it('refuses text/plain and form bodies with 415', async () => {
    const calls = service.calls.length;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await raw(host, { path: '/api/importDataset', headers: { ...json, 'content-type': type, cookie: `ecgfm_token=${host.token}` }, body: '{"path":"/tmp","kind":"wfdb","name":"x"}' });
      expect(r.status, type).toBe(415);
    }
    const none = await raw(host, { path: '/api/listRuns', headers: { host: json.host!, [TOKEN_HEADER]: host.token }, body: '{}' });
    expect(none.status).toBe(415);
    expect(service.calls.length).toBe(calls);
  });

  it('answers a body over 1 MiB with 413 (not a reset connection)', async () => {
    const big = JSON.stringify({ path: 'x'.repeat(2 << 20) });
    const r = await raw(host, { path: '/api/detectDataset', headers: json, body: big });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error).toMatch(/larger than/);
    const chunked = await raw(host, { path: '/api/detectDataset', headers: { ...json, 'transfer-encoding': 'chunked' }, body: big });
    expect(chunked.status).toBe(413);
  });

  it('answers a malformed cookie with 401, not 500', async () => {
    const r = await raw(host, { path: '/api/listRuns', headers: { host: json.host!, 'content-type': 'application/json', cookie: 'ecgfm_token=%E0%A4%A' }, body: '{}' });
    expect(r.status).toBe(401);
    const page = await raw(host, { method: 'GET', path: '/', headers: { host: json.host!, cookie: 'ecgfm_token=%' } });
    expect(page.status).toBe(401);
  });

  it('takes ?token= only on a page load, which sets the cookie and redirects to the clean URL', async () => {
    const api = await raw(host, { path: `/api/listRuns?token=${host.token}`, headers: { host: json.host!, 'content-type': 'application/json' }, body: '{}' });
    expect(api.status).toBe(401);
    const events = await raw(host, { method: 'GET', path: `/api/events?token=${host.token}`, headers: { host: json.host! } });
    expect(events.status).toBe(401);
    const res = await fetch(`${host.origin}/datasets?token=${host.token}&tab=import`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/datasets?tab=import');
    expect(res.headers.get('set-cookie')).toMatch(/^ecgfm_token=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
  });
});

describe('data roots', () => {
  let service: Service;
  let host: RunningHost;
  let root: string;
  beforeAll(async () => {
    const ws = tempWorkspace('ecgfm-roots-');
    process.env.ECGFM_WORKSPACE = join(ws, 'ws');
    root = join(ws, 'data');
    mkdirSync(join(root, 'folder'), { recursive: true });
    service = createService({ host: 'http', dataRoots: [root] });
    host = await startHost({ service, staticDir: ws });
  });
  afterAll(async () => {
    await service.dispose();
    await host.close();
  });

  const call = async (name: string, body: unknown) => {
    const res = await fetch(`${host.origin}/api/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: host.token }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { error?: string; kind?: string | null } };
  };

  it('answers every path outside the data roots with one "not allowed", whether it exists or not', async () => {
    const answers = [];
    for (const path of ['/proc/self', '/etc/passwd', '/no/such/path', `${root}/../..`, `${root}/folder/../../x`]) {
      for (const name of ['detectDataset', 'importDataset']) {
        const r = await call(name, name === 'detectDataset' ? { path } : { path, kind: 'wfdb', name: 'x' });
        expect(r.status, `${name} ${path}`).toBe(403);
        answers.push(r.body.error);
      }
    }
    expect(new Set(answers).size).toBe(1);
    const inside = await call('detectDataset', { path: join(root, 'folder') });
    expect(inside.status).toBe(200);
  });
});
