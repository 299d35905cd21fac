import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import { issueToken, ownerIds } from '../../api/auth';
import { requireAuth, requireRole } from '../../api/middleware/auth';
import { createRouter } from '../../api/router';
import { customers, orders } from '../../db/schema';
import type { Services } from '../../lib/services';
import { openTestServices, silentLogger, testConfig } from '../support/services';
import { tokenFor } from '../support/tokens';

const config = testConfig();
let services: Services;
let app: App;
const createdCustomers: string[] = [];

beforeAll(async () => {
  services = await openTestServices(config);
  app = createApp({ config, logger: silentLogger(), ...services });
  const admin = createRouter();
  admin.use('*', requireAuth, requireRole('admin'));
  admin.get('/', (c) => c.json({ ok: true, customer: c.get('customer') }));
  app.route('/test/admin', admin);
});

afterAll(async () => {
  if (createdCustomers.length > 0) {
    await services.db.delete(orders).where(inArray(orders.customerId, createdCustomers));
    await services.db.delete(customers).where(inArray(customers.id, createdCustomers));
  }
  await services.close();
});

interface TokenBody {
  token: string;
  customer_id: string;
  expires_at: string;
  claimed_guest_id?: string;
}
interface ErrorJson {
  error: { code: string; message: string; request_id?: string };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function post(path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { res, json: (await res.json()) as TokenBody & ErrorJson };
}

async function guest(): Promise<TokenBody> {
  const { res, json } = await post('/v1/auth/guest');
  expect(res.status).toBe(200);
  createdCustomers.push(json.customer_id);
  return json;
}

async function register(email: string, password: string, headers: Record<string, string> = {}) {
  const result = await post('/v1/auth/register', { email, password }, headers);
  if (result.res.status === 201) createdCustomers.push(result.json.customer_id);
  return result;
}

async function me(token: string) {
  const res = await app.request('/v1/auth/me', { headers: bearer(token) });
  return { res, json: (await res.json()) as Record<string, unknown> & ErrorJson };
}

async function insertOrder(customerId: string): Promise<string> {
  const id = randomUUID();
  await services.db.insert(orders).values({
    id,
    customerId,
    source: 'OFFER',
    status: 'PROPOSED',
    currency: 'USD',
    totalAmount: 12_345,
    expiresAt: new Date(Date.now() + 30 * 60_000),
  });
  return id;
}

async function orderOwner(orderId: string) {
  const [row] = await services.db.select({ customerId: orders.customerId }).from(orders).where(eq(orders.id, orderId));
  return row?.customerId;
}

const email = () => `traveler-${randomUUID()}@example.com`;
const PASSWORD = 'correct horse battery staple';

describe('guest tokens', () => {
  it('POST /v1/auth/guest creates a guest and a token that authenticates', async () => {
    const body = await guest();
    expect(body.token.split('.')).toHaveLength(3);
    expect(new Date(body.expires_at).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const [row] = await services.db.select().from(customers).where(eq(customers.id, body.customer_id));
    expect(row).toMatchObject({ kind: 'GUEST', email: null, role: 'customer' });

    const { res, json } = await me(body.token);
    expect(res.status).toBe(200);
    expect(json).toMatchObject({ customer_id: body.customer_id, kind: 'GUEST', role: 'customer', email: null });
  });

  describe('a bad token is 401 UNAUTHENTICATED in the JSON error shape', () => {
    // A real guest: each case's token differs from one the API accepts only in what the case names.
    let subject: string;
    beforeAll(async () => {
      subject = (await tokenFor(services, config, 'customer', 'GUEST')).id;
      createdCustomers.push(subject);
    });
    const claims = { kind: 'GUEST', role: 'customer', ver: 0 };
    const secret = new TextEncoder().encode(config.auth.jwt_secret);
    /** A bearer header for an HS256 JWT signed with `key` (the right secret unless said), varied as each case says. */
    const bearer = async (o: {
      payload?: Record<string, unknown>;
      alg?: string;
      issuer?: string;
      key?: Uint8Array;
      iat?: number;
      exp?: number | string | null;
    }) => {
      let jwt = new SignJWT(o.payload ?? claims)
        .setProtectedHeader({ alg: o.alg ?? 'HS256' })
        .setIssuer(o.issuer ?? config.auth.jwt_issuer)
        .setSubject(subject);
      if (o.iat !== undefined) jwt = jwt.setIssuedAt(o.iat);
      if (o.exp !== null) jwt = jwt.setExpirationTime(o.exp ?? '1h');
      return `Bearer ${await jwt.sign(o.key ?? secret)}`;
    };
    const now = () => Math.floor(Date.now() / 1000);
    const cases: [string, () => Promise<string | undefined>][] = [
      ['no Authorization header', async () => undefined],
      ['garbage', async () => 'Bearer not-a-jwt'],
      ['another scheme', async () => 'Basic dXNlcjpwYXNz'],
      ['an empty bearer', async () => 'Bearer '],
      [
        'alg: none',
        async () =>
          `Bearer ${new UnsecuredJWT(claims).setIssuer(config.auth.jwt_issuer).setSubject(subject).setExpirationTime('1h').encode()}`,
      ],
      ['a wrong signature', () => bearer({ key: new TextEncoder().encode('x'.repeat(48)) })],
      ['another algorithm with the right secret (HS512)', () => bearer({ alg: 'HS512' })],
      ['a wrong issuer', () => bearer({ issuer: 'someone-else' })],
      ['no expiry', () => bearer({ exp: null })],
      ['an unknown role', () => bearer({ payload: { kind: 'USER', role: 'root' } })],
      [
        'a payload changed after signing (role: admin)',
        async () => {
          const { token } = await issueToken(config, { id: subject, kind: 'GUEST', role: 'customer', tokenVersion: 0 });
          const [h, p, s] = token.split('.');
          const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
          const forged = Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url');
          return `Bearer ${h}.${forged}.${s}`;
        },
      ],
      // Valid signature and expiry, but issued "in the future": a forged clock or a token minted to outlive rotation.
      ['an iat an hour in the future', () => bearer({ iat: now() + 3600, exp: now() + 7200 })],
      ['issued longer ago than any token lives', () => bearer({ iat: now() - 30 * 86_400, exp: now() + 3600 })],
      ['no iat', () => bearer({})],
      [
        'an expired token',
        async () =>
          `Bearer ${(await issueToken(config, { id: subject, kind: 'GUEST', role: 'customer', tokenVersion: 0 }, -5)).token}`,
      ],
      // Signed with the right key, but not a token for a customer as it is now.
      [
        'a customer id that does not exist',
        async () =>
          `Bearer ${(await issueToken(config, { id: randomUUID(), kind: 'GUEST', role: 'customer', tokenVersion: 0 })).token}`,
      ],
      ['no token version (ver)', () => bearer({ payload: { kind: 'GUEST', role: 'customer' }, iat: now() })],
      ['a token version that is not current', () => bearer({ payload: { ...claims, ver: 1 }, iat: now() })],
      ['another role than the customer has', () => bearer({ payload: { ...claims, role: 'admin' }, iat: now() })],
      ['another kind than the customer is', () => bearer({ payload: { ...claims, kind: 'USER' }, iat: now() })],
    ];

    it('the same token with nothing wrong is accepted (so each case fails for what it names)', async () => {
      const res = await app.request('/v1/auth/me', { headers: { authorization: await bearer({ iat: now() }) } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ customer_id: subject, kind: 'GUEST', role: 'customer' });
    });

    it.each(cases)('%s', async (_name, header) => {
      const authorization = await header();
      const res = await app.request('/v1/auth/me', authorization === undefined ? {} : { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
      const body = (await res.json()) as ErrorJson;
      expect(body.error.code).toBe('UNAUTHENTICATED');
      expect(body.error.message).toEqual(expect.any(String));
      expect(body.error.request_id).toEqual(res.headers.get('X-Request-Id'));
    });

    it('says when a token has expired', async () => {
      const { token } = await issueToken(config, { id: subject, kind: 'GUEST', role: 'customer', tokenVersion: 0 }, -5);
      const { json } = await me(token);
      expect(json.error.message).toMatch(/expired/);
    });
  });
});

describe('accounts', () => {
  it('register claims the guest of the bearer token: its orders move to the account', async () => {
    const g = await guest();
    const orderId = await insertOrder(g.customer_id);
    expect(await ownerIds(services, { id: g.customer_id })).toEqual([g.customer_id]); // now cached

    const address = email();
    const { res, json } = await register(address.toUpperCase(), PASSWORD, bearer(g.token));
    expect(res.status).toBe(201);
    expect(json.claimed_guest_id).toBe(g.customer_id);
    const userId = json.customer_id;

    const [user] = await services.db.select().from(customers).where(eq(customers.id, userId));
    expect(user).toMatchObject({ kind: 'USER', email: address, role: 'customer' });
    expect(user!.passwordHash).toMatch(/^\$argon2id\$/);
    const [claimedGuest] = await services.db.select().from(customers).where(eq(customers.id, g.customer_id));
    expect(claimedGuest!.claimedById).toBe(userId);
    expect(await orderOwner(orderId)).toBe(userId);

    // The guest token still works and resolves to the account for ownership (the cache was cleared).
    expect(await ownerIds(services, { id: g.customer_id })).toEqual([userId, g.customer_id]);
    expect(await ownerIds(services, { id: userId })).toEqual([userId, g.customer_id]);
    const guestMe = await me(g.token);
    expect(guestMe.res.status).toBe(200);
    expect(guestMe.json).toMatchObject({ customer_id: g.customer_id, kind: 'GUEST', claimed_by_id: userId });

    const userMe = await me(json.token);
    expect(userMe.json).toMatchObject({ customer_id: userId, kind: 'USER', email: address });
  });

  it('login answers a token, and with a guest token claims that guest too', async () => {
    const address = email();
    const registered = await register(address, PASSWORD);
    expect(registered.res.status).toBe(201);
    expect(registered.json.claimed_guest_id).toBeUndefined();
    const userId = registered.json.customer_id;

    const plain = await post('/v1/auth/login', { email: address, password: PASSWORD });
    expect(plain.res.status).toBe(200);
    expect(plain.json.customer_id).toBe(userId);
    expect((await me(plain.json.token)).json).toMatchObject({ customer_id: userId, kind: 'USER' });

    const g = await guest();
    const orderId = await insertOrder(g.customer_id);
    const claiming = await post(
      '/v1/auth/login',
      { email: address.toUpperCase(), password: PASSWORD },
      bearer(g.token),
    );
    expect(claiming.res.status).toBe(200);
    expect(claiming.json.claimed_guest_id).toBe(g.customer_id);
    expect(await orderOwner(orderId)).toBe(userId);
    expect(new Set(await ownerIds(services, { id: userId }))).toEqual(new Set([userId, g.customer_id]));
  });

  it('a guest already claimed by one account is not claimed again by another', async () => {
    const g = await guest();
    const orderId = await insertOrder(g.customer_id);
    const first = await register(email(), PASSWORD, bearer(g.token));
    expect(first.json.claimed_guest_id).toBe(g.customer_id);

    const second = await register(email(), PASSWORD, bearer(g.token));
    expect(second.res.status).toBe(201);
    expect(second.json.claimed_guest_id).toBeUndefined();
    expect(await orderOwner(orderId)).toBe(first.json.customer_id);
  });

  it('a duplicate email is 409, whatever its case', async () => {
    const address = email();
    expect((await register(address, PASSWORD)).res.status).toBe(201);
    const { res, json } = await register(address.toUpperCase(), 'another password entirely');
    expect(res.status).toBe(409);
    expect(json.error.code).toBe('CONFLICT');
  });

  it('a wrong password and an unknown email are the same 401', async () => {
    const address = email();
    await register(address, PASSWORD);
    const wrong = await post('/v1/auth/login', { email: address, password: 'not the password' });
    const unknown = await post('/v1/auth/login', { email: email(), password: PASSWORD });
    expect(wrong.res.status).toBe(401);
    expect(unknown.res.status).toBe(401);
    expect(wrong.json.error.code).toBe('UNAUTHENTICATED');
    expect(wrong.json.error.message).toBe(unknown.json.error.message);
    expect(wrong.json.error.message).not.toMatch(/exist|unknown|not found/i);
  });

  it('bad input is 400 and creates nothing; a bad bearer token is 401 and creates nothing', async () => {
    const address = email();
    const short = await register(address, 'short');
    expect(short.res.status).toBe(400);
    expect(short.json.error.code).toBe('VALIDATION_FAILED');
    expect((await register('not-an-email', PASSWORD)).res.status).toBe(400);

    const badBearer = await register(address, PASSWORD, bearer('nonsense'));
    expect(badBearer.res.status).toBe(401);
    const rows = await services.db.select().from(customers).where(eq(customers.email, address));
    expect(rows).toHaveLength(0);
  });
});

describe('requireRole', () => {
  it('is 403 FORBIDDEN for another role and lets the role through', async () => {
    const customer = await tokenFor(services, config, 'customer');
    createdCustomers.push(customer.id);
    const denied = await app.request('/test/admin', { headers: bearer(customer.token) });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as ErrorJson).error.code).toBe('FORBIDDEN');

    const admin = await tokenFor(services, config, 'admin');
    const adminId = admin.id;
    createdCustomers.push(adminId);
    const allowed = await app.request('/test/admin', { headers: bearer(admin.token) });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ ok: true, customer: { id: adminId, kind: 'USER', role: 'admin' } });
  });
});

