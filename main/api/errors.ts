import { ApiInputError, type ApiErrorBody } from '../../contract/api.js';

/** A failure whose message is written for the researcher. */
export class ServiceError extends Error {
  constructor(
    readonly code: ApiErrorBody['code'],
    message: string,
  ) {
    super(message);
  }
}

export const HTTP_STATUS: Record<ApiErrorBody['code'], number> = {
  'invalid-input': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  unavailable: 503,
  failed: 500,
};

/** Any thrown value as the body both hosts send back. */
export function errorBody(err: unknown): ApiErrorBody {
  if (err instanceof ApiInputError) return { error: err.message, code: 'invalid-input', issues: err.issues };
  if (err instanceof ServiceError) return { error: err.message, code: err.code };
  const message = err instanceof Error ? err.message : String(err);
  // Data-layer errors that name a missing dataset read as "not found".
  if (/not found|no such|does not exist|ENOENT/i.test(message)) return { error: message, code: 'not-found' };
  return { error: message, code: 'failed' };
}
