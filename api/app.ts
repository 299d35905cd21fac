import type { Context } from 'hono';
import { requestId } from 'hono/request-id';
import { createPiiCipher } from '../lib/pii';
import { createServices } from '../services';
import type { ApiDeps, AppEnv } from './deps';
import { errorResponse, handleError } from './errors';
import { createApiMetrics } from './metrics';
import { metricsEndpoint, observeRequests, orderLogContext } from './observability';
import { mountApiDocs } from './openapi';
import { refuseInvalidBearer } from './middleware/auth';
import { limitBody } from './middleware/body-limit';
import { rateLimitByIp } from './middleware/rate-limit';
import { refuseControlCharacters } from './middleware/request-guard';
import { createRouter } from './router';
import { mountWeb } from './web';
import { adminAnalytics } from './routes/admin-analytics';
import { adminLedger } from './routes/admin-ledger';
import { adminBundles, adminPricingRules, adminProducts } from './routes/admin-commercial';
import { adminFlights } from './routes/admin-flights';
import { auth } from './routes/auth';
import { checkIn } from './routes/check-in';
import { flights } from './routes/flights';
import { airports } from './routes/airports';
import { health } from './routes/health';
import { offers } from './routes/offers';
import { flightStream } from './routes/flight-stream';
import { gate } from './routes/gate';
import { orderCancellations } from './routes/order-cancellations';
import { orderDisruptions } from './routes/order-disruptions';
import { orderLookup } from './routes/order-lookup';
import { orders } from './routes/orders';
import { orderChanges } from './routes/order-changes';
import { orderTimelineRoutes } from './routes/order-timeline';
import { trips } from './routes/trips';
import { webhooks } from './routes/webhooks';

/** Routes that name an order: their request log carries order_id (api/observability.ts). */
const ORDER_PATHS = ['/v1/orders/:id', '/v1/orders/:id/*', '/v1/offers/:id/accept', '/v1/holds/trip/:trip_id/*'];

/** Builds the Hono app: request id, request log, deps, routes, one JSON error shape. Tests build the same app. */
export function createApp(given: Omit<ApiDeps, 'services'> & { services?: ApiDeps['services'] }) {
  const deps: ApiDeps = { ...given, services: given.services ?? createServices(given) };
  const app = createRouter();
  const pii = createPiiCipher(deps.config.pii);
  const metrics = createApiMetrics(deps);

  app.use('*', requestId({ headerName: 'X-Request-Id' }));
  app.use('*', observeRequests(deps, pii, metrics));
  app.use('*', refuseControlCharacters);
  for (const path of ORDER_PATHS) app.use(path, orderLogContext);
  mountWeb(app); // the web app's pages and assets (api/web.ts), before the per-IP rate limit
  app.use('*', rateLimitByIp);
  app.use(
    '*',
    limitBody(deps.config.server.body_limit_bytes, (c: Context<AppEnv>) =>
      errorResponse(c, 'PAYLOAD_TOO_LARGE', 'the request body is too large'),
    ),
  );

  // One rule for a bad Authorization header on every /v1 route but the webhooks (they authenticate by signature).
  app.use('/v1/*', refuseInvalidBearer);

  app.get('/metrics', metricsEndpoint(metrics));
  // One chain, so that the app's type carries every route's contract (the typed client, api/client.ts).
  const routes = app
    .route('/health', health)
    .route('/v1/auth', auth)
    .route('/v1/airports', airports)
    .route('/v1/flights', flights)
    .route('/v1/flights', flightStream)
    .route('/v1/offers', offers) // before /v1: POST /v1/offers/:id/accept falls through to the orders router
    .route('/v1', orderLookup) // before orders: its /orders/* middleware would ask a token of this public route
    .route('/v1', orders)
    .route('/v1', orderChanges) // after orders: its /orders/* middleware (auth, rate limit) covers these
    .route('/v1', orderCancellations)
    .route('/v1', orderTimelineRoutes)
    .route('/v1', checkIn)
    .route('/v1', orderDisruptions)
    .route('/v1', trips)
    .route('/v1/webhooks', webhooks)
    .route('/v1/admin/analytics', adminAnalytics)
    .route('/v1/admin', adminLedger)
    .route('/v1', gate) // before the admin flights router: the manifest is for agents too
    .route('/v1/admin/flights', adminFlights)
    .route('/v1/admin/products', adminProducts)
    .route('/v1/admin/bundles', adminBundles)
    .route('/v1/admin/pricing-rules', adminPricingRules);
  mountApiDocs(app); // GET /openapi.json and /docs, from the contracts of the routes above

  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));
  app.onError(handleError);
  return routes;
}

export type App = ReturnType<typeof createApp>;
/** The app's routes and their contracts, for `hc<AppType>` (api/client.ts). */
export type AppType = App;