describe('revocation: a token is accepted only while its customer has its role and token version', () => {
  it('POST /v1/auth/sign-out revokes every token of the customer issued so far', async () => {
    const address = email();
    expect((await register(address, PASSWORD)).res.status).toBe(201);
    const first = (await post('/v1/auth/login', { email: address, password: PASSWORD })).json.token;
    const second = (await post('/v1/auth/login', { email: address, password: PASSWORD })).json.token;
    expect((await me(first)).res.status).toBe(200);

    const out = await app.request('/v1/auth/sign-out', { method: 'POST', headers: bearer(first) });
    expect(out.status).toBe(204);
    for (const token of [first, second]) {
      const { res, json } = await me(token);
      expect(res.status).toBe(401);
      expect(json.error.code).toBe('UNAUTHENTICATED');
      expect(json.error.message).toMatch(/revoked/);
    }
    const again = await app.request('/v1/auth/sign-out', { method: 'POST', headers: bearer(first) });
    expect(again.status).toBe(401);

    // Signing in again gives a token that works.
    const fresh = (await post('/v1/auth/login', { email: address, password: PASSWORD })).json.token;
    expect((await me(fresh)).res.status).toBe(200);
  });

  it('a guest signs out too', async () => {
    const { token } = await guest();
    expect((await app.request('/v1/auth/sign-out', { method: 'POST', headers: bearer(token) })).status).toBe(204);
    expect((await me(token)).res.status).toBe(401);
  });

  it('a role removed revokes the old tokens, even once the role is given back', async () => {
    const address = email();
    expect((await register(address, PASSWORD)).res.status).toBe(201);
    await services.db.update(customers).set({ role: 'admin' }).where(eq(customers.email, address));
    const adminToken = (await post('/v1/auth/login', { email: address, password: PASSWORD })).json.token;
    expect((await app.request('/test/admin', { headers: bearer(adminToken) })).status).toBe(200);

    await services.db.update(customers).set({ role: 'customer' }).where(eq(customers.email, address));
    const removed = await app.request('/test/admin', { headers: bearer(adminToken) });
    expect(removed.status).toBe(401);
    expect((await me(adminToken)).res.status).toBe(401);

    // Given back: the role matches the token again, but its version does not (the trigger bumped it on each change).
    await services.db.update(customers).set({ role: 'admin' }).where(eq(customers.email, address));
    const [row] = await services.db.select().from(customers).where(eq(customers.email, address));
    expect(row!.tokenVersion).toBe(3); // customer → admin → customer → admin
    expect((await app.request('/test/admin', { headers: bearer(adminToken) })).status).toBe(401);
    const renewed = (await post('/v1/auth/login', { email: address, password: PASSWORD })).json.token;
    expect((await app.request('/test/admin', { headers: bearer(renewed) })).status).toBe(200);
  });

  it('a token whose customer was deleted is refused', async () => {
    const { id, token } = await tokenFor(services, config, 'agent');
    expect((await me(token)).res.status).toBe(200);
    await services.db.delete(customers).where(eq(customers.id, id));
    const { res, json } = await me(token);
    expect(res.status).toBe(401);
    expect(json.error.message).toMatch(/does not exist/);
  });

  it('an API process trusts its look-up for auth.customer_cache_ms: a revoked token passes at most that long', async () => {
    // A long TTL so that the bound shows without a clock: within it the revoked token still passes in this process.
    const cached = testConfig({ APP_AUTH__CUSTOMER_CACHE_MS: '600000' });
    const cachedApp = createApp({ config: cached, logger: silentLogger(), ...services });
    const { token } = await guest();
    const ask = () => cachedApp.request('/v1/auth/me', { headers: bearer(token) });
    expect((await ask()).status).toBe(200);
    expect((await app.request('/v1/auth/sign-out', { method: 'POST', headers: bearer(token) })).status).toBe(204);
    expect((await me(token)).res.status).toBe(401); // cache 0: refused at once
    expect((await ask()).status).toBe(200); // cached: still passes until the TTL runs out
  });
});
