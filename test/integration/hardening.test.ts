/**
 * What a hostile or broken client sends below the level of a route's contract (issue 18, items 6, 8, 10): control
 * characters in paths, what Node's HTTP parser refuses, slow headers, keep-alive connections reused after an early
 * refusal. Every answer is the one JSON error shape with a request id; nothing is a 5xx or an empty body.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { orderIdForOffer } from '../../api/order-commands';
import { orderWorkflowId } from '../../workflows/messages';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, pgInventory, testRoute } from '../support/flights';
import type { Services } from '../../lib/services';
import { startOrderStack, type OrderStack } from '../support/harness';
import { ABUSE_STACK_ENV, errorShapeProblem, probeClient, testIp, type Send } from '../support/probe';
import { openTestServices } from '../support/services';
import { tokenFor } from '../support/tokens';

let services: Services;
let stack: OrderStack;
let send: Send;
let admin: string;
let port: number;
let guest: string;
const route = testRoute('hardening');

beforeAll(async () => {
  services = await openTestServices();
  stack = await startOrderStack(services, {
    ...ABUSE_STACK_ENV,
    APP_SERVER__HEADERS_TIMEOUT_MS: '400',
    APP_SERVER__REQUEST_TIMEOUT_MS: '800',
    APP_SERVER__BODY_LIMIT_BYTES: '1024',
  });
  port = Number(new URL(stack.apiUrl).port);
  send = probeClient(stack.apiUrl, testIp());
  admin = (await tokenFor(services, stack.config, 'admin')).token;
  guest = ((await send('POST', '/v1/auth/guest')).json as { token: string }).token;
});

afterAll(async () => {
  await stack?.close();
  await services?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the HTTP/1.1 answers in what a socket received (Content-Length framed, as this API answers errors). */
function parseAnswers(raw: string): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const at = line.indexOf(':');
      headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = Buffer.from(rest.slice(end + 4))
      .subarray(0, length)
      .toString();
    answers.push({ status: Number(statusLine!.split(' ')[1]), headers, body });
    rest = Buffer.from(rest.slice(end + 4))
      .subarray(length)
      .toString();
  }
  return answers;
}

/** Writes raw bytes on one connection (in pieces, with pauses between) and collects all it receives until close. */
async function raw(
  pieces: (string | { pauseMs: number })[],
  waitMs = 1500,
): Promise<{ answers: RawAnswer[]; reset: boolean }> {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  let reset = false;
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('error', () => (reset = true));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  for (const piece of pieces) {
    if (typeof piece === 'string') socket.write(piece);
    else await new Promise((r) => setTimeout(r, piece.pauseMs));
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, waitMs))]);
  socket.destroy();
  return { answers: parseAnswers(received), reset };
}

