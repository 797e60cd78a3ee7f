/** Exposes `window.ecgfm` (the contract's EcgfmApi) over ipcRenderer.invoke plus one event channel. */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_PREFIX, METHOD_NAMES, type ApiEvent, type EcgfmApi, type EventListener } from '../contract/api.js';
import type { IpcEnvelope } from './handlers.js';

const api: Record<string, unknown> = {};
for (const name of METHOD_NAMES) {
  api[name] = async (input: unknown) => {
    const reply = (await ipcRenderer.invoke(`${IPC_INVOKE_PREFIX}${name}`, input ?? {})) as IpcEnvelope;
    if (reply.ok) return reply.value;
    throw Object.assign(new Error(reply.error.error), { code: reply.error.code, issues: reply.error.issues });
  };
}
api.onEvent = (listener: EventListener) => {
  const wrapped = (_e: IpcRendererEvent, event: ApiEvent) => listener(event);
  ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
  return () => void ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
};

contextBridge.exposeInMainWorld('ecgfm', api as EcgfmApi);
