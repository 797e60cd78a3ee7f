/**
 * The IPC handler table, kept free of a top-level Electron import so tests can check it covers the contract.
 * Each handler validates its payload with the contract's zod schema, then calls the service. Results travel in an
 * envelope so the renderer gets the researcher-facing message, not Electron's "Error invoking remote method".
 */
import { IPC_INVOKE_PREFIX, METHOD_NAMES, parseInput, type ApiErrorBody, type ApiHandlers } from '../contract/api.js';
import { errorBody } from '../main/api/errors.js';

export type IpcEnvelope = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody };
export type IpcHandler = (payload: unknown) => Promise<IpcEnvelope>;

export function ipcChannel(method: string): string {
  return `${IPC_INVOKE_PREFIX}${method}`;
}

export function ipcHandlers(handlers: ApiHandlers): Map<string, IpcHandler> {
  const table = new Map<string, IpcHandler>();
  for (const name of METHOD_NAMES) {
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    table.set(ipcChannel(name), async (payload) => {
      try {
        return { ok: true, value: await handler(parseInput(name, payload)) };
      } catch (err) {
        return { ok: false, error: errorBody(err) };
      }
    });
  }
  return table;
}
