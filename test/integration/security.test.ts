/**
 * Abuse of the API over real HTTP (startOrderStack): another customer's orders and trips, missing and forged
 * tokens, oversized, malformed and mistyped bodies, and injection strings in every text field. Every such
 * request gets a 4xx in the one JSON error shape (or, for text that is legitimately free, is stored verbatim)
 * and changes nothing: `footprint` compares everything the file's customers have in Postgres before and after.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventory } from '../../services/inventory';
import { issueToken } from '../../api/auth';
import { signWebhook } from '../../domain/webhook-signature';
import type { Services } from '../../lib/services';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import { startOrderStack, type OrderStack } from '../support/harness';
import {
  ABUSE_STACK_ENV,
  errorShapeProblem,
  footprint,
  missingTables,
  probeClient,
  testIp,
  type ProbeResponse,
  type Send,
} from '../support/probe';
import { openTestServices } from '../support/services';

const route = testRoute('security');

interface Party {
  id: string;
  token: string;
}

let services: Services;
let stack: OrderStack;
let send: Send;
let flight: TestFlight;
let alice: Party;
let bob: Party;
let bobUser: Party;
let aliceTrip: string;
let aliceOrder: string;
let aliceOfferId: string;
const emails: string[] = [];

const scope = () => ({ customerIds: [alice.id, bob.id, bobUser.id], emails });
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services, ABUSE_STACK_ENV);
  send = probeClient(stack.apiUrl, testIp());
  flight = await createTestFlight(services, { route, capacity: 40 });
  await createInventory(services).rebuildIndex([flight.id]);
  alice = await guest();
  bob = await guest();
  const email = `bob-${randomUUID()}@example.com`;
  const registered = await send('POST', '/v1/auth/register', { body: { email, password: 'a long enough password' } });
  expect(registered.status).toBe(201);
  bobUser = { id: body(registered).customer_id as string, token: body(registered).token as string };

  aliceTrip = await trip(alice);
  const pax = await send('POST', `/v1/holds/trip/${aliceTrip}/passengers`, {
    token: alice.token,
    body: { first_name: 'Alice', last_name: 'Liddell' },
  });
  expect(pax.status).toBe(201);
  const seat = await send('POST', '/v1/holds/seat', {
    token: alice.token,
    body: { trip_id: aliceTrip, flight_id: flight.id, seat_number: '1A' },
  });
  expect(seat.status).toBe(200);
  const offer = await createTestOffer(services.redis, [flight]);
  aliceOfferId = offer.id;
  aliceOrder = await accept(alice, offer.id);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

const body = (res: ProbeResponse) => res.json as Record<string, unknown>;

async function guest(): Promise<Party> {
  const res = await send('POST', '/v1/auth/guest');
  expect(res.status).toBe(200);
  return { id: body(res).customer_id as string, token: body(res).token as string };
}

async function trip(party: Party): Promise<string> {
  const res = await send('POST', '/v1/holds/trip', { token: party.token, body: { flight_ids: [flight.id] } });
  expect(res.status, res.text).toBe(201);
  return body(res).trip_id as string;
}

const traveler = { ptc: 'ADT', first_name: 'Alice', last_name: 'Liddell', date_of_birth: '1990-05-04' };
const contact = { email: 'alice@example.com' };

async function accept(party: Party, offerId: string): Promise<string> {
  const res = await send('POST', `/v1/offers/${offerId}/accept`, {
    token: party.token,
    body: { travelers: [traveler], contact },
  });
  expect(res.status, res.text).toBe(201);
  return body(res).id as string;
}

/** Runs `fn`, then checks that the file's customers have exactly what they had before. */
async function changesNothing(fn: () => Promise<void>): Promise<void> {
  const before = await footprint(services.sql, scope());
  await fn();
  expect(await footprint(services.sql, scope())).toEqual(before);
}

function expectError(res: ProbeResponse, status: number | number[], where: string) {
  const statuses = Array.isArray(status) ? status : [status];
  expect(statuses, `${where}: ${res.status} ${res.text.slice(0, 300)}`).toContain(res.status);
  expect(errorShapeProblem(res), `${where}: ${res.text.slice(0, 300)}`).toBeNull();
}

