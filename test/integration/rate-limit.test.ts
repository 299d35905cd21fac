import { randomInt } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import { LEASE_SHARE } from '../../api/middleware/rate-limit';
import { customers } from '../../db/schema';
import type { Services } from '../../lib/services';
import { openTestServices, silentLogger, testConfig } from '../support/services';
import { freePort } from '../support/harness';
import { tokenFor } from '../support/tokens';

const limits = { APP_RATE_LIMIT__PER_IP_PER_MINUTE: '5', APP_RATE_LIMIT__PER_CUSTOMER_PER_MINUTE: '3' };
const config = testConfig(limits);
let services: Services;
let app: App;
const createdCustomers: string[] = [];

beforeAll(async () => {
  services = await openTestServices(config);
  app = createApp({ config, logger: silentLogger(), ...services });
});

afterAll(async () => {
  if (createdCustomers.length > 0) await services.db.delete(customers).where(inArray(customers.id, createdCustomers));
  await services.close();
});

// A fresh address per test so that reruns within a minute start from an empty window.
const newIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
// What @hono/node-server's getConnInfo reads: the request's socket.
const fromIp = (ip: string) => ({
  incoming: { socket: { remoteAddress: ip, remotePort: 40000, remoteFamily: 'IPv4' } },
});

async function customerToken() {
  const { id, token } = await tokenFor(services, config, 'customer', 'GUEST');
  createdCustomers.push(id);
  return token;
}

function get(target: App, path: string, ip: string, headers: Record<string, string> = {}) {
  return target.request(path, { headers }, fromIp(ip));
}

const rateHeaders = (res: Response) => ({
  limit: res.headers.get('RateLimit-Limit'),
  remaining: res.headers.get('RateLimit-Remaining'),
  reset: Number(res.headers.get('RateLimit-Reset')),
});

