/** The headless host: token on every request, loopback by default, JSON errors, SSE events, static renderer. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, TOKEN_HEADER, type RunningHost } from '../../main/host/server.js';
import { tempWorkspace } from '../helpers/paths.js';
import { stubService } from '../contract/stub-service.js';

describe('headless host', () => {
  const service = stubService();
  const staticDir = join(tempWorkspace('ecgfm-host-'), 'renderer');
  let host: RunningHost;
  beforeAll(async () => {
    mkdirSync(join(staticDir, 'assets'), { recursive: true });
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    host = await startHost({ service, staticDir });
  });
  afterAll(() => host.close());

  it('binds to 127.0.0.1 on a random port and prints a URL with the token', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.url).toBe(`${host.origin}/?token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses API calls, pages and the event stream without the token, or with a wrong one', async () => {
    const calls = service.calls.length;
    for (const headers of [{}, { [TOKEN_HEADER]: 'wrong' }, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const res = await fetch(`${host.origin}/api/listDatasets`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('unauthorized');
    }
    expect((await fetch(`${host.origin}/`)).status).toBe(401);
    expect((await fetch(`${host.origin}/assets/app.js`)).status).toBe(401);
    expect((await fetch(`${host.origin}/api/events?token=bad`)).status).toBe(401);
    expect(service.calls.length).toBe(calls);
  });

  it('accepts the token as header, bearer, or the cookie that the page load sets before redirecting to the clean URL', async () => {
    const json = { 'content-type': 'application/json' };
    const ok1 = await fetch(`${host.origin}/api/listRuns`, { method: 'POST', headers: { ...json, [TOKEN_HEADER]: host.token }, body: '{}' });
    expect(ok1.status).toBe(200);
    const ok2 = await fetch(`${host.origin}/api/listRuns`, { method: 'POST', headers: { ...json, authorization: `Bearer ${host.token}` } });
    expect(ok2.status).toBe(200);
    const load = await fetch(host.url, { redirect: 'manual' });
    expect(load.status).toBe(303);
    expect(load.headers.get('location')).toBe('/');
    const cookie = load.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await fetch(`${host.origin}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const asset = await fetch(`${host.origin}/assets/app.js`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
  });

  it('answers bad JSON with 400 and a GET on a method with 405', async () => {
    const bad = await fetch(`${host.origin}/api/listRuns`, { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: host.token }, body: '{nope' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not valid JSON/);
    const get = await fetch(`${host.origin}/api/listRuns`, { headers: { [TOKEN_HEADER]: host.token } });
    expect(get.status).toBe(405);
  });

  it('does not serve files outside the renderer folder', async () => {
    const res = await fetch(`${host.origin}/..%2f..%2fetc%2fpasswd`, { headers: { [TOKEN_HEADER]: host.token } });
    const text = await res.text();
    expect(text).not.toContain('root:');
  });

  it('streams service events over SSE', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${host.origin}/api/events`, { signal: ctl.signal, headers: { [TOKEN_HEADER]: host.token } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    await reader.read(); // ": connected"
    service.emit({ type: 'run.state', runId: 'r1', status: 'running', message: null });
    let text = '';
    while (!text.includes('\n\n') || !text.includes('data:')) text += new TextDecoder().decode((await reader.read()).value);
    expect(JSON.parse(text.slice(text.indexOf('data: ') + 6).split('\n')[0]!)).toEqual({ type: 'run.state', runId: 'r1', status: 'running', message: null });
    ctl.abort();
  });
});
