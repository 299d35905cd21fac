/**
 * Manage booking without an account (issue #16): POST /v1/orders/lookup finds an order by booking reference and a
 * traveler's last name and answers a token that reaches that one order. Played as a hostile client would: the
 * answer for an unknown reference and for a wrong name is the same 404; bad input is a 400 that changes nothing;
 * the per-reference and per-IP limits hold exactly under a concurrent burst and count a reference whether or not
 * it exists; the token reaches nothing but its order (not the owner's other orders, not the list, not sign-out,
 * not staff routes even when an agent owns the order) and dies with the owner's sign-out. On the real stack.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordLocator } from '../../domain/record-locator';
import type { Services } from '../../lib/services';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute } from '../support/flights';
import { apiClient, startOrderStack, type OrderStack } from '../support/harness';
import { ledgerCheckedAfterEachTest } from '../support/ledger-invariants';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';

const route = testRoute('order-lookup');
const PER_REFERENCE = 8;
const PER_IP = 6;

let services: Services;
let stack: OrderStack;
let api: ReturnType<typeof apiClient>;
let owner: { id: string; token: string };

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services, {
    // Each test comes from an address of its own (X-Forwarded-For), so the per-IP limit can be played exactly.
    APP_RATE_LIMIT__TRUST_FORWARDED_FOR: 'true',
    APP_RATE_LIMIT__ORDER_LOOKUPS_PER_IP_PER_HOUR: String(PER_IP),
    APP_RATE_LIMIT__ORDER_LOOKUPS_PER_REFERENCE_PER_HOUR: String(PER_REFERENCE),
  });
  api = apiClient(stack.apiUrl);
  owner = await tokenFor(services, stack.config);
});

ledgerCheckedAfterEachTest(() => ({ services, stack }), [route]);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

let dayOffset = 3 + Math.floor(Math.random() * 40) * 5;
const nextDay = () => new Date(Date.now() + dayOffset++ * 86_400_000).toISOString().slice(0, 10);
// The limits' counters live in Redis for an hour: addresses of this run only (10.a.b.n, a.b random).
const run = `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
let address = 0;
/** A client address of its own (the stack trusts X-Forwarded-For), so each test has its own per-IP bucket. */
const newAddress = () => `${run}.${++address}`;

const travelers = [
  { ptc: 'ADT', first_name: 'Inés', last_name: "Núñez-O'Brien" },
  { ptc: 'ADT', first_name: 'Jan', last_name: 'de Vries' },
] as const;

/** A paid order of `as` for the two travelers above; its id and booking reference. */
async function paidOrder(as = owner.token): Promise<{ id: string; reference: string }> {
  const f = await createTestFlight(services, { route, departureAt: new Date(`${nextDay()}T09:00:00Z`), capacity: 10 });
  const offer = await createTestOffer(services.redis, [f], { passengers: { adults: 2 } });
  const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
    token: as,
    body: { travelers, contact: { email: 'ines@example.com' } },
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
  const id = accepted.body.id as string;
  const paid = await api('POST', `/v1/orders/${id}/pay`, { token: as, body: { payment_token: 'tok_visa' } });
  expect(paid.body.status, JSON.stringify(paid.body)).toBe('FULFILLED');
  return { id, reference: recordLocator(id) };
}

const lookup = (body: unknown, ip: string) =>
  api('POST', '/v1/orders/lookup', { body, headers: { 'X-Forwarded-For': ip } });

/** A reference no order has (the alphabet of domain/record-locator.ts, checked against Postgres). */
async function unknownReference(): Promise<string> {
  for (;;) {
    const ref = recordLocator(randomUUID());
    const [row] = await services.sql`SELECT 1 FROM orders WHERE booking_reference = ${ref}`;
    if (!row) return ref;
  }
}