/** Every route that reads or changes one order or trip, aimed at `orderId` / `tripId`. */
const ownedRoutes = (orderId: string, tripId: string): [string, string, unknown?][] => [
  ['GET', `/v1/orders/${orderId}`],
  ['GET', `/v1/orders/${orderId}/fulfillment`],
  ['POST', `/v1/orders/${orderId}/pay`, { payment_token: 'tok_visa' }],
  ['POST', `/v1/orders/${orderId}/cancel`, { reason: 'not mine to cancel' }],
  ['GET', `/v1/orders/${tripId}`],
  ['GET', `/v1/orders/${tripId}/fulfillment`],
  ['POST', `/v1/orders/${tripId}/pay`, { payment_token: 'tok_visa' }],
  ['POST', `/v1/orders/${tripId}/cancel`, {}],
  ['POST', `/v1/holds/trip/${tripId}/passengers`, { first_name: 'Mallory', last_name: 'Mallet' }],
  ['POST', '/v1/holds/seat', { trip_id: tripId, flight_id: flight.id, seat_number: '2B' }],
  [
    'POST',
    '/v1/bookings/commit',
    {
      trip_id: tripId,
      user_email: 'mallory@example.com',
      payment_token: 'tok_visa',
      passengers: [
        { first_name: 'Mallory', last_name: 'Mallet', seats: [{ flight_id: flight.id, seat_number: '1A' }] },
      ],
    },
  ],
];

describe("another customer's orders and trips", () => {
  it('answer 404 on every order and trip route, exactly as an unknown id does, and change nothing', async () => {
    await changesNothing(async () => {
      for (const intruder of [bob, bobUser]) {
        const routes = ownedRoutes(aliceOrder, aliceTrip);
        const unknown = ownedRoutes(UNKNOWN, UNKNOWN);
        for (const [i, [method, path, payload]] of routes.entries()) {
          const where = `${method} ${path} as ${intruder === bob ? 'a guest' : 'a user'}`;
          const res = await send(method, path, {
            token: intruder.token,
            body: payload,
            headers: method === 'POST' ? { 'Idempotency-Key': randomUUID() } : {},
          });
          expectError(res, 404, where);
          // Nothing tells a foreign id from a missing one but the id itself.
          const [, unknownPath, unknownBody] = unknown[i]!;
          const baseline = await send(method, unknownPath, { token: intruder.token, body: unknownBody });
          expectError(baseline, 404, `${method} ${unknownPath}`);
          const strip = (r: ProbeResponse) =>
            JSON.stringify((body(r).error as Record<string, unknown>).code) +
            String((body(r).error as Record<string, unknown>).message).replace(/[0-9a-f-]{36}/g, '<id>');
          expect(strip(res), where).toBe(strip(baseline));
        }
        const list = await send('GET', '/v1/orders?limit=100', { token: intruder.token });
        expect(list.status).toBe(200);
        const ids = (body(list).data as { id: string }[]).map((o) => o.id);
        expect(ids).not.toContain(aliceOrder);
        expect(ids).not.toContain(aliceTrip);
      }
    });
    // Alice still has both, untouched.
    for (const id of [aliceOrder, aliceTrip]) {
      const own = await send('GET', `/v1/orders/${id}`, { token: alice.token });
      expect(own.status).toBe(200);
      expect(body(own).status).toBe('PROPOSED');
      expect(body(own).payments).toEqual([]);
    }
    const own = await send('GET', `/v1/orders/${aliceTrip}`, { token: alice.token });
    expect((body(own).travelers as { first_name: string }[]).map((t) => t.first_name)).toEqual(['Alice']);
  });

  it('an offer someone else accepted is not a way into their order', async () => {
    await changesNothing(async () => {
      const res = await send('POST', `/v1/offers/${aliceOfferId}/accept`, {
        token: bob.token,
        body: { travelers: [{ ...traveler, first_name: 'Bob' }], contact: { email: 'bob@example.com' } },
      });
      expectError(res, [404, 409, 410], 'accept of an accepted offer');
      expect(res.text).not.toContain(aliceOrder);
    });
  });
});

