import type { ApiErrorBody } from '../../../contract/api.js';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: ApiErrorBody['code'],
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

/** A message a researcher can act on, from anything thrown by the API. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const issues = (err as Partial<ApiError>).issues;
    if (issues?.length) return issues.map((i) => i.message).join(' ');
    return err.message.replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
  }
  return String(err);
}
