/**
 * Contract fuzzing against the running API (startOrderStack, a real port): requests generated from
 * GET /openapi.json with fast-check (test/support/fuzz.ts), valid-ish and mutated, with a guest token and with
 * none. Asserted for every answer: never a 5xx; every status is one the operation declares; every error is the
 * JSON error shape; every JSON 2xx body parses with the route's own zod response schema. Asserted per
 * operation: a batch of requests that break the contract is refused (4xx) and changes nothing in Postgres;
 * a protected operation without a token is 401. FUZZ_SEED=<n> replays a run; FUZZ_CASES scales it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventory } from '../../services/inventory';
import { signWebhook } from '../../domain/webhook-signature';
import type { Services } from '../../lib/services';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../support/flights';
import {
  arbitraryOf,
  mutate,
  mutateParam,
  operationsOf,
  inUrl,
  wire,
  type Hints,
  type Op,
  type OpenApiDocument,
} from '../support/fuzz';
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

const route = testRoute('fuzz');

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const PER_OPERATION = Number(process.env.FUZZ_CASES ?? 120); // valid-ish and mutants each, per operation: ≥ 10,000 requests a run
const NO_TOKEN = 3; // per operation
const CONCURRENCY = 8;

let services: Services;
let stack: OrderStack;
let send: Send;
let doc: OpenApiDocument;
let guestId: string;
let token: string;
let flights: TestFlight[];
let tripIds: string[];
let orderId: string;
let offerIds: string[];

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services, ABUSE_STACK_ENV);
  send = probeClient(stack.apiUrl, testIp());
  doc = (await send('GET', '/openapi.json')).json as OpenApiDocument;

  // What valid-ish requests need to get past "not found": flights, trips and an order of the guest, offers.
  flights = [
    await createTestFlight(services, { route, capacity: 60 }),
    await createTestFlight(services, { route, capacity: 60 }),
  ];
  await createInventory(services).rebuildIndex(flights.map((f) => f.id));
  const guest = await send('POST', '/v1/auth/guest');
  ({ token, customer_id: guestId } = guest.json as { token: string; customer_id: string });
  tripIds = [];
  for (let i = 0; i < 2; i++) {
    const trip = await send('POST', '/v1/holds/trip', { token, body: { flight_ids: [flights[i]!.id] } });
    expect(trip.status, trip.text).toBe(201);
    tripIds.push((trip.json as { trip_id: string }).trip_id);
  }
  const pax = await send('POST', `/v1/holds/trip/${tripIds[0]}/passengers`, {
    token,
    body: { first_name: 'Ada', last_name: 'Lovelace' },
  });
  expect(pax.status).toBe(201);
  offerIds = [];
  for (const f of flights) offerIds.push((await createTestOffer(services.redis, [f])).id);
  const accepted = await send('POST', `/v1/offers/${offerIds[0]}/accept`, {
    token,
    body: {
      travelers: [{ ptc: 'ADT', first_name: 'Ada', last_name: 'Lovelace', date_of_birth: '1985-12-10' }],
      contact: { email: 'ada@example.com' },
    },
  });
  expect(accepted.status, accepted.text).toBe(201);
  orderId = (accepted.json as { id: string }).id;
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Values that get a request deeper than a random one would: the seeded ids, names a ticket can carry, … */
const hints: Hints = (name, op) => {
  const flightIds = flights.map((f) => f.id);
  switch (name) {
    case 'id':
      if (op.path.startsWith('/v1/offers/')) return fc.constantFrom(...offerIds);
      if (op.path.startsWith('/v1/flights/')) return fc.constantFrom(...flightIds);
      if (op.path.startsWith('/v1/orders/')) return fc.constantFrom(orderId, ...tripIds);
      return undefined;
    case 'trip_id':
      return fc.constantFrom(...tripIds);
    case 'flight_id':
      return fc.constantFrom(...flightIds);
    case 'flight_ids':
      return fc.constantFrom([flightIds[0]], [flightIds[1]], flightIds);
    case 'order_id':
      return fc.uuid(); // webhooks: never an order of this run (a signed event is trusted)
    case 'seat_number':
      return fc.constantFrom('1A', '1B', '2C', '3D', '9K');
    case 'first_name':
      return fc.constantFrom('Ada', 'Grace', 'Émile', "O'Neil", 'Jean-Luc');
    case 'last_name':
      return fc.constantFrom('Lovelace', 'Hopper', 'Zola', 'Picard');
    case 'payment_token':
      return fc.constantFrom('tok_visa', 'tok_chargeDeclined', 'tok_async', 'tok_unknown');
    case 'password':
      return fc.string({ minLength: 10, maxLength: 30 });
    case 'origin':
    case 'origin_airport_code':
      return fc.constant(flights[0]!.origin);
    case 'destination':
    case 'destination_airport_code':
      return fc.constant(flights[0]!.destination);
    case 'date':
    case 'departure_date':
      return fc.constant(day(flights[0]!.departureAt));
    case 'date_of_birth':
      return fc.constantFrom('1980-02-03', '2015-06-01', '2026-01-01');
    case 'ptc':
      return fc.constant('ADT');
    case 'idempotency-key':
      return fc.uuid();
    default:
      return undefined;
  }
};