describe('POST /v1/orders/lookup', () => {
  it('finds the order by reference and any traveler’s last name, however it is typed, with a token for it', async () => {
    const order = await paidOrder();
    const ip = newAddress();
    for (const lastName of ["Núñez-O'Brien", 'NUNEZ OBRIEN', 'nunezobrien', '  de vries ', 'DEVRIES']) {
      const res = await lookup({ booking_reference: order.reference.toLowerCase(), last_name: lastName }, ip);
      expect(res.status, `${lastName}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body).toMatchObject({ order_id: order.id, booking_reference: order.reference, token_type: 'Bearer' });
      const ttl = (Date.parse(res.body.expires_at as string) - Date.now()) / 1000;
      expect(ttl).toBeGreaterThan(stack.config.auth.order_lookup_token_ttl_seconds - 60);
      expect(ttl).toBeLessThanOrEqual(stack.config.auth.order_lookup_token_ttl_seconds);
    }
    const { body } = await lookup({ booking_reference: order.reference, last_name: 'de Vries' }, newAddress());
    const token = body.token as string;
    const read = await api('GET', `/v1/orders/${order.id}`, { token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: order.id, status: 'FULFILLED', booking_reference: order.reference });
    expect((await api('GET', `/v1/orders/${order.id}/fulfillment`, { token })).status).toBe(200);
    const timeline = await api('GET', `/v1/orders/${order.id}/timeline`, { token });
    expect(timeline.status).toBe(200);
    expect(timeline.body.workflow.web_ui_url).toBeNull();
    // and it services the order: a cancellation quote
    const quote = await api('POST', `/v1/orders/${order.id}/cancellation-quotes`, {
      token,
      body: {},
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(quote.status, JSON.stringify(quote.body)).toBe(201);
  });

  it('answers an unknown reference and a wrong name alike: 404, the same body, nothing said of which', async () => {
    const order = await paidOrder();
    const ip = newAddress();
    const wrongName = await lookup({ booking_reference: order.reference, last_name: 'Smith' }, ip);
    const unknown = await lookup({ booking_reference: await unknownReference(), last_name: 'de Vries' }, ip);
    // A traveler's FIRST name is not a last name.
    const firstName = await lookup({ booking_reference: order.reference, last_name: 'Inés' }, ip);
    for (const res of [wrongName, unknown, firstName]) {
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({
        code: 'NOT_FOUND',
        message: 'no booking has this reference and last name',
      });
      expect(res.body.token).toBeUndefined();
    }
    const strip = (h: Headers) =>
      [...h.keys()]
        .filter((k) => !['date', 'x-request-id', 'content-length', 'ratelimit-remaining'].includes(k))
        .sort();
    expect(strip(wrongName.headers)).toEqual(strip(unknown.headers));
    expect(wrongName.body.error.details ?? null).toEqual(unknown.body.error.details ?? null);
  });

  it('refuses bad input with the field named, and counts nothing against the reference', async () => {
    const order = await paidOrder();
    const cases: [unknown, string][] = [
      [{ booking_reference: 'ABC', last_name: 'Doe' }, 'booking_reference'],
      [{ booking_reference: 'ABC-12', last_name: 'Doe' }, 'booking_reference'],
      [{ booking_reference: order.reference, last_name: "-'- " }, 'last_name'],
      [{ booking_reference: order.reference, last_name: 'x'.repeat(36) }, 'last_name'],
      [{ booking_reference: order.reference }, 'last_name'],
      [{ booking_reference: order.reference, last_name: 'Doe', order_id: order.id }, ''],
    ];
    for (const [body, path] of cases) {
      const res = await lookup(body, newAddress());
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      if (path) expect((res.body.error.details.issues as { path: string }[]).map((i) => i.path)).toContain(path);
    }
    expect((await lookup('not json', newAddress())).status).toBe(400);
    // the reference's own limit was not touched by those: all of it is left
    const ok = await lookup({ booking_reference: order.reference, last_name: 'de Vries' }, newAddress());
    expect(ok.status).toBe(200);
  });

  it('limits guesses per reference, existing or not, exactly under a concurrent burst', async () => {
    const order = await paidOrder();
    const missing = await unknownReference();
    for (const reference of [order.reference, missing]) {
      // Each guess from another address: the reference's own limit is what stops them.
      const burst = await Promise.all(
        Array.from({ length: PER_REFERENCE + 5 }, () =>
          lookup({ booking_reference: reference, last_name: 'Guess' }, newAddress()),
        ),
      );
      const statuses = burst.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 404)).toHaveLength(PER_REFERENCE);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
      const limited = burst.find((r) => r.status === 429)!;
      expect(limited.body.error.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Over the limit even the right name is refused, until the hour is over: guessing cannot continue behind it.
    const right = await lookup({ booking_reference: order.reference, last_name: 'de Vries' }, newAddress());
    expect(right.status).toBe(429);
  });

  it('limits look-ups per client address, exactly under a concurrent burst', async () => {
    const ip = newAddress();
    const refs = await Promise.all(Array.from({ length: PER_IP + 4 }, unknownReference));
    const burst = await Promise.all(refs.map((ref) => lookup({ booking_reference: ref, last_name: 'Doe' }, ip)));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 404)).toHaveLength(PER_IP);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    // another address is not affected
    expect((await lookup({ booking_reference: refs[0]!, last_name: 'Doe' }, newAddress())).status).toBe(404);
  });
});

describe('a booking-lookup token', () => {
  it('reaches its order and nothing else: not the owner’s other orders, the list, sign-out or booking', async () => {
    const [order, sibling] = [await paidOrder(), await paidOrder()];
    const stranger = await tokenFor(services, stack.config);
    const theirs = await paidOrder(stranger.token);
    const { body } = await lookup({ booking_reference: order.reference, last_name: 'de vries' }, newAddress());
    const token = body.token as string;

    for (const id of [sibling.id, theirs.id, randomUUID()]) {
      const res = await api('GET', `/v1/orders/${id}`, { token });
      expect(res.status, id).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
      const quote = await api('POST', `/v1/orders/${id}/cancellation-quotes`, {
        token,
        body: {},
        headers: { 'Idempotency-Key': randomUUID() },
      });
      expect(quote.status).toBe(404);
    }
    const offer = await createTestOffer(services.redis, [
      await createTestFlight(services, { route, departureAt: new Date(`${nextDay()}T09:00:00Z`), capacity: 10 }),
    ]);
    const forbidden: [string, string, unknown?][] = [
      ['GET', '/v1/orders'],
      ['GET', '/v1/auth/me'],
      ['POST', '/v1/auth/sign-out'],
      ['POST', `/v1/offers/${offer.id}/accept`, { travelers: [travelers[0]], contact: { email: 'x@example.com' } }],
      ['POST', '/v1/holds/trip', {}],
    ];
    for (const [method, path, reqBody] of forbidden) {
      const res = await api(method, path, { token, body: reqBody });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    // The refused sign-out revoked nothing: the owner's own token and the lookup token still work.
    expect((await api('GET', `/v1/orders/${sibling.id}`, { token: owner.token })).status).toBe(200);
    expect((await api('GET', `/v1/orders/${order.id}`, { token })).status).toBe(200);
    // A token whose claims were edited (another order) is not a token of ours.
    const [head, payload, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...claims, ord: sibling.id })).toString('base64url')}.${sig}`;
    expect((await api('GET', `/v1/orders/${sibling.id}`, { token: forged })).status).toBe(401);
  });

  it('is a customer’s token even when an agent owns the order, and dies with the owner’s sign-out', async () => {
    const agent = await tokenFor(services, stack.config, 'agent');
    const order = await paidOrder(agent.token);
    const { body } = await lookup({ booking_reference: order.reference, last_name: 'DE VRIES' }, newAddress());
    const token = body.token as string;
    const timeline = await api('GET', `/v1/orders/${order.id}/timeline`, { token });
    expect(timeline.status).toBe(200);
    expect(timeline.body.workflow.web_ui_url).toBeNull(); // staff only: the agent's own token gets it
    const staff = await api('GET', `/v1/orders/${order.id}/timeline`, { token: agent.token });
    expect(staff.body.workflow.web_ui_url).toEqual(expect.any(String));
    expect((await api('GET', '/v1/admin/flights', { token })).status).toBe(403);

    expect((await api('POST', '/v1/auth/sign-out', { token: agent.token })).status).toBe(204);
    const after = await api('GET', `/v1/orders/${order.id}`, { token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');
  });
});
