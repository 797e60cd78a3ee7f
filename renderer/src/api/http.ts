/**
 * `EcgfmApi` over the headless host: POST /api/<method> with the session token, events over SSE.
 * The token comes from the page URL (`?token=`), is kept for this tab, and is removed from the address bar.
 */
import { METHOD_NAMES, type ApiErrorBody, type ApiEvent, type EcgfmApi, type EventListener } from '../../../contract/api.js';
import { ApiError } from './errors.js';

const TOKEN_KEY = 'ecgfm.token';

export function pageToken(loc: Location = window.location, store: Storage = window.sessionStorage): string | null {
  const url = new URL(loc.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    store.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return store.getItem(TOKEN_KEY);
}

export function createHttpApi(token: string | null, base = ''): EcgfmApi {
  const listeners = new Set<EventListener>();
  let source: EventSource | null = null;
  const openStream = () => {
    if (source) return;
    // The event stream authenticates with the cookie the page load set (the host takes no token in API URLs).
    source = new EventSource(`${base}/api/events`, { withCredentials: true });
    source.onmessage = (m: MessageEvent<string>) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(m.data) as ApiEvent;
      } catch {
        return;
      }
      for (const l of listeners) l(event);
    };
  };

  const call = async (name: string, input: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${base}/api/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { 'x-ecgfm-token': token } : {}) },
        body: JSON.stringify(input ?? {}),
      });
    } catch {
      throw new ApiError('The workstation host is not reachable. Is `ecgfm serve` still running?', 'unavailable');
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!res.ok) {
      const err = body as Partial<ApiErrorBody> | null;
      throw new ApiError(err?.error ?? `The host answered ${res.status} ${res.statusText}.`, err?.code ?? 'failed', err?.issues);
    }
    return body;
  };

  const api: Record<string, unknown> = {};
  for (const name of METHOD_NAMES) api[name] = (input: unknown) => call(name, input);
  api.onEvent = (listener: EventListener) => {
    listeners.add(listener);
    openStream();
    return () => void listeners.delete(listener);
  };
  return api as EcgfmApi;
}
