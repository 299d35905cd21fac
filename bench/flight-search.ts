/**
 * Flight search under load: starts the API in-process on a free port with the real services (as api/main.ts
 * does), makes sure tomorrow's schedule is seeded, then drives POST /v1/flights/search with autocannon over a mix
 * of seeded routes, and GET /v1/flights/:id as the cheap comparison. Prints requests/second, p50/p99 latency and
 * errors for each, and the ratio.
 *
 *   npx tsx bench/flight-search.ts            (BENCH_CONNECTIONS=32 BENCH_SECONDS=10 by default)
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { createApp } from '../api/app';
import { loadConfig } from '../config';
import { ROUTES } from '../db/seed/data';
import { seed } from '../scripts/seed';
import { createLogger } from '../lib/logger';
import { openServices } from '../lib/services';
import { quietConfig } from './workload';

const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
}

async function load(name: string, url: string, request: autocannon.Request, bodies?: string[]): Promise<Figures> {
  let n = 0;
  const setupRequest = bodies
    ? (req: autocannon.Request) => ({ ...req, body: bodies[n++ % bodies.length] })
    : undefined;
  const requests = [{ ...request, ...(setupRequest ? { setupRequest } : {}) }];
  await autocannon({ url, connections, duration: 2, requests }); // warm-up: JIT, pools, caches
  const r = await autocannon({ url, connections, duration: seconds, requests });
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    total: r.requests.total,
  };
}

async function run() {
  const config = quietConfig(loadConfig());
  const logger = createLogger(config, 'bench');
  const services = await openServices(config, logger, 'bench');
  const seeded = await seed(services.db, services.sql, { today: new Date(), days: 2, redis: services.redis });
  console.log(`[bench] schedule checked (${seeded.flights} flights added), index of ${seeded.indexedFlights} flights`);

  const app = createApp({ config, logger, ...services });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const date = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const bodies = ROUTES.map((r) =>
    JSON.stringify({
      legs: [{ origin_airport_code: r.origin, destination_airport_code: r.destination, date }],
      passenger_count: 1 + (r.departureMinutes % 4),
    }),
  );
  const [flight] = await services.sql<{ id: string }[]>`
    SELECT id FROM flights WHERE carrier = 'AL' AND flight_number = '100' AND departure_at::date = ${date}::date`;
  if (!flight) throw new Error(`no AL100 on ${date}: run npx tsx db/seed.ts`);

  // Sanity: the search answers 200 with flights before it is measured.
  const probe = await fetch(`${url}/v1/flights/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: bodies[0],
  });
  const probeBody = (await probe.json()) as { legs: { flights: unknown[] }[] };
  if (probe.status !== 200 || probeBody.legs[0]!.flights.length === 0) {
    throw new Error(`search probe failed: ${probe.status} ${JSON.stringify(probeBody)}`);
  }

  console.log(`[bench] ${connections} connections, ${seconds} s each, against ${url}`);
  const search = await load(
    `POST /v1/flights/search (${ROUTES.length} routes, ${date})`,
    url,
    { method: 'POST', path: '/v1/flights/search', headers: { 'content-type': 'application/json' } },
    bodies,
  );
  const get = await load('GET /v1/flights/:id', url, { method: 'GET', path: `/v1/flights/${flight.id}` });

  const rows = [search, get].map((f) => ({
    route: f.name,
    'req/s': Math.round(f.rps),
    'p50 ms': f.p50,
    'p99 ms': f.p99,
    requests: f.total,
    errors: f.errors,
  }));
  console.table(rows);
  console.log(
    `[bench] search serves ${(search.rps / get.rps).toFixed(2)}× the requests/second of GET /v1/flights/:id ` +
      `(p50 ${search.p50} ms vs ${get.p50} ms)`,
  );

  await new Promise<void>((resolve) => server.close(() => resolve()));
  await services.close();
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
