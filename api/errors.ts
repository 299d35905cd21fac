import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { codeForStatus, DomainError } from '../domain/errors';
import type { AppEnv } from './deps';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; request_id?: string };
}

export const errorBody = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: { code, message, ...(details === undefined ? {} : { details }) },
});

/** The one place where errors become HTTP answers. */
export function handleError(err: Error, c: Context<AppEnv>) {
  const requestId = c.get('requestId');
  if (err instanceof DomainError) {
    const body = errorBody(err.code, err.message, err.details);
    body.error.request_id = requestId;
    return c.json(body, err.status as ContentfulStatusCode);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const body = errorBody(codeForStatus(status) ?? 'HTTP_ERROR', err.message || 'request failed');
    body.error.request_id = requestId;
    return c.json(body, status);
  }
  c.get('logger')?.error({ err }, 'unhandled error');
  const body = errorBody('INTERNAL', 'an internal error occurred');
  body.error.request_id = requestId;
  return c.json(body, 500);
}
