/**
 * Offer analytics (issue #13, item 9): per route and day, offers shown (every offer a search returns), accepted
 * (OfferAccepted, by the analytics consumer), rejected and expired (neither, once their search is swept), and
 * acceptance_rate = accepted / shown, read over HTTP from GET /v1/admin/analytics.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import { analyticsDaily } from '../../db/schema';
import type { Services } from '../../lib/services';
import { createServices, type AppServices } from '../../services';
import { startAnalyticsPipeline } from '../support/events';
import { createTestFlight, ensureTestRoute, testRoute, type TestFlight } from '../support/flights';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { openTestServices, silentLogger } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('offer-analytics');
const ROUTE = `${route.origin}-${route.destination}`;

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let appServices: AppServices;
let app: App;
let pipeline: Awaited<ReturnType<typeof startAnalyticsPipeline>>;
let token: string;
let admin: string;

beforeAll(async () => {
  services = await openTestServices();
  await ensureTestRoute(services, route);
  // The test database outlives a run: this route's figures start from nothing.
  await services.db.delete(analyticsDaily).where(eq(analyticsDaily.route, ROUTE));
  stack = await startOrderStack(services);
  api = apiClient(stack.apiUrl);
  // The API whose offer engine counts (its services are the test's, to flush and sweep them).
  appServices = createServices({ config: stack.config, logger: silentLogger(), ...services });
  app = createApp({ config: stack.config, logger: silentLogger(), ...services, services: appServices });
  pipeline = await startAnalyticsPipeline(services, stack.config);
  token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
  admin = (await tokenFor(services, stack.config, 'admin')).token;
});

afterAll(async () => {
  await pipeline?.stop();
  await stack?.close();
  await services?.close();
});

const call = async (method: string, path: string, opts: { token?: string; body?: unknown } = {}) => {
  const res = await app.request(path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
};

const searchOffers = async (f: TestFlight) => {
  const res = await call('POST', '/v1/offers/search', {
    token,
    body: {
      origin: f.origin,
      destination: f.destination,
      departure_date: f.departureAt.toISOString().slice(0, 10),
      passengers: 1,
    },
  });
  expect(res.status).toBe(200);
  return res.body.offers as { id: string }[];
};

const figures = async () => {
  const res = await call('GET', `/v1/admin/analytics?route=${ROUTE}`, { token: admin });
  expect(res.status).toBe(200);
  return res.body.routes[0] as Record<string, any> | undefined;
};

describe('offer analytics per route and day', () => {
  it('count offers shown, accepted, rejected and expired, and acceptance_rate = accepted / shown', async () => {
    const f = await createTestFlight(services, { route, capacity: 10 });
    const first = await searchOffers(f);
    const second = await searchOffers(f);
    expect(first.length).toBeGreaterThanOrEqual(3);
    const shown = first.length + second.length;

    // Shown: counted by the search, written within a second (or at once by a flush).
    await appServices.offers.flushCounts();
    expect(await figures()).toMatchObject({ offers_shown: shown, offers_accepted: 0, offers_rejected: 0 });

    // Rejected once, however often the shopper says no.
    expect((await call('DELETE', `/v1/offers/${first[0]!.id}`, { token })).status).toBe(204);
    expect((await call('DELETE', `/v1/offers/${first[0]!.id}`, { token })).status).toBe(204);
    // Accepted: the analytics consumer counts OfferAccepted.
    const accepted = await api('POST', `/v1/offers/${second[1]!.id}/accept`, {
      token,
      body: {
        travelers: [{ ptc: 'ADT', first_name: 'Jane', last_name: 'Doe', date_of_birth: '1990-04-01' }],
        contact: { email: 'jane@example.com' },
      },
    });
    expect(accepted.status).toBe(201);

    // Expired: once the offers' life is over, the sweep counts those neither accepted nor rejected.
    await appServices.offers.sweep({ now: new Date(Date.now() + 3_600_000), graceMs: 0 });
    await appServices.offers.flushCounts();

    const done = await eventually(figures, (r) => r?.offers_accepted === 1);
    expect(done).toMatchObject({
      route: ROUTE,
      currency: 'USD',
      offers_shown: shown,
      offers_accepted: 1,
      offers_rejected: 1,
      offers_expired: shown - 2,
      acceptance_rate: Math.round((1 / shown) * 10_000) / 10_000,
    });
    // Every offer shown ended one way.
    expect(done!.offers_accepted + done!.offers_rejected + done!.offers_expired).toBe(done!.offers_shown);
    // A second sweep counts nothing again.
    await appServices.offers.sweep({ now: new Date(Date.now() + 3_600_000), graceMs: 0 });
    await appServices.offers.flushCounts();
    expect((await figures())!.offers_expired).toBe(shown - 2);
  });
});
