/**
 * Per-request observability: the request's child logger (request id, and the order id on routes that name an
 * order), the latency histogram by route pattern, the request log line, and, when tracing is on, a server span
 * that the Temporal client interceptor continues into the order workflow and its activities.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes, routePath } from 'hono/route';
import { isUuid } from '../domain/ids';
import type { PiiCipher } from '../lib/pii';
import { apiTracer } from '../lib/tracing';
import type { ApiDeps, AppEnv } from './deps';
import type { ApiMetrics } from './metrics';
import { orderIdForOffer } from './order-commands';

/** Label for requests that matched no route: raw paths never become label values (unbounded cardinality). */
export const UNMATCHED_ROUTE = '(unmatched)';

/** The pattern of the handler that answered (`/v1/orders/:id`), or UNMATCHED_ROUTE; middleware (`use`) is skipped. */
export function routePattern(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    if (route.method !== 'ALL') return route.path;
  }
  return UNMATCHED_ROUTE;
}

/**
 * Sets deps, the request logger and the PII cipher on the context, then times the request: one histogram
 * observation and one log line per request, under a server span when tracing is on.
 */
export function observeRequests(deps: ApiDeps, pii: PiiCipher, metrics: ApiMetrics): MiddlewareHandler<AppEnv> {
  const tracing = deps.config.otel.otlp_endpoint.trim() !== '';
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set('deps', deps);
    c.set('pii', pii);
    c.set('logFields', { request_id: c.get('requestId') });
    if (!tracing) return timed(c, next, metrics);
    const parent = propagation.extract(context.active(), Object.fromEntries(c.req.raw.headers));
    const span = apiTracer().startSpan(
      `${c.req.method} ${c.req.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': c.req.method, 'url.path': c.req.path } },
      parent,
    );
    c.get('logFields').trace_id = span.spanContext().traceId;
    try {
      await context.with(trace.setSpan(parent, span), () => timed(c, next, metrics));
      const route = routePattern(c);
      span.updateName(`${c.req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status });
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } finally {
      span.end();
    }
  });
}

async function timed(c: Context<AppEnv>, next: () => Promise<void>, metrics: ApiMetrics): Promise<void> {
  const started = performance.now();
  await next();
  const seconds = (performance.now() - started) / 1000;
  const route = routePattern(c);
  const { method } = c.req;
  const { status } = c.res;
  metrics.httpDuration.observe({ method, route, status: String(status) }, seconds);
  c.get('deps').logger.info(
    { ...c.get('logFields'), method, route, path: c.req.path, status, ms: Math.round(seconds * 1000) },
    'request',
  );
}

/**
 * Adds `order_id` to the request logger on routes that name an order: /v1/orders/:id..., a trip
 * (/v1/holds/trip/:trip_id..., the trip id is the order id), and an offer's accept (the order id is derived from
 * the offer id). Registered on those patterns in createApp, after observeRequests.
 */
export const orderLogContext = createMiddleware<AppEnv>(async (c, next) => {
  const params = c.req.param() as Record<string, string | undefined>;
  let orderId: string | undefined;
  if (routePath(c).startsWith('/v1/offers/')) {
    if (params.id) orderId = orderIdForOffer(params.id);
  } else {
    orderId = params.id ?? params.trip_id;
  }
  // Only a well-formed id goes into the log: the path is whatever the client sent.
  if (isUuid(orderId)) {
    c.get('logFields').order_id = orderId;
    c.set('logger', undefined); // one made before this knows no order: the next requestLogger call makes another
  }
  await next();
});

/** GET /metrics: the registry in Prometheus text format. */
export function metricsEndpoint(metrics: ApiMetrics): MiddlewareHandler<AppEnv> {
  return async (c) => c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
}