describe('without a valid token', () => {
  it('every order and trip route answers 401 (missing, malformed, forged, unsigned, expired, foreign issuer)', async () => {
    const { config } = stack;
    // As alice's real tokens carry (ver 0): each case is refused for what it names.
    const claims = { kind: 'GUEST', role: 'customer', ver: 0 };
    const secret = new TextEncoder().encode(config.auth.jwt_secret);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(config.auth.jwt_issuer)
      .setSubject(alice.id)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another secret that is long enough to sign'));
    const unsigned = new UnsecuredJWT(claims)
      .setIssuer(config.auth.jwt_issuer)
      .setSubject(alice.id)
      .setIssuedAt()
      .setExpirationTime('1h')
      .encode();
    const foreignIssuer = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://evil.example')
      .setSubject(alice.id)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret);
    const adminClaims = await new SignJWT({ kind: 'USER', role: 'admin', ver: 0 })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(config.auth.jwt_issuer)
      .setSubject(bob.id)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(40)));
    const expired = (await issueToken(config, { id: alice.id, kind: 'GUEST', role: 'customer', tokenVersion: 0 }, -60))
      .token;
    // Signed with the right key for a customer id that does not exist (#18, defect 9).
    const unknown = (await issueToken(config, { id: randomUUID(), kind: 'GUEST', role: 'customer', tokenVersion: 0 }))
      .token;
    const [h, p, s] = alice.token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: bob.id })).toString('base64url')}.${s}`;
    const authorizations: [string, string | undefined][] = [
      ['none', undefined],
      ['empty bearer', 'Bearer '],
      ['not a JWT', 'Bearer not-a-jwt'],
      ['basic', 'Basic YWxpY2U6c2VjcmV0'],
      ['token without scheme', alice.token],
      ['forged signature', `Bearer ${forged}`],
      ['alg none', `Bearer ${unsigned}`],
      ['foreign issuer', `Bearer ${foreignIssuer}`],
      ['self-made admin', `Bearer ${adminClaims}`],
      ['expired', `Bearer ${expired}`],
      ['tampered subject', `Bearer ${tampered}`],
      ['a customer that does not exist', `Bearer ${unknown}`],
    ];
    await changesNothing(async () => {
      const routes: [string, string, unknown?][] = [
        ...ownedRoutes(aliceOrder, aliceTrip),
        ['GET', '/v1/orders'],
        ['POST', '/v1/holds/trip', { flight_ids: [flight.id] }],
        ['POST', `/v1/offers/${aliceOfferId}/accept`, { travelers: [traveler], contact }],
        ['GET', `/v1/flights/${flight.id}/stream`],
        ['GET', '/v1/auth/me'],
      ];
      for (const [name, authorization] of authorizations) {
        for (const [method, path, payload] of routes) {
          const res = await send(method, path, {
            body: payload,
            headers: authorization === undefined ? {} : { Authorization: authorization },
          });
          expectError(res, 401, `${method} ${path} with ${name}`);
          expect(body(res).error).toMatchObject({ code: 'UNAUTHENTICATED' });
          expect(res.headers.get('www-authenticate'), `${method} ${path} with ${name}`).toBe('Bearer');
        }
      }
    });
  });
});

/** Every route that takes a JSON body, aimed at Alice's own resources, with a valid body of its own. */
const bodyRoutes = (): [string, string, unknown][] => [
  ['POST', '/v1/auth/register', { email: `x-${randomUUID()}@example.com`, password: 'a long enough password' }],
  ['POST', '/v1/auth/login', { email: 'nobody@example.com', password: 'a long enough password' }],
  [
    'POST',
    '/v1/flights/search',
    {
      legs: [{ origin_airport_code: 'XAA', destination_airport_code: 'XBB', date: day(flight.departureAt) }],
      passenger_count: 1,
    },
  ],
  ['POST', '/v1/offers/search', { origin: 'XAA', destination: 'XBB', departure_date: day(flight.departureAt) }],
  ['POST', `/v1/offers/${aliceOfferId}/accept`, { travelers: [traveler], contact }],
  ['POST', `/v1/orders/${aliceOrder}/pay`, { payment_token: 'tok_visa' }],
  ['POST', `/v1/orders/${aliceOrder}/cancel`, { reason: 'changed plans' }],
  ['POST', '/v1/holds/trip', { flight_ids: [flight.id] }],
  ['POST', `/v1/holds/trip/${aliceTrip}/passengers`, { first_name: 'Bea', last_name: 'Liddell' }],
  ['POST', '/v1/holds/seat', { trip_id: aliceTrip, flight_id: flight.id, seat_number: '3C' }],
  ['POST', '/v1/bookings/commit', { trip_id: aliceTrip, user_email: 'alice@example.com', payment_token: 'tok_visa' }],
];

const day = (d: Date) => d.toISOString().slice(0, 10);

describe('bodies the API does not take', () => {
  it('a body over server.body_limit_bytes is 413, with a Content-Length or streamed without one', async () => {
    const limit = stack.config.server.body_limit_bytes;
    await changesNothing(async () => {
      for (const [method, path, valid] of [
        ['POST', '/v1/auth/guest', {}] as [string, string, unknown],
        ...bodyRoutes(),
        ['POST', '/v1/webhooks/payments', {}] as [string, string, unknown],
      ]) {
        const big = JSON.stringify({ ...(valid as object), padding: 'x'.repeat(limit + 1) });
        const res = await send(method, path, { token: alice.token, body: big });
        expectError(res, 413, `${method} ${path}`);
        expect(body(res).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });

        // Chunked: no Content-Length, so the limit can only be found by reading.
        const bytes = new TextEncoder().encode(big);
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.subarray(i, i + 8192));
            controller.close();
          },
        });
        const init = {
          method,
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${alice.token}` },
          body: stream,
          duplex: 'half' as const, // Node's fetch streams a body only so, and then without a Content-Length
        };
        const chunked = await fetch(`${stack.apiUrl}${path}`, init);
        const text = await chunked.text();
        expect(chunked.status, `${method} ${path} chunked: ${text.slice(0, 200)}`).toBe(413);
        expect(JSON.parse(text)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
      }
    });
  });

  it('malformed JSON is 400 in the error shape', async () => {
    const broken = ['{"first_name": "Ann"', '{,}', 'not json', '{"a":1}}', '\u0000', '[1,2', "{'single': 'quotes'}"];
    await changesNothing(async () => {
      for (const [method, path] of bodyRoutes()) {
        for (const text of broken) {
          const res = await send(method, path, { token: alice.token, body: text });
          expectError(res, 400, `${method} ${path} ${JSON.stringify(text)}`);
          expect(body(res).error).toMatchObject({ code: 'VALIDATION_FAILED' });
        }
      }
      // The webhook checks its signature over the raw body first; a signed body that is not JSON is 400.
      for (const text of broken) {
        const unsigned = await send('POST', '/v1/webhooks/payments', { body: text });
        expectError(unsigned, 401, 'unsigned webhook');
        const signed = await send('POST', '/v1/webhooks/payments', {
          body: text,
          headers: { 'Altis-Signature': signWebhook(stack.config.payments.webhook_secret, text, Date.now() / 1000) },
        });
        expectError(signed, 400, `signed webhook ${JSON.stringify(text)}`);
      }
    });
  });

  it('a body that is not application/json is 415 (or 400) in the error shape', async () => {
    const types: (string | null)[] = [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      'application/jsonp',
      null,
    ];
    await changesNothing(async () => {
      for (const [method, path, valid] of bodyRoutes()) {
        for (const contentType of types) {
          const res = await send(method, path, { token: alice.token, body: JSON.stringify(valid), contentType });
          expectError(res, [400, 415], `${method} ${path} as ${contentType}`);
        }
      }
    });
  });
});

