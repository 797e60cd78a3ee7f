/** A service whose handlers record calls; hosts must validate before any of them runs. */
import { METHOD_NAMES, type ApiEvent, type ApiHandlers, type EventListener } from '../../contract/api.js';
import type { Service } from '../../main/api/service.js';

export function stubService(): Service & { calls: string[]; emit(e: ApiEvent): void } {
  const calls: string[] = [];
  const listeners = new Set<EventListener>();
  const handlers = Object.fromEntries(
    METHOD_NAMES.map((name) => [
      name,
      async (input: unknown) => {
        calls.push(name);
        return { echo: name, input };
      },
    ]),
  ) as unknown as ApiHandlers;
  return {
    handlers,
    calls,
    onEvent(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    emit(e) {
      for (const l of listeners) l(e);
    },
    async dispose() {},
  };
}
