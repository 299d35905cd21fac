import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../deps';

/**
 * server.body_limit_bytes on every request, decided from the headers where they decide it: a request with a
 * Content-Length (and no Transfer-Encoding) is judged by it without reading, one with neither has no body
 * (RFC 9112 §6.3), and only a chunked body is counted as it is read (Hono's bodyLimit). Hono's bodyLimit asks
 * every request for its body stream first, which makes @hono/node-server build a full Fetch Request (an abort
 * controller, a stream) for each one, a GET included; the routes then read a JSON body by its faster path.
 */
export function limitBody(maxSize: number, onError: (c: Context<AppEnv>) => Response) {
  const counted = bodyLimit({ maxSize, onError });
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.header('Transfer-Encoding') !== undefined) return counted(c, next);
    const length = c.req.header('Content-Length');
    if (length !== undefined && Number.parseInt(length, 10) > maxSize) return onError(c);
    await next();
  });
}
