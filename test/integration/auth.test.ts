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
    const subject = randomUUID();
    const claims = { kind: 'GUEST', role: 'customer' };
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
          const { token } = await issueToken(config, { id: subject, kind: 'GUEST', role: 'customer' });
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
        async () => `Bearer ${(await issueToken(config, { id: subject, kind: 'GUEST', role: 'customer' }, -5)).token}`,
      ],
    ];

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
      const { token } = await issueToken(config, { id: subject, kind: 'GUEST', role: 'customer' }, -5);
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
    const customer = await issueToken(config, { id: randomUUID(), kind: 'USER', role: 'customer' });
    const denied = await app.request('/test/admin', { headers: bearer(customer.token) });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as ErrorJson).error.code).toBe('FORBIDDEN');

    const adminId = randomUUID();
    const admin = await issueToken(config, { id: adminId, kind: 'USER', role: 'admin' });
    const allowed = await app.request('/test/admin', { headers: bearer(admin.token) });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ ok: true, customer: { id: adminId, kind: 'USER', role: 'admin' } });
  });
});
