import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import type { Services } from '../../lib/services';
import { ensureTestRoute, testRoute } from '../support/flights';
import { openTestServices, silentLogger, testConfig } from '../support/services';

// GET /v1/airports?q=: the booking site's autocomplete, on the browser-booking route's airports (read only).
const config = testConfig();
let services: Services;
let app: App;
const route = testRoute('browser-booking');

interface Airports {
  airports: { code: string; name: string; city: string; country: string }[];
}
interface ErrorBody {
  error: { code: string; details?: { issues?: { path: string; message: string }[] } };
}

beforeAll(async () => {
  services = await openTestServices(config);
  await ensureTestRoute(services, route);
  app = createApp({ config, logger: silentLogger(), ...services });
});

afterAll(async () => {
  await services.close();
});

const get = (query: string) => app.request(`/v1/airports?${query}`);

describe('GET /v1/airports', () => {
  it('matches the IATA code (exact first), the city and the name, case-insensitively, without a token', async () => {
    const byCode = await get(`q=${route.origin.toLowerCase()}`);
    expect(byCode.status).toBe(200);
    const body = (await byCode.json()) as Airports;
    expect(body.airports[0]).toEqual({
      code: route.origin,
      name: `Test ${route.origin}`,
      city: `${route.origin} City`,
      country: 'ZZ',
    });
    const byCity = (await (await get(`q=${encodeURIComponent(`${route.destination} cit`)}`)).json()) as Airports;
    expect(byCity.airports.map((a) => a.code)).toEqual([route.destination]);
    const byName = (await (await get(`q=${encodeURIComponent(`test ${route.destination}`)}`)).json()) as Airports;
    expect(byName.airports.map((a) => a.code)).toContain(route.destination);
  });

  it('caps the answer at limit (default 10, at most 20)', async () => {
    const many = (await (await get('q=a')).json()) as Airports;
    expect(many.airports.length).toBeGreaterThan(0);
    expect(many.airports.length).toBeLessThanOrEqual(10);
    const two = (await (await get('q=a&limit=2')).json()) as Airports;
    expect(two.airports.length).toBeLessThanOrEqual(2);
  });

  it('answers 400 naming the field for an empty, too long or odd query, or a bad limit', async () => {
    for (const [query, path] of [
      ['q=', 'q'],
      [`q=${'a'.repeat(51)}`, 'q'],
      ['q=%25%25', 'q'],
      ['q=lon&limit=21', 'limit'],
      ['q=lon&limit=x', 'limit'],
      ['', 'q'],
    ] as const) {
      const res = await get(query);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('VALIDATION_FAILED');
      expect(body.error.details?.issues?.map((i) => i.path)).toContain(path);
    }
  });

  it('is behind the per-IP rate limit of every request', async () => {
    const limited = createApp({
      config: { ...config, rate_limit: { ...config.rate_limit, per_ip_per_minute: 2, trust_forwarded_for: true } },
      logger: silentLogger(),
      ...services,
    });
    const ip = { 'X-Forwarded-For': `203.0.113.${Math.floor(Math.random() * 200) + 1}` };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited.request('/v1/airports?q=te', { headers: ip })).status);
    expect(statuses).toContain(429);
  });
});