describe('rate limits', () => {
  it('per IP: five a minute pass with RateLimit-* headers, the sixth is 429 with Retry-After', async () => {
    const ip = newIp();
    for (let i = 1; i <= 5; i++) {
      const res = await get(app, '/v1/auth/me', ip); // 401 (no token) still counts
      expect(res.status).toBe(401);
      const h = rateHeaders(res);
      expect(h).toMatchObject({ limit: '5', remaining: String(5 - i) });
      expect(h.reset).toBeGreaterThan(0);
      expect(h.reset).toBeLessThanOrEqual(60);
    }
    const limited = await get(app, '/v1/auth/me', ip);
    expect(limited.status).toBe(429);
    const body = (await limited.json()) as { error: { code: string; message: string; request_id: string } };
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(body.error.request_id).toBe(limited.headers.get('X-Request-Id'));
    const retryAfter = Number(limited.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(rateHeaders(limited)).toMatchObject({ limit: '5', remaining: '0', reset: retryAfter });

    // Another address is not affected; /health is exempt.
    expect((await get(app, '/v1/auth/me', newIp())).status).toBe(401);
    const health = await get(app, '/health', ip);
    expect(health.status).not.toBe(429);
    expect(health.headers.get('RateLimit-Limit')).toBeNull();
  });

  it('per customer, separately from per IP: the customer is limited from any address, others are not', async () => {
    const ip = newIp();
    const alice = await customerToken();
    const bob = await customerToken();
    for (let i = 1; i <= 3; i++) {
      const res = await get(app, '/v1/auth/me', ip, { Authorization: `Bearer ${alice}` });
      expect(res.status).toBe(200);
      // The tighter of the two limits is reported: the customer's (3) rather than the address's (5).
      expect(rateHeaders(res)).toMatchObject({ limit: '3', remaining: String(3 - i) });
    }
    const limited = await get(app, '/v1/auth/me', ip, { Authorization: `Bearer ${alice}` });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/per customer/),
    });
    expect(limited.headers.get('Retry-After')).toMatch(/^\d+$/);
    expect(rateHeaders(limited)).toMatchObject({ limit: '3', remaining: '0' });

    // Alice from a fresh address: still limited (per customer). Bob from Alice's address: fine (IP has room).
    expect((await get(app, '/v1/auth/me', newIp(), { Authorization: `Bearer ${alice}` })).status).toBe(429);
    const bobRes = await get(app, '/v1/auth/me', ip, { Authorization: `Bearer ${bob}` });
    expect(bobRes.status).toBe(200);
    // Address: 5th request of 5 (remaining 0) is tighter than Bob's first of 3 (remaining 2).
    expect(rateHeaders(bobRes)).toMatchObject({ limit: '5', remaining: '0' });
    // Now the address is spent: Bob is limited by it.
    const bobLimited = await get(app, '/v1/auth/me', ip, { Authorization: `Bearer ${bob}` });
    expect(bobLimited.status).toBe(429);
    expect(((await bobLimited.json()) as { error: { message: string } }).error.message).toMatch(/per ip/);
  });

  it('ignores X-Forwarded-For by default and keys on it when config trusts the proxy', async () => {
    const ip = newIp();
    for (let i = 0; i < 5; i++) await get(app, '/v1/auth/me', ip, { 'X-Forwarded-For': newIp() });
    expect((await get(app, '/v1/auth/me', ip, { 'X-Forwarded-For': newIp() })).status).toBe(429);

    const trusting = createApp({
      config: testConfig({ ...limits, APP_RATE_LIMIT__TRUST_FORWARDED_FOR: 'true' }),
      logger: silentLogger(),
      ...services,
    });
    const proxy = newIp();
    const client = newIp();
    for (let i = 0; i < 5; i++) {
      expect((await get(trusting, '/v1/auth/me', proxy, { 'X-Forwarded-For': `1.2.3.4, ${client}` })).status).toBe(401);
    }
    expect((await get(trusting, '/v1/auth/me', proxy, { 'X-Forwarded-For': client })).status).toBe(429);
    expect((await get(trusting, '/v1/auth/me', proxy, { 'X-Forwarded-For': newIp() })).status).toBe(401);
  });

  it('holds exactly under load: of 40 concurrent requests from one address, exactly the limit (5) get through', async () => {
    const ip = newIp();
    // A customer's own limit (3) would bind first: each request is a different customer.
    const tokens = await Promise.all(Array.from({ length: 40 }, () => customerToken()));
    const responses = await Promise.all(
      tokens.map(async (t) => get(app, '/v1/auth/me', ip, { Authorization: `Bearer ${t}` })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
  });

  it('holds exactly under load per customer: of 30 concurrent requests with one token, exactly 3 get through', async () => {
    const token = await customerToken();
    const responses = await Promise.all(
      Array.from({ length: 30 }, async () => get(app, '/v1/auth/me', newIp(), { Authorization: `Bearer ${token}` })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(27);
  });

  it('leases tokens and still counts exactly: a burst of 700 from one address at a limit of 320 lets 320 through', async () => {
    // 320 / LEASE_SHARE = 10: leases of 1, 2, 4, 8, 10, ... tokens; no answer may be lost or doubled by them.
    const wide = createApp({
      config: testConfig({ ...limits, APP_RATE_LIMIT__PER_IP_PER_MINUTE: String(10 * LEASE_SHARE) }),
      logger: silentLogger(),
      ...services,
    });
    const ip = newIp();
    const responses = await Promise.all(Array.from({ length: 700 }, async () => get(wide, '/v1/nowhere', ip)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 404)).toHaveLength(320);
    expect(statuses.filter((s) => s === 429)).toHaveLength(380);
    // Every token handed out once: the passed answers' RateLimit-Remaining are 319 … 0, each once.
    const remaining = responses
      .filter((r) => r.status === 404)
      .map((r) => Number(r.headers.get('RateLimit-Remaining')));
    expect(remaining.sort((a, b) => a - b)).toEqual(Array.from({ length: 320 }, (_, i) => i));
    expect(await services.redis.get(`rl:ip:${ip}`)).toBe('320');
  });

  it('counts one request at a time as Redis would, with leases of several tokens', async () => {
    const wide = createApp({
      config: testConfig({ ...limits, APP_RATE_LIMIT__PER_IP_PER_MINUTE: String(4 * LEASE_SHARE) }),
      logger: silentLogger(),
      ...services,
    });
    const ip = newIp();
    for (let i = 1; i <= 12; i++) {
      const res = await get(wide, '/v1/nowhere', ip);
      expect(rateHeaders(res)).toMatchObject({
        limit: String(4 * LEASE_SHARE),
        remaining: String(4 * LEASE_SHARE - i),
      });
    }
  });

  it('never lets more than the limit through from several processes: each leases from the same window', async () => {
    const limit = 8 * LEASE_SHARE;
    const cfg = testConfig({ ...limits, APP_RATE_LIMIT__PER_IP_PER_MINUTE: String(limit) });
    // Two API processes: two apps, each with its own Redis connection and so its own leases.
    const second = services.redis.duplicate();
    const apps = [
      createApp({ config: cfg, logger: silentLogger(), ...services }),
      createApp({ config: cfg, logger: silentLogger(), ...services, redis: second }),
    ];
    const ip = newIp();
    const responses = await Promise.all(
      Array.from({ length: 800 }, async (_, i) => get(apps[i % 2]!, '/v1/nowhere', ip)),
    );
    const passed = responses.filter((r) => r.status === 404).length;
    expect(passed).toBeLessThanOrEqual(limit);
    // Refused early: at most the other process's unspent lease, max(1, limit / LEASE_SHARE) tokens.
    expect(passed).toBeGreaterThanOrEqual(limit - limit / LEASE_SHARE);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(800 - passed);
    expect(Number(await services.redis.get(`rl:ip:${ip}`))).toBe(limit);
    second.disconnect();
  });

  it('does not count requests with no client address (app.request() without a socket)', async () => {
    for (let i = 0; i < 7; i++) expect((await app.request('/v1/auth/me')).status).toBe(401);
  });

  it('lets requests through when Redis is away', async () => {
    const token = await customerToken();
    // A port nothing listens on: Redis stays away for the whole request (a lazy client on the real server connects
    // while the request awaits its customer look-up, and the later limit would then count). Not a duplicate of
    // services.redis: a Cluster client's duplicate takes its nodes.
    const redis = new Redis({
      port: await freePort(),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    redis.on('error', () => {}); // refused connections are the point here
    const offline = createApp({ config, logger: silentLogger(), ...services, redis });
    const res = await get(offline, '/v1/auth/me', newIp(), { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('RateLimit-Limit')).toBeNull();
    redis.disconnect();
  });
});
