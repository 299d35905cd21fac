/**
 * Schemathesis against the running API (startOrderStack, a real port) as a guest with an order, trips, offers and
 * flights of its own (path ids fixed to them, so requests reach the handlers, not only "not found"). Complements
 * test/integration/fuzz.test.ts (our own fast-check fuzzer) with generation we did not write. The admin operations
 * get their pass in test/integration/schemathesis-admin.test.ts, alone (it changes the shared commercial settings).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../lib/services';
import { createInventory } from '../../services/inventory';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { startOrderStack, type OrderStack } from '../support/harness';
import { ABUSE_STACK_ENV } from '../support/probe';
import { runSchemathesis, schemathesisBinary, ST_SEED } from '../support/schemathesis';
import { openTestServices } from '../support/services';

const route = testRoute('schemathesis');

let services: Services;
let stack: OrderStack;
let st: string;
let flights: TestFlight[];
let token: string;
let tripId: string;
let orderId: string;
let offerId: string;

beforeAll(async () => {
  st = schemathesisBinary();
  services = await openTestServices();
  stack = await startOrderStack(services, ABUSE_STACK_ENV);
  flights = [
    await createTestFlight(services, { route, capacity: 60 }),
    await createTestFlight(services, { route, capacity: 60 }),
  ];
  await createInventory(services).rebuildIndex(flights.map((f) => f.id));
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method: 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };
  token = (await post('/v1/auth/guest')).token as string;
  tripId = (await post('/v1/holds/trip', { flight_ids: [flights[0]!.id] })).trip_id as string;
  await post(`/v1/holds/trip/${tripId}/passengers`, { first_name: 'Ada', last_name: 'Lovelace' });
  offerId = (await createTestOffer(services.redis, [flights[1]!])).id;
  const accepted = await post(`/v1/offers/${(await createTestOffer(services.redis, [flights[1]!])).id}/accept`, {
    travelers: [{ ptc: 'ADT', first_name: 'Ada', last_name: 'Lovelace', date_of_birth: '1985-12-10' }],
    contact: { email: 'ada@example.com' },
  });
  orderId = accepted.id as string;
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

describe('Schemathesis against /openapi.json', () => {
  it('as a guest with data of its own: no server error, no response outside the documented contract', async () => {
    const flight = { id: flights[0]!.id };
    const order = { id: orderId };
    const run = await runSchemathesis(st, stack.apiUrl, {
      token,
      pathIds: {
        '/v1/flights/{id}': flight,
        '/v1/flights/{id}/seats': flight,
        '/v1/offers/{id}': { id: offerId },
        '/v1/orders/{id}': order,
        '/v1/orders/{id}/fulfillment': order,
        '/v1/orders/{id}/seats': order,
        '/v1/holds/trip/{trip_id}/passengers': { trip_id: tripId },
      },
      // The stream never ends by design (SSE); the admin operations have their own pass.
      // Sign-out revokes the token every other operation runs with (auth.test.ts covers it).
      filter: [
        '--exclude-path',
        '/v1/flights/{id}/stream',
        '--exclude-path',
        '/v1/auth/sign-out',
        '--exclude-path-regex',
        '^/v1/admin/',
      ],
    });
    expect(run.tests, run.output).toBeGreaterThan(20);
    expect(run.code, `schemathesis (seed ${ST_SEED}) found failures:\n${run.output.slice(-20_000)}`).toBe(0);
  }, 900_000);
});
