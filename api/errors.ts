import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { codeForStatus, DomainError, ERROR_STATUS, type ErrorCode } from '../domain/errors';
import type { AppEnv } from './deps';
import { requestLogger } from './request-logger';

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

/**
 * Codes that mean a dependency is out of reach right now rather than that the request is wrong: postgres.js'
 * connection errors, Node's socket errors, and PostgreSQL's connection exceptions (SQLSTATE class 08) and shutdowns
 * (57P01-57P03); and ioredis giving up while Redis is away. Found anywhere on the `cause` chain (Drizzle wraps the
 * driver's error).
 */
const UNREACHABLE = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
]);

/** ioredis gives up on a command after its retries while Redis is away (lib/redis.ts: maxRetriesPerRequest). */
const REDIS_AWAY = new Set(['MaxRetriesPerRequestError']);

/**
 * Temporal too busy to answer within the call's deadline (an update-with-start under a storm): gRPC DEADLINE_EXCEEDED
 * (4), RESOURCE_EXHAUSTED (8) or UNAVAILABLE (14) from the server, or the client's own update RPC deadline. A retry
 * of the same request is safe (accepts and pays are idempotent: it reaches the order already started).
 */
const TEMPORAL_BUSY = new Set(['WorkflowUpdateRPCTimeoutOrCancelledError']);
const GRPC_BUSY = new Set([4, 8, 14]);

export function isDependencyUnreachable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const name = (e as { name?: unknown }).name as string;
    if (REDIS_AWAY.has(name) || TEMPORAL_BUSY.has(name)) return true;
    const grpc = e as { code?: unknown; metadata?: unknown; details?: unknown };
    if (typeof grpc.code === 'number' && GRPC_BUSY.has(grpc.code) && grpc.metadata !== undefined) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNREACHABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
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
  if (isDependencyUnreachable(err)) {
    // A database restart is not the client's fault and not a bug: a retryable 503, as for any other outage.
    requestLogger(c)?.warn({ err }, 'dependency unreachable');
    c.header('Retry-After', '1');
    return errorResponse(c, 'DEPENDENCY_UNAVAILABLE', 'a service Altis depends on is unavailable; try again shortly');
  }
  requestLogger(c)?.error({ err }, 'unhandled error');
  return errorResponse(c, 'INTERNAL', 'an internal error occurred');
}
