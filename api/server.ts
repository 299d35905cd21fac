import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import type { AppConfig } from '../config';
import type { ErrorCode } from '../domain/errors';
import { errorBody } from './errors';

/** What Node's HTTP parser refuses before the app sees a request, as answers in the API's one error shape. */
function clientErrorAnswer(code: string | undefined): {
  status: number;
  reason: string;
  error: ErrorCode;
  message: string;
} {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      reason: 'Request Header Fields Too Large',
      error: 'HEADERS_TOO_LARGE',
      message: 'the request headers are too large',
    };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      reason: 'Request Timeout',
      error: 'REQUEST_TIMEOUT',
      message: 'the request did not arrive in time',
    };
  }
  return { status: 400, reason: 'Bad Request', error: 'MALFORMED_REQUEST', message: 'the request is not valid HTTP' };
}

const errorJson = (status: number, code: ErrorCode, message: string) => {
  const requestId = randomUUID();
  const body = errorBody(code, message);
  body.error.request_id = requestId;
  return { status, requestId, json: JSON.stringify(body) };
};

/**
 * A request Node parsed but no URL can be built from (a backslash in the path) is a JSON 400 with a request id,
 * not @hono/node-server's empty one.
 */
const malformedRequest = (): Response => {
  const answer = errorJson(400, 'MALFORMED_REQUEST', 'the request target is not a valid URL');
  return new Response(answer.json, {
    status: 400,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': answer.requestId },
  });
};

/**
 * The API's HTTP server against slow and malformed clients: bounded time to send headers and the request,
 * bounded idle keep-alive, a connection cap, and a JSON error with a request id (instead of Node's empty 400)
 * for what the HTTP parser refuses (a backslash or control character in the path, oversized headers, a
 * request that took too long, a path no URL can be built from). The API process (api/main.ts) and the test
 * stack both serve through it.
 */
export function createHttpServer(
  fetch: (request: Request) => Response | Promise<Response>,
  config: Pick<
    AppConfig['server'],
    'headers_timeout_ms' | 'request_timeout_ms' | 'keep_alive_timeout_ms' | 'max_connections'
  >,
): Server {
  const http = createServer(
    {
      headersTimeout: config.headers_timeout_ms,
      requestTimeout: config.request_timeout_ms,
      keepAliveTimeout: config.keep_alive_timeout_ms,
      // How often Node looks for connections past those timeouts (its default, 30 s, would let them overrun).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.headers_timeout_ms / 4))),
    },
    getRequestListener(fetch, { errorHandler: malformedRequest }),
  );
  http.maxConnections = config.max_connections;
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const refusal = clientErrorAnswer(err.code);
    const { json, requestId } = errorJson(refusal.status, refusal.error, refusal.message);
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${json}`,
    );
  });
  return http;
}
