import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import { requireAuth } from '../../api/middleware/auth';
import { idempotency } from '../../api/middleware/idempotency';
import { createRouter } from '../../api/router';
import { idempotencyKeys } from '../../db/schema';
import { canonicalJson } from '../../domain/canonical-json';
import type { Services } from '../../lib/services';
import { purgeIdempotencyKeys } from '../../services/idempotency-store';
import { openTestServices, silentLogger, testConfig } from '../support/services';
import { tokenFor } from '../support/tokens';

const config = testConfig();
let services: Services;
let app: App;
const customerIds: string[] = [];
let calls = 0;
let failNext = false;
/** Resolves the promise a test awaits when the slow route's handler has started (the key is claimed by then). */
let slowEntered: () => void = () => undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  services = await openTestServices(config);
  app = createApp({ config, logger: silentLogger(), ...services });

  // A creating POST that counts how often it really runs.
  const things = createRouter();
  things.use('*', requireAuth, idempotency({ waitMs: 10_000 }));
  things.post('/', async (c) => {
    calls += 1;
    const body = await c.req.json<Record<string, unknown>>();
    await sleep(150);
    if (failNext) {
      failNext = false;
      throw new Error('the database went away');
    }
    if (body.invalid) return c.json({ error: { code: 'VALIDATION_FAILED', message: 'invalid thing' } }, 400);
    if (body.conflict) return c.json({ error: { code: 'SOLD_OUT', message: 'no seats left' } }, 409);
    return c.json({ id: randomUUID(), call: calls, received: body }, 201);
  });
  app.route('/test/things', things);

  const slow = createRouter();
  slow.use('*', requireAuth, idempotency({ waitMs: 100 }));
  slow.post('/', async (c) => {
    slowEntered();
    await sleep(1_000);
    return c.json({ done: true }, 201);
  });
  app.route('/test/slow', slow);
});

beforeEach(() => {
  calls = 0;
  failNext = false;
});

afterAll(async () => {
  await services.db.delete(idempotencyKeys).where(inArray(idempotencyKeys.customerId, customerIds));
  await services.close();
});

async function newCustomer() {
  const caller = await tokenFor(services, config, 'customer', 'GUEST');
  customerIds.push(caller.id);
  return caller;
}