interface Case {
  op: Op;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
  token?: string;
  /** Breaks the contract (or has no token where one is required): must be refused, and change nothing. */
  mustReject: boolean;
  expectStatus?: number;
  what: string;
}

const isSecured = (op: Op) =>
  (op.operation.security ?? []).some((r) => 'bearerAuth' in r) &&
  !(op.operation.security ?? []).some((r) => Object.keys(r).length === 0);
const isWebhook = (op: Op) => op.path === '/v1/webhooks/payments';
const bodySchemaOf = (op: Op) => op.operation.requestBody?.content['application/json']?.schema;

/** Valid-ish parameters and body of an operation, from one fast-check sample. */
function validish(op: Op, rnd: number): Omit<Case, 'mustReject' | 'what'> {
  const ctx = { op, hints };
  const params = op.operation.parameters ?? [];
  const values = params.map((p) => {
    const arb = arbitraryOf(doc, p.schema, ctx, p.name);
    const present = p.required || p.in === 'path' ? fc.constant(true) : fc.boolean();
    return fc.tuple(present, arb);
  });
  const bodySchema = bodySchemaOf(op);
  const [sampled, body] = fc.sample(
    fc.tuple(fc.tuple(...values), bodySchema ? arbitraryOf(doc, bodySchema, ctx) : fc.constant(undefined)),
    { numRuns: 1, seed: SEED + rnd },
  )[0]!;
  let path = op.path;
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  params.forEach((p, i) => {
    const [present, value] = sampled[i]!;
    if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(inUrl(value)));
    else if (!present) return;
    else if (p.in === 'query') query[p.name] = inUrl(value);
    else if (p.in === 'header' && /^[\x20-\x7e]*$/.test(wire(value))) headers[p.name] = wire(value);
  });
  return { op, path, query, headers, body, token };
}

/** A mutant: one rule of the body or of one parameter broken. */
function mutant(op: Op, n: number): Case {
  const base = validish(op, n);
  const rnd = mulberry32(SEED * 31 + n);
  const params = (op.operation.parameters ?? []).filter((p) => p.name !== 'altis-signature');
  const bodySchema = bodySchemaOf(op);
  if (bodySchema && (params.length === 0 || rnd() < 0.7)) {
    const m = mutate(doc, bodySchema, base.body, rnd);
    // The webhook acknowledges event types it does not act on (200): its `type` is open, whatever the enum says.
    const mustReject = m.mustReject && !(isWebhook(op) && /^type:/.test(m.what));
    return { ...base, body: m.value, mustReject, what: `body ${m.what}` };
  }
  const p = params[Math.floor(rnd() * params.length)]!;
  const m = mutateParam(doc, p, rnd);
  const c: Case = {
    ...base,
    query: { ...base.query },
    headers: { ...base.headers },
    mustReject: m.mustReject,
    what: m.what,
  };
  if (p.in === 'path') {
    const segments = base.path.split('/');
    segments[op.path.split('/').indexOf(`{${p.name}}`)] = encodeURIComponent(m.value ?? '');
    c.path = segments.join('/');
  } else {
    const target = p.in === 'query' ? c.query : c.headers;
    if (m.value === undefined) delete target[p.name];
    else target[p.name] = m.value;
  }
  return c;
}

