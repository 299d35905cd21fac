/**
 * The payment gateway's circuit breaker (issue 18, "Must show" 3), against a real provider that goes away: the
 * sandbox's port is closed at first, so every charge is refused by the network. Once the worker's breaker opens,
 * new payments answer 503 with Retry-After at once, before the workflow is touched (the order stays PROPOSED, its
 * seats held, no payment recorded); when the provider is back, the waiting payment completes and the refused one
 * can pay.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerType } from '@hono/node-server';
import { payments } from '../../db/schema';
import type { Services } from '../../lib/services';
import { paymentCircuitKey } from '../../services/payment-circuit';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, pgInventory, testRoute } from '../support/flights';
import {
  apiClient,
  closeServer,
  eventually,
  freePort,
  listen,
  startOrderStack,
  type OrderStack,
} from '../support/harness';
import { openTestServices } from '../support/services';

const route = testRoute('payment-circuit');
const CARD = 'tok_visa';
const traveler = { ptc: 'ADT', first_name: 'Ada', last_name: 'Byron', date_of_birth: '1985-12-10', gender: 'F' };
const contact = { email: 'ada@example.com' };

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let token: string;
let providerPort: number;
let provider: ServerType | null = null;

beforeAll(async () => {
  services = await openTestServices();
  providerPort = await freePort(); // nothing listens here until the provider "comes back"
  stack = await startOrderStack(services, {
    APP_PAYMENTS__GATEWAY_URL: `http://127.0.0.1:${providerPort}`,
    APP_PAYMENTS__CIRCUIT_FAILURES: '2',
    APP_PAYMENTS__CIRCUIT_OPEN_MS: '3000',
  });
  api = apiClient(stack.apiUrl);
  token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
});

afterAll(async () => {
  if (provider) await closeServer(provider);
  await stack?.close();
  await services?.close();
});

async function proposedOrder(flight: Awaited<ReturnType<typeof createTestFlight>>): Promise<string> {
  const offer = await createTestOffer(services.redis, [flight]);
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
    token,
    body: { travelers: [traveler], contact },
  });
  expect(accepted.status).toBe(201);
  return accepted.body.id as string;
}

describe('the payment circuit breaker', () => {
  it('refuses payments fast with 503 + Retry-After while the provider is down, keeping the hold', async () => {
    const flight = await createTestFlight(services, { route, capacity: 10 });
    const first = await proposedOrder(flight);
    const second = await proposedOrder(flight);
    expect((await pgInventory(services.sql, flight.id)).held).toBe(2);

    // The first payment reaches the workflow; its charge is refused by the network until the breaker opens.
    const firstPay = api('POST', `/v1/orders/${first}/pay`, { token, body: { payment_token: CARD } });
    const key = paymentCircuitKey(stack.config.payments.gateway_url);
    const open = await eventually(
      () => services.redis.pttl(key),
      (ms) => ms > 0,
      20_000,
    );
    expect(open).toBeGreaterThan(0);

    // The second is refused by the API at once: the workflow never hears of it.
    const refused = await api('POST', `/v1/orders/${second}/pay`, { token, body: { payment_token: CARD } });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body.error.request_id).toBe(refused.headers.get('x-request-id'));
    const order = await api('GET', `/v1/orders/${second}`, { token });
    expect(order.body.status).toBe('PROPOSED');
    expect(await services.db.select().from(payments).where(eq(payments.orderId, second))).toEqual([]);
    expect((await pgInventory(services.sql, flight.id)).held).toBe(2); // no hold lost

    // The provider comes back: the waiting payment completes once the breaker lets a call through.
    provider = await listen(stack.sandbox.app.fetch, providerPort);
    const paid = await firstPay;
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('FULFILLED');
    await eventually(
      () => services.redis.exists(key),
      (n) => n === 0,
      10_000,
    );
    const retried = await api('POST', `/v1/orders/${second}/pay`, { token, body: { payment_token: CARD } });
    expect(retried.status).toBe(200);
    const inventory = await pgInventory(services.sql, flight.id);
    expect({ held: inventory.held, sold: inventory.sold }).toEqual({ held: 0, sold: 2 });
  });
});