const expectErrorShape = (answer: RawAnswer, status: number, code: string) => {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as { error: { code: string; request_id: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.request_id).toBe(answer.headers['x-request-id']);
};

describe('control characters in the URL', () => {
  it.each(['bundles', 'products', 'pricing-rules'])('a NUL in /v1/admin/%s/:key is a 400, not a 500', async (what) => {
    for (const key of ['%00', 'a%00b', '%0a', '%7F', 'x%1fy']) {
      const res = await send('GET', `/v1/admin/${what}/${key}`, { token: admin });
      expect(res.status, `${what}/${key}`).toBe(400);
      expect(errorShapeProblem(res)).toBeNull();
      expect((res.json as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
      const patch = await send('PATCH', `/v1/admin/${what}/${key}`, { token: admin, body: { name: 'x' } });
      expect(patch.status).toBe(400);
    }
  });

  it('in a query string too, while ordinary percent-encoding still works', async () => {
    const bad = await send('GET', '/v1/orders?cursor=%00', { token: admin });
    expect(bad.status).toBe(400);
    expect(errorShapeProblem(bad)).toBeNull();
    const fine = await send('GET', '/v1/admin/bundles/COMF%4FRT', { token: admin });
    expect(fine.status).toBe(200);
  });
});

describe('a NUL character in a JSON body', () => {
  // Found by Schemathesis (seed 693266): a NUL in a bundle's product list reached Postgres, which refused it (500).
  it.each([
    ['POST', '/v1/admin/bundles', { code: 'NULCHK', name: 'Nul', products: ['BAG_23KG\u0000'], discount_percent: 0 }],
    ['POST', '/v1/admin/products', { code: 'NULCHK', type: 'Bag', name: 'a\u0000b', price: 100, currency: 'USD' }],
  ] as const)('%s %s is a 400 naming where it is, and creates nothing', async (method, path, body) => {
    const res = await send(method, path, { token: admin, body });
    expect(res.status, JSON.stringify(res.json)).toBe(400);
    expect(errorShapeProblem(res)).toBeNull();
    const error = (res.json as { error: { code: string; details: { issues: { message: string }[] } } }).error;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.issues[0]!.message).toMatch(/NUL/);
    expect((await send('GET', `${path}/NULCHK`, { token: admin })).status).toBe(404);
  });
});

describe('every error answer carries its request id', () => {
  it('validation 400s, unmatched 404s, 413s, 401s and 415s', async () => {
    const answers = await Promise.all([
      send('POST', '/v1/flights/search', { body: { origin: 'J' } }),
      send('GET', '/v1/nowhere'),
      send('POST', '/v1/flights/search', { body: 'x'.repeat(4096), contentType: 'application/json' }),
      send('GET', '/v1/orders', { token: 'not.a.token' }),
      send('POST', '/v1/flights/search', { body: '{}', contentType: 'text/plain' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([400, 404, 413, 401, 415]);
    for (const a of answers) expect(errorShapeProblem(a)).toBeNull();
  });

  it("what Node's parser refuses (a backslash or space in the path, a bad header) is JSON, not an empty 400", async () => {
    for (const request of [
      'GET /v1\\flights HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /v1/fl ights HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n',
    ]) {
      const { answers } = await raw([request]);
      expect(answers, request).toHaveLength(1);
      expectErrorShape(answers[0]!, 400, 'MALFORMED_REQUEST');
    }
  });
});

describe('slow and reused connections', () => {
  it('headers that never finish get a 408 after headers_timeout_ms, not a connection held open', async () => {
    const { answers } = await raw(['GET /health HTTP/1.1\r\nHost: x\r\n', { pauseMs: 1200 }], 3000);
    expect(answers).toHaveLength(1);
    expectErrorShape(answers[0]!, 408, 'REQUEST_TIMEOUT');
  });

  it('a keep-alive connection survives an early refusal whose body was never read (413, 401, 404)', async () => {
    const big = 'x'.repeat(8000);
    const small = 'y'.repeat(900); // under the body limit: refused before the body is read
    const post = (path: string, body: string, extra = '') =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
    const { answers, reset } = await raw(
      [
        post('/v1/flights/search', big),
        post('/v1/orders', small, 'Authorization: Bearer nope\r\n'),
        post('/v1/nowhere', small),
        'GET /health HTTP/1.1\r\nHost: x\r\n\r\n',
      ],
      3000,
    );
    expect(reset).toBe(false);
    expect(answers.map((a) => a.status)).toEqual([413, 401, 404, 200]);
  });
});

describe('a sold-out storm', () => {
  it('is refused before Temporal: no workflow is started for an accept the index already shows sold out', async () => {
    const flight = await createTestFlight(services, { route, capacity: 2 });
    const traveler = { ptc: 'ADT', first_name: 'Ada', last_name: 'Byron', date_of_birth: '1985-12-10', gender: 'F' };
    const accept = async () => {
      const offer = await createTestOffer(services.redis, [flight]);
      const res = await send('POST', `/v1/offers/${offer.id}/accept`, {
        token: guest,
        body: { travelers: [traveler], contact: { email: 'ada@example.com' } },
      });
      return { offer, res };
    };
    const winners = await Promise.all([accept(), accept()]);
    expect(winners.map((w) => w.res.status)).toEqual([201, 201]);

    const storm = await Promise.all(Array.from({ length: 30 }, accept));
    expect(storm.map((s) => s.res.status)).toEqual(Array(30).fill(409));
    for (const { offer, res } of storm) {
      expect(errorShapeProblem(res)).toBeNull();
      expect((res.json as { error: { code: string } }).error.code).toBe('SOLD_OUT');
      const handle = services.temporal.workflow.getHandle(orderWorkflowId(orderIdForOffer(offer.id)));
      await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
    // A repeated accept of a winning offer still answers with its order (its own seats are among the gone).
    const again = await send('POST', `/v1/offers/${winners[0].offer.id}/accept`, {
      token: guest,
      body: { travelers: [traveler], contact: { email: 'ada@example.com' } },
    });
    expect(again.status).toBe(200);
    const inventory = await pgInventory(services.sql, flight.id);
    expect({ held: inventory.held, available: inventory.available }).toEqual({ held: 2, available: 0 });
  });

  it('admits only as many accepts as seats remain when they all arrive at once: one workflow per seat', async () => {
    // Before any hold lands the index still shows the seats: the admission counts the accepts in flight, so the
    // storm does not start a workflow per request (the bench's 500-accept storm queued 488 in Temporal).
    const flight = await createTestFlight(services, { route, capacity: 2 });
    const traveler = { ptc: 'ADT', first_name: 'Ada', last_name: 'Byron', date_of_birth: '1985-12-10', gender: 'F' };
    const offers = await Promise.all(Array.from({ length: 40 }, () => createTestOffer(services.redis, [flight])));
    const answers = await Promise.all(
      offers.map((offer) =>
        send('POST', `/v1/offers/${offer.id}/accept`, {
          token: guest,
          body: { travelers: [traveler], contact: { email: 'ada@example.com' } },
        }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    const refused = answers.filter((a) => a.status === 409);
    expect(refused).toHaveLength(38);
    for (const res of refused) {
      expect(errorShapeProblem(res)).toBeNull();
      expect((res.json as { error: { code: string } }).error.code).toBe('SOLD_OUT');
    }
    const started = await Promise.all(
      offers.map((offer) =>
        services.temporal.workflow
          .getHandle(orderWorkflowId(orderIdForOffer(offer.id)))
          .describe()
          .then(
            () => true,
            (err: unknown) => {
              if (err instanceof WorkflowNotFoundError) return false;
              throw err;
            },
          ),
      ),
    );
    expect(started.filter(Boolean)).toHaveLength(2);
    const inventory = await pgInventory(services.sql, flight.id);
    expect({ held: inventory.held, available: inventory.available }).toEqual({ held: 2, available: 0 });
    // Nothing stays admitted once the answers are given.
    expect(await services.redis.zcard(`admit:{${flight.id}}`)).toBe(0);
  });
});
