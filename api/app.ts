import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { createPiiCipher } from '../lib/pii';
import type { ApiDeps } from './deps';
import { errorBody, handleError } from './errors';
import { rateLimitByIp } from './middleware/rate-limit';
import { createRouter } from './router';
import { auth } from './routes/auth';
import { flights } from './routes/flights';
import { health } from './routes/health';
import { orders } from './routes/orders';
import { webhooks } from './routes/webhooks';

/** Builds the Hono app: request id, request log, deps, routes, one JSON error shape. Tests build the same app. */
export function createApp(deps: ApiDeps) {
  const app = createRouter();
  const pii = createPiiCipher(deps.config.pii);

  app.use('*', requestId({ headerName: 'X-Request-Id' }));
  app.use('*', async (c, next) => {
    const logger = deps.logger.child({ request_id: c.get('requestId') });
    c.set('deps', deps);
    c.set('logger', logger);
    c.set('pii', pii);
    const started = performance.now();
    await next();
    logger.info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  });
  app.use('*', rateLimitByIp);
  app.use(
    '*',
    bodyLimit({
      maxSize: deps.config.server.body_limit_bytes,
      onError: (c) => c.json(errorBody('PAYLOAD_TOO_LARGE', 'the request body is too large'), 413),
    }),
  );

  app.route('/health', health);
  app.route('/v1/auth', auth);
  app.route('/v1/flights', flights);
  app.route('/v1', orders);
  app.route('/v1/webhooks', webhooks);

  app.notFound((c) => c.json(errorBody('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(handleError);
  return app;
}

export type App = ReturnType<typeof createApp>;
