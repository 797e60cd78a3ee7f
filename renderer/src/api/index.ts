/** The one way components reach the machine: Electron's preload `window.ecgfm`, else the HTTP adapter. */
import type { EcgfmApi } from '../../../contract/api.js';
import { createHttpApi, pageToken } from './http.js';

declare global {
  interface Window {
    ecgfm?: EcgfmApi;
  }
}

let current: EcgfmApi | null = null;

export function api(): EcgfmApi {
  current ??= window.ecgfm ?? createHttpApi(pageToken());
  return current;
}

/** Tests and embedders install their own transport. */
export function setApi(next: EcgfmApi): void {
  current = next;
}
