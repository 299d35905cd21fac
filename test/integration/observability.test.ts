import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventory } from '../../services/inventory';
import type { AppConfig } from '../../config';
import { orders } from '../../db/schema';
import { createLogger, type Logger } from '../../lib/logger';
import { closeMetricsServer, serveMetrics } from '../../lib/metrics';
import type { Services } from '../../lib/services';
import { createWorkerMetrics, type WorkerMetrics } from '../../worker/observability';
import { createOutboxRelay, registerOutboxMetrics } from '../../worker/outbox-relay';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute } from '../support/flights';
import { openTestServices, testConfig } from '../support/services';

const route = testRoute('observability');

/** Every line a logger writes, parsed. */
function capturingLogger(config: AppConfig, name: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ log: { ...config.log, level: 'debug' } }, name, sink), lines };
}

/** Prometheus text → { 'name{labels}': value } for the series whose name starts with `prefix`. */
function series(text: string, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const valueOf = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const [key, value] of series(text, name)) {
    const [metric, rest = ''] = key.split('{');
    if (metric !== name) continue;
    if (Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) return value;
  }
  return undefined;
};

const traveler = { ptc: 'ADT', first_name: 'Wilhelmina', last_name: 'Quartermaine', date_of_birth: '1987-03-09' };
const contact = { email: 'wilhelmina.q@example.org', phone: '+44 20 7946 0123' };
const PII = [traveler.first_name, traveler.last_name, traveler.date_of_birth, contact.email, '7946 0123'];

let services: Services;
let config: AppConfig;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let apiUrl: string;
let apiLog: ReturnType<typeof capturingLogger>;
let workerLog: ReturnType<typeof capturingLogger>;
let workerMetrics: WorkerMetrics;
let token: string;

beforeAll(async () => {
  services = await openTestServices();
  const logConfig = testConfig();
  apiLog = capturingLogger(logConfig, 'api');
  workerLog = capturingLogger(logConfig, 'worker');
  workerMetrics = createWorkerMetrics(new Registry());
  stack = await startOrderStack(
    services,
    { APP_METRICS__DB_CACHE_MS: '0' },
    {
      asyncDelayMs: 500,
      apiLogger: apiLog.logger,
      workerLogger: workerLog.logger,
      workerOptions: { metrics: workerMetrics },
    },
  );
  ({ config, apiUrl } = stack);
  api = apiClient(apiUrl);
  token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
});

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

async function acceptedOrder(): Promise<string> {
  const flight = await createTestFlight(services, { route, capacity: 10 });
  await createInventory(services).rebuildIndex([flight.id]);
  const offer = await createTestOffer(services.redis, [flight]);
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
    token,
    body: { travelers: [traveler], contact },
  });
  expect(accepted.status).toBe(201);
  return accepted.body.id as string;
}