function mulberry32(a: number) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function fire(c: Case): Promise<ProbeResponse> {
  const qs = new URLSearchParams(c.query).toString();
  const headers = { ...c.headers };
  const text = c.body === undefined ? undefined : JSON.stringify(c.body);
  if (isWebhook(c.op) && c.token && text !== undefined) {
    // The "authenticated" webhook is a signed one; without a token it goes unsigned.
    headers['Altis-Signature'] = signWebhook(stack.config.payments.webhook_secret, text, Date.now() / 1000);
  }
  return send(c.op.method, `${c.path}${qs ? `?${qs}` : ''}`, {
    token: isWebhook(c.op) ? undefined : c.token,
    body: text,
    headers,
  });
}

const clip = (s: string | undefined, n = 300) => (s && s.length > n ? `${s.slice(0, n)}…(${s.length})` : s);
const describeCase = (c: Case) =>
  `${c.op.method} ${clip(c.path + (Object.keys(c.query).length ? `?${new URLSearchParams(c.query).toString()}` : ''))}` +
  ` [${clip(c.what, 100)}] token=${c.token ? 'guest' : 'none'} headers=${clip(JSON.stringify(c.headers))}` +
  ` body=${clip(JSON.stringify(c.body), 600)}`;

/** The route's zod response schema for a status, from the app's OpenAPI registry (what the route declared). */
function zodResponseSchema(op: Op, status: number) {
  for (const def of stack.app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    if (def.route.method.toUpperCase() !== op.method || def.route.path !== op.path) continue;
    const schema = (def.route.responses[status] as { content?: Record<string, { schema?: unknown }> } | undefined)
      ?.content?.['application/json']?.schema as { safeParse?: (v: unknown) => { success: boolean; error?: unknown } };
    return typeof schema?.safeParse === 'function' ? schema : undefined;
  }
  return undefined;
}

interface ErrorJson {
  error?: { code?: string; message?: string };
}

interface Tally {
  cases: number;
  byOperation: Record<string, Record<number, number>>;
  /** 2xx JSON answers parsed with the route's zod response schema. */
  schemaChecked: number;
  statuses: Record<number, number>;
  findings: string[];
}

function check(c: Case, res: ProbeResponse, tally: Tally) {
  tally.cases++;
  tally.statuses[res.status] = (tally.statuses[res.status] ?? 0) + 1;
  const key = `${c.op.method} ${c.op.path}`;
  const byStatus = (tally.byOperation[key] ??= {});
  byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
  const problem = (what: string) =>
    tally.findings.push(`${what}: ${res.status} ${clip(res.text)}\n  ${describeCase(c)}`);
  if (res.status >= 500) return problem('5xx');
  if (c.expectStatus !== undefined && res.status !== c.expectStatus) problem(`expected ${c.expectStatus}`);
  // A request that breaks the contract is refused by validation, never by the business rules behind it. A key
  // another request of the run holds (two cases drew the same short Idempotency-Key) is refused before its body is
  // read, which changes nothing either.
  const keyReused = res.status === 422 && (res.json as ErrorJson)?.error?.code === 'IDEMPOTENCY_KEY_REUSED';
  if (c.mustReject && ![400, 401, 403, 404, 413, 415].includes(res.status) && !keyReused) {
    problem('a request that breaks the contract got past validation');
  }
  // A mutated path can match no route at all: the app's 404, not the operation's.
  const noRoute = res.status === 404 && /^no route for /.test(String((res.json as ErrorJson)?.error?.message));
  if (!c.op.operation.responses[String(res.status)] && !noRoute) problem('undeclared status');
  if (res.status >= 400) {
    const shape = errorShapeProblem(res);
    if (shape) problem(`error shape: ${shape}`);
    return;
  }
  const type = res.headers.get('content-type') ?? '';
  if (res.status === 204 || type.startsWith('text/event-stream')) return;
  if (!type.startsWith('application/json')) return problem(`content-type ${type}`);
  const schema = zodResponseSchema(c.op, res.status);
  const parsed = schema?.safeParse?.(res.json);
  if (parsed) tally.schemaChecked++;
  if (parsed && !parsed.success) problem(`answer off its schema: ${JSON.stringify(parsed.error).slice(0, 400)}`);
}

