/** Every contract method has an IPC handler and an HTTP route, and both reject invalid payloads before the service. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, METHOD_NAMES, pretrainRequestSchema } from '../../contract/api.js';
import { ipcChannel, ipcHandlers } from '../../electron/handlers.js';
import { httpRoutes, startHost, TOKEN_HEADER, type RunningHost } from '../../main/host/server.js';
import { stubService } from './stub-service.js';

// A payload no method accepts: every input schema is strict.
const BOGUS = { notAField: true };

describe('contract coverage', () => {
  const service = stubService();
  let host: RunningHost;
  beforeAll(async () => {
    host = await startHost({ service, staticDir: '/nonexistent' });
  });
  afterAll(() => host.close());

  it('lists the methods the workstation needs', () => {
    expect(METHOD_NAMES).toEqual(expect.arrayContaining(['importDataset', 'listDatasets', 'listRecords', 'readRecord', 'startPretrain', 'controlRun', 'listRuns', 'runMetrics']));
    for (const name of METHOD_NAMES) expect(api[name].input, name).toBeDefined();
  });

  it('has an IPC handler for every method, and the Electron shell registers that table', () => {
    const table = ipcHandlers(service.handlers);
    for (const name of METHOD_NAMES) expect(table.has(ipcChannel(name)), `IPC handler for ${name}`).toBe(true);
    expect(table.size).toBe(METHOD_NAMES.length);
    const main = readFileSync(new URL('../../electron/main.ts', import.meta.url), 'utf8');
    expect(main).toMatch(/for \(const \[channel, handler\] of ipcHandlers\(handlers\)\)\s*\{\s*ipcMain\.handle\(channel/);
    const preload = readFileSync(new URL('../../electron/preload.ts', import.meta.url), 'utf8');
    expect(preload).toMatch(/for \(const name of METHOD_NAMES\)/);
    expect(preload).toMatch(/contextBridge\.exposeInMainWorld\('ecgfm'/);
  });

  it('has an HTTP route for every method, answered by the running host', async () => {
    const routes = httpRoutes(service.handlers);
    for (const name of METHOD_NAMES) expect(routes.has(`/api/${name}`), `route for ${name}`).toBe(true);
    const res = await fetch(`${host.origin}/api/noSuchMethod`, { method: 'POST', headers: { [TOKEN_HEADER]: host.token, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(404);
  });

  it('rejects an invalid payload on both hosts without calling the service', async () => {
    const table = ipcHandlers(service.handlers);
    for (const name of METHOD_NAMES) {
      const reply = await table.get(ipcChannel(name))!(BOGUS);
      expect(reply.ok, `IPC ${name}`).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('invalid-input');
      const res = await fetch(`${host.origin}/api/${name}`, { method: 'POST', headers: { [TOKEN_HEADER]: host.token, 'content-type': 'application/json' }, body: JSON.stringify(BOGUS) });
      expect(res.status, `HTTP ${name}`).toBe(400);
      const body = (await res.json()) as { code: string; error: string };
      expect(body.code).toBe('invalid-input');
      expect(body.error).toContain(name);
    }
    expect(service.calls).toEqual([]);
  });

  it('passes a valid payload through both hosts to the service, parsed', async () => {
    const input = { dataset: 'ptbxl', index: 3 };
    const reply = await ipcHandlers(service.handlers).get(ipcChannel('readRecord'))!(input);
    expect(reply).toEqual({ ok: true, value: { echo: 'readRecord', input: { ...input, view: 'standardised' } } });
    const res = await fetch(`${host.origin}/api/readRecord`, { method: 'POST', headers: { [TOKEN_HEADER]: host.token, 'content-type': 'application/json' }, body: JSON.stringify(input) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ echo: 'readRecord', input: { ...input, view: 'standardised' } });
  });

  it('gives the zod message for a value out of range, on both hosts', async () => {
    const bad = { ...pretrainRequestSchema.parse({ method: 'gl', patch: 125, dim: 64, depth: 2, maskRatio: 0.75, augmentations: [], tau: 0.1, batchSize: 8, lr: 1e-4, weightDecay: 1e-5, steps: 5, datasets: ['x'] }), maskRatio: 1.5 };
    const reply = await ipcHandlers(service.handlers).get(ipcChannel('startPretrain'))!(bad);
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.issues).toEqual([{ path: 'maskRatio', message: 'Masking ratio must be below 1.' }]);
    const res = await fetch(`${host.origin}/api/startPretrain`, { method: 'POST', headers: { [TOKEN_HEADER]: host.token, 'content-type': 'application/json' }, body: JSON.stringify(bad) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain('Masking ratio must be below 1.');
  });
});