const statusOf = async (orderId: string) =>
  (await services.db.select({ s: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]?.s;

describe('API /metrics', () => {
  it('labels latency by route pattern, counts orders by state and held seats, and has process metrics', async () => {
    const orderId = await acceptedOrder();
    expect((await api('GET', `/v1/orders/${orderId}`, { token })).status).toBe(200);
    expect((await api('GET', '/v1/no-such-route')).status).toBe(404);

    const res = await fetch(`${apiUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.headers.get('RateLimit-Limit')).toBeNull(); // exempt from rate limits
    const text = await res.text();

    const getOrder = { method: 'GET', route: '/v1/orders/:id', status: '200' };
    expect(valueOf(text, 'altis_http_request_duration_seconds_count', getOrder)).toBeGreaterThanOrEqual(1);
    const accept = { method: 'POST', route: '/v1/offers/:id/accept', status: '201' };
    expect(valueOf(text, 'altis_http_request_duration_seconds_count', accept)).toBe(1);
    expect(valueOf(text, 'altis_http_request_duration_seconds_sum', accept)).toBeGreaterThan(0);
    expect(valueOf(text, 'altis_http_request_duration_seconds_bucket', { ...accept, le: '+Inf' })).toBe(1);
    expect(valueOf(text, 'altis_http_request_duration_seconds_count', { route: '(unmatched)', status: '404' })).toBe(1);
    // Raw paths never become labels.
    expect(text).not.toContain(orderId);
    expect(text).not.toContain('no-such-route');

    expect(valueOf(text, 'altis_orders', { status: 'PROPOSED' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, 'altis_orders', { status: 'ARCHIVED' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(text, 'altis_held_seats')).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, 'altis_active_holds')).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(text).toContain('service="api"');
  });
});

describe('worker metrics', () => {
  it('counts payment outcomes from the charge activity, served over HTTP with the outbox gauges', async () => {
    const before = (outcome: string) =>
      workerMetrics.paymentOutcomes.get().then((m) => m.values.find((v) => v.labels.outcome === outcome)?.value ?? 0);
    const [succeeded, failed] = [await before('succeeded'), await before('failed')];

    const paid = await acceptedOrder();
    expect((await api('POST', `/v1/orders/${paid}/pay`, { token, body: { payment_token: 'tok_visa' } })).status).toBe(
      200,
    );
    const declined = await acceptedOrder();
    const decline = await api('POST', `/v1/orders/${declined}/pay`, {
      token,
      body: { payment_token: 'tok_chargeDeclined' },
    });
    expect(decline.status).toBe(402);

    const registry = workerMetrics.registry;
    registerOutboxMetrics(createOutboxRelay({ ...services, config, logger: workerLog.logger }), registry);
    const server = await serveMetrics(registry, { host: '127.0.0.1', port: 0, logger: workerLog.logger });
    try {
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      expect(valueOf(text, 'altis_payment_outcomes_total', { outcome: 'succeeded' })).toBe(succeeded + 1);
      expect(valueOf(text, 'altis_payment_outcomes_total', { outcome: 'failed' })).toBe(failed + 1);
      expect(valueOf(text, 'altis_payment_outcomes_total', { outcome: 'error' })).toBe(0);
      expect(valueOf(text, 'altis_outbox_unpublished_events')).toBeGreaterThanOrEqual(0);
      expect(valueOf(text, 'altis_outbox_oldest_unpublished_age_seconds')).toBeGreaterThanOrEqual(0);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await closeMetricsServer(server);
    }
    expect(
      await eventually(
        () => statusOf(paid),
        (s) => s === 'FULFILLED',
      ),
    ).toBe('FULFILLED');
  });
});

describe('logs', () => {
  it('carry the request id and order id, activities log with the order id, and no passenger data is printed', async () => {
    const orderId = await acceptedOrder();
    const pay = await api('POST', `/v1/orders/${orderId}/pay`, {
      token,
      body: { payment_token: 'tok_visa' },
      headers: { 'X-Request-Id': 'req-observability-1' },
    });
    expect(pay.status).toBe(200);
    expect(
      await eventually(
        () => statusOf(orderId),
        (s) => s === 'FULFILLED',
      ),
    ).toBe('FULFILLED');
    // A request whose body is refused still prints none of it.
    const bad = await api('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: '', ...contact } });
    expect(bad.status).toBe(400);

    const payLine = apiLog.lines.find((l) => l.msg === 'request' && l.request_id === 'req-observability-1');
    expect(payLine).toMatchObject({
      order_id: orderId,
      route: '/v1/orders/:id/pay',
      method: 'POST',
      status: 200,
      name: 'api',
    });
    const acceptLine = apiLog.lines.find((l) => l.msg === 'request' && l.route === '/v1/offers/:id/accept');
    expect(acceptLine?.order_id).toEqual(expect.any(String));
    expect(acceptLine?.request_id).toEqual(expect.any(String));

    const activities = await eventually(
      async () => workerLog.lines.filter((l) => l.order_id === orderId && l.msg === 'activity completed'),
      (lines) => lines.some((l) => l.activity === 'completeSale'),
    );
    expect(activities.map((l) => l.activity)).toEqual(
      expect.arrayContaining(['proposeOrder', 'chargeOrder', 'completeSale']),
    );
    expect(activities[0]).toMatchObject({ workflow_id: `order-${orderId}`, name: 'worker' });

    const everything = JSON.stringify([...apiLog.lines, ...workerLog.lines]);
    expect(apiLog.lines.length).toBeGreaterThan(5);
    for (const secret of [...PII, 'tok_visa']) expect(everything).not.toContain(secret);
  });
});