async function runBatch(cases: Case[], tally: Tally) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        let res: ProbeResponse;
        try {
          res = await fire(c);
        } catch (err) {
          const cause = (err as Error & { cause?: Error & { code?: string } }).cause;
          tally.findings.push(
            `request failed: ${(err as Error).message} (${cause?.code ?? ''} ${cause?.message ?? ''})\n  ${describeCase(c)}`,
          );
          continue;
        }
        check(c, res, tally);
      }
    }),
  );
}

/** Strings of a body under the given keys, anywhere in it. */
function stringsUnder(value: unknown, keys: string[], out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => stringsUnder(v, keys, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (keys.includes(k) && typeof v === 'string') out.push(v);
      else stringsUnder(v, keys, out);
    }
  }
  return out;
}

describe('contract fuzzing', () => {
  // A guard against a hang, not a time target: the cases grow with the operations (62 now, about 14,000 requests,
  // 139 s in a CI run beside another file), so the guard leaves room for a loaded machine.
  it('never answers 5xx, always in the contract; refused requests change nothing', { timeout: 360_000 }, async () => {
    const started = performance.now();
    // Signing out revokes the guest token every other case uses (test/integration/auth.test.ts covers it).
    const ops = operationsOf(doc).filter((op) => op.path !== '/v1/auth/sign-out');
    // Cancelling and rejecting consume the seeded order and offers: last.
    const last = (op: Op) => (/\/cancel$/.test(op.path) || op.method === 'DELETE' ? 1 : 0);
    ops.sort((a, b) => last(a) - last(b));
    const tally: Tally = { cases: 0, schemaChecked: 0, statuses: {}, byOperation: {}, findings: [] };
    const perOperation: string[] = [];
    const allowed: Case[][] = [];

    // Phase 1, per operation: what must be refused. Nothing else runs for the guest meanwhile (phase 2, whose
    // payments settle by webhook later, comes after every operation's phase 1), so its footprint, and that of
    // any email or webhook event the batch names, must stay exactly as it was.
    for (const [i, op] of ops.entries()) {
      const rejected: Case[] = [];
      const valid: Case[] = [];
      const hasInput = Boolean(bodySchemaOf(op)) || (op.operation.parameters ?? []).length > 0;
      for (let n = 0; hasInput && n < PER_OPERATION; n++) {
        const m = mutant(op, i * 10_000 + n);
        (m.mustReject ? rejected : valid).push(m);
      }
      for (let n = 0; n < NO_TOKEN; n++) {
        const c: Case = {
          ...validish(op, i * 10_000 + 5_000 + n),
          token: undefined,
          mustReject: false,
          what: 'no token',
        };
        if (isSecured(op) || isWebhook(op)) rejected.push({ ...c, mustReject: true, expectStatus: 401 });
        else valid.push(c);
      }
      for (let n = 0; n < PER_OPERATION; n++) {
        valid.push({ ...validish(op, i * 10_000 + 7_000 + n), mustReject: false, what: 'valid-ish' });
      }
      const scope = {
        customerIds: [guestId],
        emails: rejected.flatMap((c) => stringsUnder(c.body, ['email', 'user_email'])),
        webhookEventIds: isWebhook(op) ? rejected.flatMap((c) => stringsUnder(c.body, ['id'])) : [],
      };
      const before = await footprint(services.sql, scope);
      await runBatch(rejected, tally);
      const after = await footprint(services.sql, scope);
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        tally.findings.push(
          `${op.method} ${op.path}: refused requests changed ${JSON.stringify(before)} → ${JSON.stringify(after)}`,
        );
      }
      perOperation.push(`${op.method} ${op.path}: ${rejected.length} must be refused, ${valid.length} valid-ish`);
      allowed.push(valid);
    }

    // Phase 2: valid-ish requests (and mutants the contract allows), which may change things.
    for (const valid of allowed) await runBatch(valid, tally);

    const seconds = (performance.now() - started) / 1000;
    perOperation.forEach((line, i) => {
      perOperation[i] = `${line}: ${JSON.stringify(tally.byOperation[`${ops[i]!.method} ${ops[i]!.path}`])}`;
    });
    console.log(
      `fuzz (seed ${SEED}): ${tally.cases} requests over ${ops.length} operations in ${seconds.toFixed(1)} s; ` +
        `statuses ${JSON.stringify(tally.statuses)}; ${tally.schemaChecked} answers checked against their schema\n  ${perOperation.join('\n  ')}`,
    );
    if (tally.findings.length > 0) console.log(`fuzz findings (seed ${SEED}):\n${tally.findings.join('\n')}`);
    expect(tally.findings.slice(0, 20), `seed ${SEED}, ${tally.findings.length} findings`).toEqual([]);
    expect(tally.schemaChecked).toBeGreaterThan(100);
    expect(await missingTables(services.sql)).toEqual([]);
  });
});