async function create(token: string, body: unknown, key?: string, path = '/test/things'): Promise<Response> {
  return app.request(path, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      ...(key === undefined ? {} : { 'Idempotency-Key': key }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface Thing {
  id: string;
  call: number;
  received: unknown;
}

describe('Idempotency-Key', () => {
  it('replays the stored answer for the same key and body (in any key order), running the handler once', async () => {
    const { token } = await newCustomer();
    const key = randomUUID();
    const first = await create(token, { route: 'JFK-LHR', travelers: [{ ptc: 'ADT' }] }, key);
    expect(first.status).toBe(201);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    const firstBody = (await first.json()) as Thing;

    const again = await create(token, '{ "travelers": [{"ptc":"ADT"}], "route": "JFK-LHR" }', key);
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(firstBody);
    expect(calls).toBe(1);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body or path', async () => {
    const { token } = await newCustomer();
    const key = randomUUID();
    expect((await create(token, { n: 1 }, key)).status).toBe(201);

    const otherBody = await create(token, { n: 2 }, key);
    expect(otherBody.status).toBe(422);
    expect(((await otherBody.json()) as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const otherPath = await create(token, { n: 1 }, key, '/test/slow');
    expect(otherPath.status).toBe(422);
    expect(calls).toBe(1);
  });

  it('runs the handler exactly once for ten concurrent requests with one key', async () => {
    const { token } = await newCustomer();
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 10 }, () => create(token, { seats: ['12A'] }, key)));
    expect(calls).toBe(1);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Thing[];
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('Idempotent-Replayed') === 'true')).toHaveLength(9);
  });

  it('answers 409 CONFLICT while the first request is still running past the wait', async () => {
    const { token } = await newCustomer();
    const key = randomUUID();
    const entered = new Promise<void>((resolve) => (slowEntered = resolve));
    const first = create(token, {}, key, '/test/slow');
    await entered;
    const second = await create(token, {}, key, '/test/slow');
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'CONFLICT',
      message: 'a request with this key is in progress',
    });
    expect((await first).status).toBe(201);
    const third = await create(token, {}, key, '/test/slow');
    expect(third.status).toBe(201);
    expect(third.headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('does not store a 5xx: the key is released and a retry runs the handler again', async () => {
    const { id, token } = await newCustomer();
    const key = randomUUID();
    failNext = true;
    const failed = await create(token, { n: 1 }, key);
    expect(failed.status).toBe(500);
    const rows = await services.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.customerId, id));
    expect(rows).toHaveLength(0);

    const retried = await create(token, { n: 1 }, key);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    expect(calls).toBe(2);
  });

  it('stores and replays a 4xx answer of a request that ran (409)', async () => {
    const { token } = await newCustomer();
    const key = randomUUID();
    const first = await create(token, { conflict: true }, key);
    expect(first.status).toBe(409);
    const replay = await create(token, { conflict: true }, key);
    expect(replay.status).toBe(409);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await replay.json()).toEqual(await first.json());
    expect(calls).toBe(1);
  });

  it('keeps no key for a request refused as bad input: the corrected request with the same key runs', async () => {
    const { token } = await newCustomer();
    const key = randomUUID();
    expect((await create(token, { invalid: true }, key)).status).toBe(400);
    const corrected = await create(token, { n: 1 }, key);
    expect(corrected.status).toBe(201);
    expect(corrected.headers.get('Idempotent-Replayed')).toBeNull();
    const replay = await create(token, { n: 1 }, key);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(calls).toBe(2);
  });

  it('scopes keys by customer, and runs every request without a key', async () => {
    const a = await newCustomer();
    const b = await newCustomer();
    const key = randomUUID();
    expect((await create(a.token, { n: 1 }, key)).status).toBe(201);
    const fromB = await create(b.token, { n: 1 }, key);
    expect(fromB.status).toBe(201);
    expect(fromB.headers.get('Idempotent-Replayed')).toBeNull();
    await create(a.token, { n: 1 });
    await create(a.token, { n: 1 });
    expect(calls).toBe(4);
  });

  it('rejects a malformed key with 400', async () => {
    const { token } = await newCustomer();
    expect((await create(token, {}, 'x'.repeat(256))).status).toBe(400);
    expect((await create(token, {}, 'has space')).status).toBe(400);
    expect(calls).toBe(0);
  });

  it('takes over an expired record (over 24 h) or an abandoned claim, and purges old records', async () => {
    const { id, token } = await newCustomer();
    const expiredKey = randomUUID();
    const abandonedKey = randomUUID();
    const old = new Date(Date.now() - 25 * 3600_000);
    await services.db.insert(idempotencyKeys).values([
      { customerId: id, key: expiredKey, method: 'POST', path: '/x', requestHash: 'h', status: 201, createdAt: old },
      {
        customerId: id,
        key: abandonedKey,
        method: 'POST',
        path: '/x',
        requestHash: 'h',
        createdAt: new Date(Date.now() - 5 * 60_000),
      },
    ]);
    expect((await create(token, { n: 1 }, expiredKey)).status).toBe(201);
    expect((await create(token, { n: 2 }, abandonedKey)).status).toBe(201);
    expect(calls).toBe(2);

    const purgeKey = randomUUID();
    await services.db
      .insert(idempotencyKeys)
      .values({ customerId: id, key: purgeKey, method: 'POST', path: '/x', requestHash: 'h', createdAt: old });
    expect(await purgeIdempotencyKeys(services.db)).toBeGreaterThanOrEqual(1);
    const left = await services.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.customerId, id), eq(idempotencyKeys.key, purgeKey)));
    expect(left).toHaveLength(0);
  });

  it('hashes JSON canonically', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
  });
});
