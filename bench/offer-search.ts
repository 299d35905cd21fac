/**
 * Offer search under load: starts the API in-process on a free port with the real services (as api/main.ts
 * does), makes sure the next days' schedule is seeded, then drives POST /v1/offers/search with autocannon at a
 * fixed concurrency over a mix of seeded routes, one way and round trip, parties of 1 to 4 (some with a child or
 * an infant). Prints p50/p95/p99 latency (from every response's own time), requests/s and offers/s.
 *
 *   npx tsx bench/offer-search.ts          (BENCH_CONNECTIONS=16 BENCH_SECONDS=15 by default)
 *   BENCH_CONNECTIONS=1,4,8,16 npx tsx bench/offer-search.ts      (one row per concurrency)
 *
 * autocannon runs in a child process (this file, forked with BENCH_ROLE=load) so that the load generator does
 * not share the API's event loop; BENCH_CLIENT=inprocess runs it in this process instead, as
 * bench/flight-search.ts does, which makes the figures an upper bound of what the API alone costs.
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { createApp } from '../api/app';
import type { ApiDeps } from '../api/deps';
import { createServices } from '../services';
import { loadConfig } from '../config';
import { seed } from '../scripts/seed';
import { createLogger } from '../lib/logger';
import { openServices } from '../lib/services';
import { offerSearchBodies, quietConfig } from './workload';

const concurrencies = (process.env.BENCH_CONNECTIONS ?? '16').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const inProcessClient = process.env.BENCH_CLIENT === 'inprocess';
const TARGET_P95_MS = 20;

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

interface LoadJob {
  url: string;
  bodies: string[];
  connections: number;
  durationS: number;
}
interface LoadFigures {
  total: number;
  duration: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
}

/** One autocannon run; latencies are every response's own time, so p95 is exact (autocannon reports p97.5). */
async function load(job: LoadJob): Promise<LoadFigures> {
  let n = 0;
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: job.durationS,
        requests: [
          {
            method: 'POST',
            path: '/v1/offers/search',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => ({ ...req, body: job.bodies[n++ % job.bodies.length] }),
          },
        ],
      },
      (err, res) => (err ? reject(err as Error) : resolve(res)),
    );
    run.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
  latencies.sort((a, b) => a - b);
  return {
    total: result.requests.total,
    duration: result.duration,
    errors: result.errors + result.timeouts + result.non2xx,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

/** Runs `load` in a child process of its own (this file with BENCH_ROLE=load), or here with BENCH_CLIENT=inprocess. */
async function loadElsewhere(job: LoadJob): Promise<LoadFigures> {
  if (inProcessClient) return load(job);
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_ROLE: 'load' } });
  return new Promise((resolve, reject) => {
    child.once('message', (figures) => resolve(figures as LoadFigures));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${code}`));
    });
    child.send(job);
  });
}

/** The child's side: one job in, its figures out. */
function serveLoad() {
  process.once('message', (job) => {
    load(job as LoadJob)
      .then((figures) => process.send!(figures, () => process.exit(0)))
      .catch((err) => {
        console.error(err);
        process.exit(1);
      });
  });
}

async function run() {
  // Offers live two minutes instead of fifteen so that a long run does not fill Redis (the TTL costs nothing per
  // request).
  const base = quietConfig(loadConfig());
  const config = { ...base, offers: { ...base.offers, ttl_seconds: 120 } };
  const logger = createLogger(config, 'bench');
  const services = await openServices(config, logger, 'bench');
  const seeded = await seed(services.db, services.sql, { today: new Date(), days: 3, redis: services.redis });
  console.log(`[bench] schedule checked (${seeded.flights} flights added), index of ${seeded.indexedFlights} flights`);

  const deps: ApiDeps = { config, logger, ...services, services: createServices({ config, logger, ...services }) };
  const app = createApp(deps);
  // Counts the offers each search returns: the route calls the engine's search through this object.
  const engine = deps.services.offers;
  const search = engine.search.bind(engine);
  let offersServed = 0;
  engine.search = async (...args) => {
    const result = await search(...args);
    offersServed += result.offers.length;
    return result;
  };

  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const bodies = offerSearchBodies();

  // Sanity: every body answers 200 with offers before anything is measured.
  for (const body of bodies) {
    const res = await fetch(`${url}/v1/offers/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const json = (await res.json()) as { offers?: unknown[] };
    if (res.status !== 200 || !json.offers?.length) {
      throw new Error(`search probe failed: ${res.status} ${JSON.stringify(json).slice(0, 300)} for ${body}`);
    }
  }

  console.log(
    `[bench] POST /v1/offers/search, ${seconds} s per concurrency, ${bodies.length} bodies, ` +
      `load generator ${inProcessClient ? 'in this process' : 'in a child process'}`,
  );
  const rows = [];
  for (const connections of concurrencies) {
    await loadElsewhere({ url, bodies, connections, durationS: 3 }); // warm-up: JIT, pools, caches
    offersServed = 0;
    const cpu = process.cpuUsage();
    const f = await loadElsewhere({ url, bodies, connections, durationS: seconds });
    const { user, system } = process.cpuUsage(cpu);
    rows.push({
      connections,
      'p50 ms': +f.p50.toFixed(2),
      'p95 ms': +f.p95.toFixed(2),
      'p99 ms': +f.p99.toFixed(2),
      'req/s': Math.round(f.total / f.duration),
      'offers/s': Math.round(offersServed / f.duration),
      'offers/search': +(offersServed / Math.max(1, f.total)).toFixed(1),
      errors: f.errors,
      // This process's CPU per search: steadier than latency on a machine that other work shares.
      'API CPU ms/req': +((user + system) / 1000 / Math.max(1, f.total)).toFixed(3),
    });
  }
  console.table(rows);
  // Latency on a small machine depends on what else runs on it: the load says how quiet it was.
  console.log(
    `[bench] ${availableParallelism()} CPUs; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1, 5, 15 min) at the end`,
  );
  for (const r of rows) {
    const verdict = r['p95 ms'] < TARGET_P95_MS ? 'meets' : 'MISSES';
    console.log(
      `[bench] ${r.connections} connections: p95 ${r['p95 ms']} ms ${verdict} the ${TARGET_P95_MS} ms target`,
    );
  }

  // Let the last in-flight answers finish before the clients close.
  await new Promise((r) => setTimeout(r, 500));
  (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await services.close();
}

if (process.env.BENCH_ROLE === 'load') {
  serveLoad();
} else {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