/** Each found by the fuzzer as a 5xx, a wedged order or a paid order that cannot be ticketed; fixed since. */
describe('what the fuzzer found', () => {
  it('a list cursor whose id is not a UUID (or whose year Postgres cannot hold) is 400, not 500', async () => {
    for (const [at, id] of [
      ['2026-01-01T00:00:00Z', "'; DROP TABLE orders;--"],
      ['-200000-01-01T00:00:00Z', '00000000-0000-4000-8000-000000000000'],
      [42, 'x'],
    ]) {
      const cursor = Buffer.from(JSON.stringify([at, id])).toString('base64url');
      const res = await send('GET', `/v1/orders?cursor=${cursor}`, { token });
      expect(res.status, res.text).toBe(400);
      expect(errorShapeProblem(res)).toBeNull();
    }
  });

  it('a NUL in a path parameter with an Idempotency-Key is an ordinary 4xx (the key and answer are storable)', async () => {
    for (const path of ['/v1/orders/%00/pay', '/v1/offers/%00/accept']) {
      const res = await send('POST', path, {
        token,
        headers: { 'Idempotency-Key': `nul-${path.length}-${SEED}` },
        body: path.includes('offers')
          ? { travelers: [{ ptc: 'ADT', first_name: 'Ada', last_name: 'Lovelace' }], contact: { email: 'a@b.example' } }
          : { payment_token: 'tok_visa' },
      });
      expect([400, 404], res.text).toContain(res.status);
      expect(errorShapeProblem(res)).toBeNull();
    }
  });

  it('a signed payment event with a NUL in it is 400, not 500', async () => {
    const text = JSON.stringify({
      id: 'evt_nul',
      type: 'charge.succeeded',
      created: 1,
      data: { charge: { id: 'ch_\u0000', order_id: '00000000-0000-4000-8000-000000000000', status: 'succeeded' } },
    });
    const res = await send('POST', '/v1/webhooks/payments', {
      body: text,
      headers: { 'Altis-Signature': signWebhook(stack.config.payments.webhook_secret, text, Date.now() / 1000) },
    });
    expect(res.status, res.text).toBe(400);
  });

  it('a cancel reason with a NUL is 400 at once (it used to wedge the order: jsonb cannot hold it)', async () => {
    const trip = await send('POST', '/v1/holds/trip', { token, body: { flight_ids: [flights[1]!.id] } });
    const id = (trip.json as { trip_id: string }).trip_id;
    const res = await send('POST', `/v1/orders/${id}/cancel`, { token, body: { reason: 'why\u0000' } });
    expect(res.status, res.text).toBe(400);
    const cancelled = await send('POST', `/v1/orders/${id}/cancel`, { token, body: { reason: 'plain words' } });
    expect(cancelled.status, cancelled.text).toBe(200);
  });

  it('a trip without passengers cannot be paid through the order API: 409, nothing charged', async () => {
    const trip = await send('POST', '/v1/holds/trip', { token, body: { flight_ids: [flights[1]!.id] } });
    const id = (trip.json as { trip_id: string }).trip_id;
    const before = await footprint(services.sql, { customerIds: [guestId] });
    const res = await send('POST', `/v1/orders/${id}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(res.status, res.text).toBe(409);
    expect((res.json as { error: { code: string } }).error.code).toBe('INVALID_STATE');
    expect(await footprint(services.sql, { customerIds: [guestId] })).toEqual(before);
    await send('POST', `/v1/orders/${id}/cancel`, { token, body: {} });
  });
});
