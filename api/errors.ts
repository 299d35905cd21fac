import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { codeForStatus, DomainError, ERROR_STATUS, type ErrorCode } from '../domain/errors';
import type { AppEnv } from './deps';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; request_id?: string };
}

export const errorBody = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: { code, message, ...(details === undefined ? {} : { details }) },
});

/**
 * Every error answer the app sends: the one JSON shape, with the request's id (so that a client can quote it and
 * an operator find the request's log line), the status of its code unless the framework chose one.
 */
export function errorResponse(
  c: Context<AppEnv>,
  code: ErrorCode | 'HTTP_ERROR',
  message: string,
  details?: unknown,
  status: ContentfulStatusCode = code === 'HTTP_ERROR' ? 400 : ERROR_STATUS[code],
) {
  const body = errorBody(code, message, details);
  body.error.request_id = c.get('requestId');
  return c.json(body, status);
}

/** The one place where thrown errors become HTTP answers. */
export function handleError(err: Error, c: Context<AppEnv>) {
  if (err instanceof DomainError) {
    const retryAfter = (err.details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
    if (typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter));
    return errorResponse(c, err.code, err.message, err.details, err.status as ContentfulStatusCode);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    return errorResponse(c, codeForStatus(status) ?? 'HTTP_ERROR', err.message || 'request failed', undefined, status);
  }
  c.get('logger')?.error({ err }, 'unhandled error');
  return errorResponse(c, 'INTERNAL', 'an internal error occurred');
}
