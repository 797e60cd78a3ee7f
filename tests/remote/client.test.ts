/** The desktop's remote connection against a real headless host (`startHost`) over loopback. */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, AppInfo } from '../../contract/api.js';
import { startHost, type RunningHost } from '../../main/host/server.js';
import { callRemote, loadRemembered, parseRemote, probeRemote, remember, remoteEvents, remoteHandlers, RemoteError } from '../../main/remote/client.js';
import { tempWorkspace } from '../helpers/paths.js';
import { stubService } from '../contract/stub-service.js';

const service = stubService();
let host: RunningHost;

beforeAll(async () => {
  host = await startHost({ service, token: 'secret-token', port: 0, overrides: { appInfo: async () => ({ host: 'web' }) as unknown as AppInfo } });
});
afterAll(async () => host.close());

const caught = async (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as RemoteError);

describe('remote host connection', () => {
  it('reads the URL ecgfm serve printed, or a URL and a token', () => {
    expect(parseRemote({ url: 'http://127.0.0.1:8765/?token=abc' })).toEqual({ origin: 'http://127.0.0.1:8765', token: 'abc' });
    expect(parseRemote({ url: 'https://login1.hpc.example:9000', token: ' t ' })).toEqual({ origin: 'https://login1.hpc.example:9000', token: 't' });
    expect(() => parseRemote({ url: 'http://127.0.0.1:8765/' })).toThrow(/access token/);
    expect(() => parseRemote({ url: 'ftp://x/?token=a' })).toThrow(/ftp: is not supported/);
    expect(() => parseRemote({ url: 'login1:8765' })).toThrow();
  });

  it('probes, forwards methods and follows events; says what is wrong otherwise', async () => {
    const remote = parseRemote({ url: `${host.url}` });
    expect(await probeRemote(remote)).toMatchObject({ host: 'web' });
    const handlers = remoteHandlers(remote);
    expect(await handlers.listStudies({})).toEqual({ echo: 'listStudies', input: {} });
    expect(service.calls).toContain('listStudies');

    const wrong = await caught(probeRemote({ ...remote, token: 'nope' }));
    expect(wrong).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/access token/) });
    const invalid = await caught(callRemote(remote, 'studyDetail', { study: 5 }));
    expect(invalid).toMatchObject({ code: 'invalid-input' });
    const closed = await caught(probeRemote({ origin: 'http://127.0.0.1:9', token: 'x' }));
    expect(closed).toBeInstanceOf(RemoteError);
    expect(closed).toMatchObject({ code: 'unreachable', message: expect.stringMatching(/Cannot reach http:\/\/127\.0\.0\.1:9 .*SSH tunnel/) });

    const got: ApiEvent[] = [];
    let connected = false;
    const stop = remoteEvents(remote, (e) => got.push(e), (c) => (connected = c));
    for (let i = 0; i < 100 && !connected; i++) await new Promise((r) => setTimeout(r, 20));
    expect(connected).toBe(true);
    const event = { type: 'app.menu', action: 'import-dataset' } as unknown as ApiEvent;
    service.emit(event);
    for (let i = 0; i < 100 && !got.length; i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(got).toEqual([event]);
  });

  it('remembers the connection in a file only its owner reads', () => {
    const path = join(tempWorkspace('ecgfm-remote-'), 'remote.json');
    expect(loadRemembered(path)).toBeNull();
    remember(path, { origin: 'http://127.0.0.1:8765', token: 'abc' });
    expect(loadRemembered(path)).toEqual({ origin: 'http://127.0.0.1:8765', token: 'abc' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileSync(path, '{ damaged');
    expect(loadRemembered(path)).toBeNull();
    remember(path, null);
    expect(loadRemembered(path)).toBeNull();
  });
});