const INJECTIONS = [
  "'; DROP TABLE orders;--",
  '" OR 1=1 --',
  '{"$gt":""}',
  '../../etc/passwd',
  'a\r\nSet-Cookie: x=y',
  '\u0000',
  'Ann\u0000e',
  '<script>alert(1)</script>',
  '𝔘'.repeat(5_000),
  'Ünïcödé ✈ 李小龍 🧳'.repeat(200),
];

/** Sets `path` (dot-separated, numbers index arrays) of a copy of `value`. */
function withField(value: unknown, path: string, replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys[keys.length - 1]!] = replacement;
  return copy;
}

function expectSafe(res: ProbeResponse, where: string) {
  expect(res.status, `${where}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  expect(res.headers.get('content-type'), where).toMatch(/^application\/json/);
  expect(res.json, `${where}: not JSON`).toBeDefined();
  expect(res.headers.get('set-cookie'), where).toBeNull();
  if (res.status >= 400) expect(errorShapeProblem(res), where).toBeNull();
}

describe('injection strings', () => {
  it('in every text field that has a format are rejected with a 400 and change nothing', async () => {
    const offer = await createTestOffer(services.redis, [flight]);
    const fields: [string, string, unknown, string[]][] = [
      ['POST', '/v1/auth/register', { email: 'ok@example.com', password: 'a long enough password' }, ['email']],
      ['POST', '/v1/auth/login', { email: 'ok@example.com', password: 'a long enough password' }, ['email']],
      [
        'POST',
        '/v1/flights/search',
        bodyRoutes()[2]![2],
        ['legs.0.origin_airport_code', 'legs.0.destination_airport_code', 'legs.0.date'],
      ],
      [
        'POST',
        '/v1/offers/search',
        { ...(bodyRoutes()[3]![2] as object), return_date: null, cabin: 'ECONOMY' },
        ['origin', 'destination', 'departure_date', 'return_date', 'cabin'],
      ],
      ['POST', '/v1/holds/trip', { flight_ids: [flight.id], cabin: 'ECONOMY' }, ['flight_ids.0', 'cabin']],
      [
        'POST',
        `/v1/holds/trip/${aliceTrip}/passengers`,
        { first_name: 'Bea', last_name: 'Liddell', passenger_type: 'ADULT', date_of_birth: '1990-01-01', gender: 'F' },
        ['first_name', 'last_name', 'passenger_type', 'date_of_birth', 'gender'],
      ],
      [
        'POST',
        '/v1/holds/seat',
        { trip_id: aliceTrip, flight_id: flight.id, seat_number: '3C' },
        ['trip_id', 'flight_id', 'seat_number'],
      ],
      [
        'POST',
        '/v1/bookings/commit',
        {
          trip_id: aliceTrip,
          user_email: 'alice@example.com',
          payment_token: 'tok_visa',
          passengers: [
            { first_name: 'Alice', last_name: 'Liddell', seats: [{ flight_id: flight.id, seat_number: '1A' }] },
          ],
        },
        [
          'trip_id',
          'user_email',
          'passengers.0.first_name',
          'passengers.0.last_name',
          'passengers.0.passenger_type',
          'passengers.0.date_of_birth',
          'passengers.0.gender',
          'passengers.0.seats.0.flight_id',
          'passengers.0.seats.0.seat_number',
        ],
      ],
      [
        'POST',
        `/v1/offers/${offer.id}/accept`,
        { travelers: [{ ...traveler, gender: 'F' }], contact: { email: 'a@example.com', phone: '+44 20 7946 0000' } },
        [
          'travelers.0.ptc',
          'travelers.0.first_name',
          'travelers.0.last_name',
          'travelers.0.date_of_birth',
          'travelers.0.gender',
          'contact.email',
          'contact.phone',
        ],
      ],
    ];
    await changesNothing(async () => {
      for (const [method, path, valid, paths] of fields) {
        for (const field of paths) {
          for (const injection of INJECTIONS) {
            const where = `${method} ${path} ${field}=${JSON.stringify(injection.slice(0, 30))}`;
            const res = await send(method, path, { token: alice.token, body: withField(valid, field, injection) });
            expectSafe(res, where);
            // 413 for the longest unicode, which is over the body limit.
            expectError(res, [400, 413], where);
          }
        }
      }
    });
    expect(await missingTables(services.sql)).toEqual([]);
  });

  it('in path parameters, query strings and headers are 4xx JSON errors and change nothing', async () => {
    await changesNothing(async () => {
      for (const injection of INJECTIONS.slice(0, 8)) {
        const p = encodeURIComponent(injection);
        const requests: [string, string, unknown?][] = [
          ['GET', `/v1/orders/${p}`],
          ['GET', `/v1/orders/${p}/fulfillment`],
          ['POST', `/v1/orders/${p}/pay`, { payment_token: 'tok_visa' }],
          ['POST', `/v1/orders/${p}/cancel`, {}],
          ['POST', `/v1/holds/trip/${p}/passengers`, { first_name: 'Bea', last_name: 'Liddell' }],
          ['GET', `/v1/offers/${p}`],
          ['DELETE', `/v1/offers/${p}`],
          ['POST', `/v1/offers/${p}/accept`, { travelers: [traveler], contact }],
          ['GET', `/v1/flights/${p}`],
          ['GET', `/v1/flights/${p}/seats`],
          ['GET', `/v1/flights/${p}/stream`],
          ['GET', `/v1/orders?cursor=${p}`],
          [
            'GET',
            `/v1/orders?cursor=${Buffer.from(JSON.stringify(['2026-01-01T00:00:00Z', injection])).toString('base64url')}`,
          ],
          ['GET', `/v1/orders?limit=${p}`],
          ['GET', `/v1/admin/analytics?route=${p}&from=${p}`],
        ];
        for (const [method, path, payload] of requests) {
          // With an Idempotency-Key too: the stored answer (which may quote the parameter) must be storable.
          const res = await send(method, path, {
            token: alice.token,
            body: payload,
            headers: method === 'POST' ? { 'Idempotency-Key': randomUUID() } : {},
          });
          expectSafe(res, `${method} ${path}`);
          expectError(res, [400, 403, 404, 410], `${method} ${path}`);
        }
        // Header values (fetch refuses CR, LF and NUL in a header: those go over a raw socket below).
        if (!['\r', '\n', '\u0000'].some((ch) => injection.includes(ch))) {
          const res = await send('POST', '/v1/holds/seat', {
            token: alice.token,
            body: { trip_id: UNKNOWN, flight_id: flight.id, seat_number: '3C' },
            headers: { 'Idempotency-Key': injection, 'X-Request-Id': injection },
          });
          expectSafe(res, `headers ${injection}`);
          expectError(res, [400, 404], `headers ${injection}`);
          expect(res.headers.get('x-request-id')).not.toBe(injection);
        }
      }
    });
    expect(await missingTables(services.sql)).toEqual([]);
  });

  it('a CR LF in a header does not split the response: no injected header comes back', async () => {
    for (const header of ['X-Request-Id', 'Idempotency-Key', 'Authorization']) {
      const raw = await rawRequest(
        [
          'GET /v1/orders HTTP/1.1',
          `Host: 127.0.0.1`,
          `X-Forwarded-For: ${testIp()}`,
          `${header}: a\r\nSet-Cookie: x=y`,
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
      );
      const [head] = raw.split('\r\n\r\n');
      expect(head, header).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(head!.toLowerCase(), header).not.toContain('set-cookie');
      expect(head!.toLowerCase()).not.toContain('x-request-id: a\r\nset-cookie');
    }
    // A bare CR or a NUL inside a header value: Node's parser refuses the request with a 400 of its own.
    for (const value of ['a\rb', 'a\u0000b']) {
      const raw = await rawRequest(
        `GET /v1/orders HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${value}\r\nConnection: close\r\n\r\n`,
      );
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    }
  });

  it('free text is stored verbatim and returned as JSON: a password, a payment token, a cancel reason', async () => {
    await changesNothing(async () => undefined); // a baseline that the footprint query works before the changes
    for (const injection of INJECTIONS) {
      // A password is free text: the account takes it (when ≤ 1024 characters) and a sign-in with it works.
      const email = `inj-${randomUUID()}@example.com`;
      emails.push(email);
      const registered = await send('POST', '/v1/auth/register', { body: { email, password: `pw ${injection} pw` } });
      expectSafe(registered, `register ${injection.slice(0, 20)}`);
      if (registered.status === 201) {
        const login = await send('POST', '/v1/auth/login', { body: { email, password: `pw ${injection} pw` } });
        expect(login.status).toBe(200);
      } else {
        expectError(registered, [400, 413], 'register');
      }
    }
    // A payment token goes to the provider, which declines what it does not know: 4xx, never 5xx.
    const offer = await createTestOffer(services.redis, [flight]);
    const order = await accept(alice, offer.id);
    for (const injection of INJECTIONS) {
      const res = await send('POST', `/v1/orders/${order}/pay`, {
        token: alice.token,
        body: { payment_token: injection },
      });
      expectSafe(res, `pay ${JSON.stringify(injection.slice(0, 20))}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
    // A cancel reason is kept in the OrderCancelled event as sent, or refused when it cannot be kept.
    for (const injection of INJECTIONS.slice(0, 8)) {
      const id = await trip(alice);
      const res = await send('POST', `/v1/orders/${id}/cancel`, { token: alice.token, body: { reason: injection } });
      expectSafe(res, `cancel ${JSON.stringify(injection)}`);
      if (res.status === 200) {
        const [event] = await services.sql<{ payload: { reason: string } }[]>`
          SELECT payload FROM outbox WHERE aggregate_id = ${id} AND type = 'OrderCancelled'`;
        expect(event!.payload.reason).toBe(injection);
      } else {
        expectError(res, 400, `cancel ${JSON.stringify(injection)}`);
      }
    }
    expect(await missingTables(services.sql)).toEqual([]);
  });
});

/** One request over a raw socket, for what fetch will not send; resolves with everything the server wrote. */
function rawRequest(text: string): Promise<string> {
  const url = new URL(stack.apiUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
  });
}
