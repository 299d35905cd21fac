/**
 * The whole-stack benchmark (`npm run bench`, through scripts/bench.sh, which creates the bench database). The
 * figures the order workflow is judged by, each beside the baseline it is divided by, measured in the same run.
 *
 * Isolation: a database of its own (BENCH_DATABASE, default altis_bench: migrated and seeded here), a Redis
 * database of its own (BENCH_REDIS_DB, default 15), a Kafka topic prefix of its own (`altis-bench.`) and a task
 * queue of this run, so `npm start`'s worker and consumers never see a bench order. It starts what it measures as
 * child processes (payment sandbox, worker, API: `node --import tsx`, so that each RSS is its own) on free ports.
 *
 * It talks to the order workflow only through the HTTP API, the Temporal client (workflow id `order-<orderId>`,
 * its history, describe, terminate) and `probeWorkflow`; order states are read from `orders.status`, the read
 * model GET /v1/orders/:id serves (one query per tick for every order waited on, instead of a GET per order).
 *
 *   1. A warm-up booking (accept → pay → FULFILLED); once it has settled, the number of events in its history;
 *      then it is terminated and the memory of the worker and the API is read with no open orders.
 *   2. Latency, each phase for a fixed time: the empty workflow (probeWorkflow start → result), accept (→ 201) and
 *      pay tok_visa (→ 200 PAID), each at 1 and at BENCH_IN_FLIGHT (16) in flight. Figures: the p50 ratios.
 *      (`npm run bench -- latency`: only these, with BENCH_CPU_PROFILE=api,worker to profile them.)
 *   3. HTTP: POST /v1/flights/search and a trivial route (an unknown path: the 404 handler behind the same
 *      middleware), autocannon at a fixed number of connections. The figure: their ratio.
 *   4. Complete bookings (accept → pay → FULFILLED) at 16 in flight for a fixed window: bookings/s, beside the
 *      previous recorded figure.
 *  4b. Scale-out: the same window again with a second worker process on the task queue (after phase 4's, which
 *      had one): bookings/s with 1 and with 2 workers, and their ratio (`npm run bench -- workers`: only this).
 *   5. Open orders: every order the phases made stays open (paid: FULFILLED, waiting on its archive timer; accepted
 *      and not paid: PROPOSED, waiting on its hold timer), and accepts at BENCH_FILL_IN_FLIGHT make the rest, until
 *      BENCH_OPEN_ORDERS (5,000) order workflows run or the time left runs out; then the memory of the worker and the
 *      API again (the ratio; the count of running workflows, from Temporal, is printed with it).
 *
 * Sized by time, never by count: after start-up the fixed phases (2–4) are scaled to fit the time left, and
 * phase 5 takes what remains before BENCH_TIMEOUT_S (450 s) less the cleanup reserve (at least BENCH_FILL_SECONDS, 160). Then `cleanup`: children
 * stopped, the workflows left running on the run's task queue terminated (one batch operation). A watchdog ends
 * everything at BENCH_TIMEOUT_S. Prints the figures and appends them, with the machine and the load average, to
 * bench/RESULTS.md (BENCH_RECORD=0: not).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import type { WorkflowHandle } from '@temporalio/client';
import { createInventory } from '../services/inventory';
import { loadConfig, processEnv, type AppConfig } from '../config';
import { runMigrations } from '../db/migrate';
import { ROUTES } from '../db/seed/data';
import { seed } from '../scripts/seed';
import { createLogger } from '../lib/logger';
import { openServices, type Services } from '../lib/services';
import { createTestOffer } from '../test/support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../test/support/flights';
import { orderWorkflowId } from '../workflows/messages';
import { probeWorkflow } from '../workflows/probe';
import { measureRequestPath, requestPathRows, type RequestPathPlan, type RequestPathResults } from './request-path';
import { measureStorm, stormRows, type StormResults } from './storm';
import { daysFromNow, offerSearchBodies } from './workload';

const ROOT = new URL('..', import.meta.url).pathname;
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const BENCH_DATABASE = process.env.BENCH_DATABASE ?? 'altis_bench';
const BENCH_REDIS_DB = env('BENCH_REDIS_DB', 15);
const BENCH_TOPIC_PREFIX = 'altis-bench.';
const HTTP_CONNECTIONS = env('BENCH_CONNECTIONS', 32);
const HTTP_SECONDS = env('BENCH_SECONDS', 6);
const IN_FLIGHT = env('BENCH_IN_FLIGHT', 16);
/** Each latency phase (empty workflow, accept, pay; at 1 and at IN_FLIGHT) runs this long, before scaling. */
const PHASE_SECONDS = env('BENCH_PHASE_SECONDS', 8);
const BOOKING_SECONDS = env('BENCH_BOOKING_SECONDS', 15);
const OPEN_ORDERS = env('BENCH_OPEN_ORDERS', 5000);
const FILL_IN_FLIGHT = env('BENCH_FILL_IN_FLIGHT', 32);
const TIMEOUT_S = env('BENCH_TIMEOUT_S', 450);
/** What the open orders' fill (phase 5) is left at least, before the fixed phases are shortened to fit. */
const FILL_SECONDS = env('BENCH_FILL_SECONDS', 160);
const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT === '1';
/** `npm run bench -- request-path`: only the request-path figures (bench/request-path.ts), no workflow phases. */
const REQUEST_PATH_ONLY = process.argv.slice(2).includes('request-path');
/** `npm run bench -- storm`: only the sold-out storm (bench/storm.ts). */
const STORM_ONLY = process.argv.slice(2).includes('storm');
const STORM_ACCEPTS = env('BENCH_STORM_ACCEPTS', 500);
/** `npm run bench -- workers`: only the complete-bookings window with 1 worker and then with 2 (phase 4b). */
const WORKERS_ONLY = process.argv.slice(2).includes('workers');
/** `npm run bench -- latency`: only the warm-up and the latency phases (2), at full length: for profiling them. */
const LATENCY_ONLY = process.argv.slice(2).includes('latency');
/** Phases stop taking new work this long before the timeout, to leave time for the cleanup. */
const CLEANUP_RESERVE_S = 35;
/** After the open orders: the wait for the last ones to reach FULFILLED, then the settle before reading memory. */
const FULFIL_WAIT_S = 15;
const SETTLE_S = 3;
const FLIGHTS = 40;
/** 40 × 200 seats: room for the 5,000 open orders and every other phase's. */
const SEATS_PER_FLIGHT = 200;

/** The figures to print beside the measured ones. */
const TARGETS = { acceptOverEmpty: 1.3, payOverEmpty: 2, historyEvents: 25, memoryRatio: 1.5 };
/** Complete bookings per second recorded before the order workflow v2 (bench/RESULTS.md, 2026-11-22T18:40). */
const PREVIOUS_BOOKINGS_PER_S = 7.2;

let deadline = Infinity;
const overTime = () => Date.now() > deadline;

// ------------------------------------------------------------------------------------------ small helpers
const say = (msg: string) => console.log(`[bench] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Sample {
  count: number;
  errors: number;
  /** The window (no job starts after it), in seconds. */
  seconds: number;
  /** From the start to the last job's end (the ones running at the window's end finish), in seconds. */
  elapsed: number;
  /** Completions per second of elapsed time. */
  rate: number;
  p50: number;
  p95: number;
  inFlight: number;
}

/**
 * Runs `job` on `inFlight` lanes for `seconds` (no new job starts after that, the ones running finish). A job
 * returns the latency of what it measures (ms), or null when there is no more work (its lane stops). The rate is
 * the completions over the elapsed time.
 */
async function runFor(seconds: number, inFlight: number, job: () => Promise<number | null>): Promise<Sample> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown = null;
  const started = performance.now();
  const windowEnd = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < windowEnd && !overTime()) {
        try {
          const latency = await job();
          if (latency === null) return;
          latencies.push(latency);
        } catch (err) {
          errors++;
          firstError ??= err;
        }
      }
    }),
  );
  if (firstError) say(`  ${errors} error(s), first: ${(firstError as Error).message}`);
  const sorted = latencies.sort((a, b) => a - b);
  const elapsed = (performance.now() - started) / 1000;
  return {
    count: sorted.length,
    errors,
    seconds,
    elapsed,
    rate: elapsed > 0 ? sorted.length / elapsed : 0,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    inFlight,
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Bounded concurrency over a list (setup and cleanup only; nothing measured). */
async function each<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function until(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} not ready within ${seconds} s (logs: .data/logs/bench-*.log)`);
}

const withPath = (url: string, path: string) => {
  const u = new URL(url);
  u.pathname = `/${path}`;
  return u.toString();
};

// ------------------------------------------------------------------------------------------ child processes
interface Child {
  name: string;
  proc: ChildProcess;
}

function startChild(name: string, entry: string, env: Record<string, string>): Child {
  const logDir = `${ROOT}.data/logs`;
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(`${logDir}/bench-${name}.log`);
  // BENCH_CPU_PROFILE=1 (or a list of children, e.g. api,worker): each writes a V8 CPU profile when it exits
  // (summary: bench/cpu-profile-summary.ts).
  const profiled = process.env.BENCH_CPU_PROFILE === '1' ? ['api'] : (process.env.BENCH_CPU_PROFILE ?? '').split(',');
  const profile = profiled.includes(name) ? ['--cpu-prof', `--cpu-prof-dir=${ROOT}.data/profiles`] : [];
  // BENCH_HEAP_SNAPSHOT=1: the API writes a heap snapshot (to .data/profiles) at the end of the measuring.
  if (name === 'api' && HEAP_SNAPSHOT) {
    mkdirSync(`${ROOT}.data/profiles`, { recursive: true });
    profile.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${ROOT}.data/profiles`);
  }
  const proc = spawn(process.execPath, [...profile, '--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  proc.once('exit', (code, signal) => {
    if (!stopping) say(`${name} exited early (${code ?? signal}); see .data/logs/bench-${name}.log`);
  });
  return { name, proc };
}

let stopping = false;
const children: Child[] = [];
async function stopChildren(children: Child[]): Promise<void> {
  stopping = true;
  await Promise.all(
    children.map(async ({ proc }) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) proc.kill('SIGKILL');
    }),
  );
}

/** Resident set size of a process, from /proc (bytes). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

// ------------------------------------------------------------------------------------------ the API, as a client
function apiOf(base: string) {
  return async function call(method: string, path: string, token?: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
}

const TRAVELER = { ptc: 'ADT', first_name: 'Bench', last_name: 'Traveler' };
const CONTACT = { email: 'bench@example.com' };

interface Order {
  id: string;
  token: string;
}

/** Resolves when each watched order reaches one of `states` in Postgres (one query per tick for all of them). */
function createStatusWatcher(services: Services) {
  const waiting = new Map<string, { states: string[]; resolve: () => void }>();
  let running = true;
  const loop = (async () => {
    while (running) {
      if (waiting.size > 0) {
        const ids = [...waiting.keys()];
        const rows = await services.sql<{ id: string; status: string }[]>`
          SELECT id, status FROM orders WHERE id = ANY(${ids}::uuid[])`.catch(() => []);
        for (const r of rows) {
          const w = waiting.get(r.id);
          if (w && w.states.includes(r.status)) {
            waiting.delete(r.id);
            w.resolve();
          }
        }
      }
      await sleep(20);
    }
  })();
  return {
    waitFor(orderId: string, states: string[], timeoutMs = 30_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(orderId);
          reject(new Error(`order ${orderId} not ${states.join('/')} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(orderId, {
          states,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * The history length once the workflow has settled: no activity or workflow task pending (a local activity keeps
 * its workflow task open) and the same length on two reads in a row.
 */
async function settledHistoryLength(handle: WorkflowHandle, seconds = 20): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let last = -1;
  while (Date.now() < end) {
    const { raw } = await handle.describe();
    const pending = (raw.pendingActivities?.length ?? 0) > 0 || Boolean(raw.pendingWorkflowTask);
    const length = (await handle.fetchHistory()).events?.length ?? 0;
    if (!pending && length === last) return length;
    last = length;
    await sleep(500);
  }
  throw new Error(`workflow ${handle.workflowId} did not settle within ${seconds} s`);
}

// ------------------------------------------------------------------------------------------ the run
interface Memory {
  api: number;
  worker: number;
  /** The API's V8 heap in use and its memory outside the heap (Buffers), from its /metrics (bytes). */
  apiHeap: number;
  apiExternal: number;
}

interface Results {
  date: string;
  machine: string;
  maxCachedWorkflows: number;
  /** The fixed phases' share of their nominal length (1: as configured; less: the time left was short). */
  scale?: number;
  historyEvents?: number;
  probe1?: Sample;
  probeN?: Sample;
  accept1?: Sample;
  acceptN?: Sample;
  pay1?: Sample;
  payN?: Sample;
  requestPath?: RequestPathResults;
  requestPathPlan?: RequestPathPlan;
  storm?: StormResults;
  bookings?: Sample;
  /** Phase 4b: the same window with two worker processes. */
  bookings2Workers?: Sample;
  memoryIdle?: Memory;
  memoryOpen?: Memory & { fulfilled: number; proposed: number; running: number; fillSeconds: number; fillRate: number };
  temporalSeries?: number;
  cleanup?: string;
  /** Why the run stopped early, when it did. */
  stopped?: string;
}

function machine(): string {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(1);
  return `${availableParallelism()} CPUs (${cpu}), ${gib} GiB RAM, Node ${process.version}`;
}

class OutOfTime extends Error {}
/** The request-path run is complete (`npm run bench -- request-path`): skip the workflow phases. */
class Done extends Error {}
const checkTime = (phase: string) => {
  if (overTime()) throw new OutOfTime(`out of time before ${phase} (BENCH_TIMEOUT_S=${TIMEOUT_S})`);
};

/** Connection settings of the bench's own database, Redis database and topic prefix, as APP_* overrides. */
function benchEnv(): Record<string, string> {
  const base = loadConfig();
  return {
    APP_DATABASE__URL: withPath(base.database.url, BENCH_DATABASE),
    APP_REDIS__URL: withPath(base.redis.url, String(BENCH_REDIS_DB)),
    APP_KAFKA__TOPIC_PREFIX: BENCH_TOPIC_PREFIX,
    APP_LOG__LEVEL: 'warn',
    APP_LOG__PRETTY: 'false',
  };
}

/**
 * The routes of the request-path figures (bench/request-path.ts), on the seeded schedule: the 404 handler, flight
 * search for one leg tomorrow and for a two-leg trip (out tomorrow, back the day after) over every seeded route,
 * offer search (one way and round trip, parties of one to four), the seat map of a seeded flight, and an open
 * order read by its owner.
 */
async function requestPathPlan(
  services: Services,
  api: ReturnType<typeof apiOf>,
  opts: { apiUrl: string; bareUrl: string; seconds: number; order: Order },
): Promise<RequestPathPlan> {
  const day = daysFromNow;
  const json = { 'content-type': 'application/json' };
  const leg = (r: (typeof ROUTES)[number], date: string) => ({
    origin_airport_code: r.origin,
    destination_airport_code: r.destination,
    date,
  });
  const oneLeg = ROUTES.map((r) =>
    JSON.stringify({ legs: [leg(r, day(1))], passenger_count: 1 + (r.departureMinutes % 4) }),
  );
  // ROUTES come in pairs: the outbound and its return.
  const twoLeg = ROUTES.flatMap((r, i) =>
    i % 2 === 0 ? [JSON.stringify({ legs: [leg(r, day(1)), leg(ROUTES[i + 1]!, day(2))], passenger_count: 2 })] : [],
  );
  const offerBodies = offerSearchBodies();
  const [flight] = await services.sql<{ id: string }[]>`
    SELECT f.id FROM flights f WHERE f.carrier = 'AL' AND f.departure_at::date = ${day(1)}::date
    ORDER BY f.departure_at, f.flight_number LIMIT 1`;
  if (!flight) throw new Error(`no seeded flight on ${day(1)}`);
  for (const body of [oneLeg[0]!, twoLeg[0]!]) {
    const res = await api('POST', '/v1/flights/search', undefined, JSON.parse(body));
    if (res.status !== 200) throw new Error(`search probe answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  const offers = await api('POST', '/v1/offers/search', undefined, JSON.parse(offerBodies[0]!));
  if (offers.status !== 200 || !(offers.body.offers as unknown[]).length) {
    throw new Error(`offer search probe answered ${offers.status}: ${JSON.stringify(offers.body).slice(0, 300)}`);
  }
  const auth = { authorization: `Bearer ${opts.order.token}` };
  return {
    apiUrl: opts.apiUrl,
    bareUrl: opts.bareUrl,
    seconds: opts.seconds,
    connections: HTTP_CONNECTIONS,
    say,
    routes: [
      {
        name: 'GET unknown path (the 404 handler)',
        method: 'GET',
        path: '/v1/bench-no-such-route',
        status: 404,
        target: 0.6,
      },
      {
        name: 'POST /v1/flights/search, one leg',
        method: 'POST',
        path: '/v1/flights/search',
        headers: json,
        bodies: oneLeg,
        status: 200,
        target: 0.35,
      },
      {
        name: 'POST /v1/flights/search, two-leg trip',
        method: 'POST',
        path: '/v1/flights/search',
        headers: json,
        bodies: twoLeg,
        status: 200,
        target: 0.35,
      },
      {
        name: 'POST /v1/offers/search',
        method: 'POST',
        path: '/v1/offers/search',
        headers: json,
        bodies: offerBodies,
        status: 200,
        target: 0.1,
      },
      {
        name: 'GET /v1/flights/:id/seats',
        method: 'GET',
        path: `/v1/flights/${flight.id}/seats`,
        status: 200,
        target: 0.35,
      },
      { name: 'GET /v1/orders/:id', method: 'GET', path: `/v1/orders/${opts.order.id}`, headers: auth, status: 200 },
    ],
    extra: [
      { route: 'POST /v1/offers/search', connections: 16, target: { p95: 20 } },
      { route: 'POST /v1/flights/search, one leg', connections: 8, target: { p99: 10 } },
    ],
  };
}

async function run() {
  // The hard stop, should cleanup itself hang: children stopped, the run abandoned.
  const watchdog = setTimeout(() => {
    console.error(`[bench] aborted: over ${TIMEOUT_S} s`);
    void stopChildren(children).finally(() => process.exit(2));
  }, TIMEOUT_S * 1000);
  watchdog.unref();
  const startedAt = Date.now();
  deadline = startedAt + (TIMEOUT_S - CLEANUP_RESERVE_S) * 1000;
  const loadBefore = loadavg()[0]!;

  const isolation = benchEnv();
  const config: AppConfig = loadConfig({ ...processEnv(), ...isolation });
  try {
    await runMigrations(config.database.url);
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') {
      throw new Error(`database ${BENCH_DATABASE} does not exist: scripts/bench.sh (npm run bench) creates it`);
    }
    throw err;
  }
  const services = await openServices(config, createLogger(config, 'bench'), 'bench');
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const watcher = createStatusWatcher(services);
  let failure: Error | null = null;
  const results: Results = {
    date: new Date().toISOString(),
    machine: machine(),
    maxCachedWorkflows: config.worker.max_cached_workflows,
  };
  try {
    // ---- data: the schedule (for search) and fresh bench flights (for orders)
    const seeded = await seed(services.db, services.sql, {
      today: new Date(),
      days: 3, // today, and the next two days: a one-leg search tomorrow, a two-leg trip out tomorrow and back after
      redis: services.redis,
      currency: config.pricing.currency,
      commercial: config,
    });
    say(`${BENCH_DATABASE} migrated, schedule checked (${seeded.flights} flights added); creating bench flights`);
    const flights: TestFlight[] = [];
    await each(
      Array.from({ length: FLIGHTS }, (_, i) => i),
      4,
      async () => {
        flights.push(await createTestFlight(services, { route: testRoute('bench'), capacity: SEATS_PER_FLIGHT }));
      },
    );
    await createInventory(services).rebuildIndex(flights.map((f) => f.id));
    let offerN = 0;
    const newOffer = async () => (await createTestOffer(services.redis, [flights[offerN++ % flights.length]!])).id;

    // ---- processes
    const [apiPort, sandboxPort, workerMetricsPort, temporalMetricsPort, barePort] = await Promise.all(
      [0, 1, 2, 3, 4].map(() => freePort()),
    );
    const childEnv = {
      ...isolation,
      APP_SERVER__HOST: '127.0.0.1',
      APP_SERVER__PORT: String(apiPort),
      APP_TEMPORAL__TASK_QUEUE: taskQueue,
      APP_PAYMENTS__GATEWAY_URL: `http://127.0.0.1:${sandboxPort}`,
      APP_RATE_LIMIT__PER_IP_PER_MINUTE: '1000000000',
      APP_RATE_LIMIT__PER_CUSTOMER_PER_MINUTE: '1000000000',
      // The load is one address by design: the abuse limits (README, "Abuse limits") would measure themselves.
      APP_RATE_LIMIT__GUESTS_PER_IP_PER_HOUR: '1000000000',
      APP_HOLDS__MAX_OPEN_PER_IP: '1000000000',
      APP_HOLDS__MAX_SEATS_PER_IP: '1000000000',
      APP_HOLDS__MAX_OPEN_PER_CUSTOMER: '1000000000',
      APP_HOLDS__MAX_SEATS_PER_CUSTOMER: '1000000000',
      APP_METRICS__WORKER_PORT: String(workerMetricsPort),
      APP_METRICS__TEMPORAL_PORT: String(temporalMetricsPort),
      APP_OTEL__OTLP_ENDPOINT: '',
      // Round trips counted at the clients' sockets; the order gauges read Postgres once, not during the probes.
      APP_METRICS__COUNT_ROUND_TRIPS: 'true',
      APP_METRICS__DB_CACHE_MS: '3600000',
    };
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    children.push(
      startChild('gateway', 'payments-sandbox/main.ts', {
        ...childEnv,
        SANDBOX_HOST: '127.0.0.1',
        SANDBOX_PORT: String(sandboxPort),
        SANDBOX_WEBHOOK_URL: `${apiUrl}/v1/webhooks/payments`,
      }),
      startChild('worker', 'worker/main.ts', childEnv),
      // The API logs its request lines (JSON, info) as it would in production: logging is part of the request path.
      startChild('api', 'api/main.ts', { ...childEnv, APP_LOG__LEVEL: 'info' }),
      startChild('bare-hono', 'bench/bare-hono.ts', { BARE_PORT: String(barePort) }),
    );
    const [gateway, worker, apiChild] = children as [Child, Child, Child];
    say(`started gateway (pid ${gateway.proc.pid}), worker (pid ${worker.proc.pid}), api (pid ${apiChild.proc.pid})`);
    const bareUrl = `http://127.0.0.1:${barePort}`;
    await until('api', 60, async () => (await fetch(`${apiUrl}/metrics`)).ok);
    await until('worker', 90, async () => (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).ok);
    await until('gateway', 30, async () => (await fetch(`http://127.0.0.1:${sandboxPort}/v1/charges`)).status > 0);
    await until('bare Hono', 30, async () => (await fetch(bareUrl)).ok);
    say(`ready after ${((Date.now() - startedAt) / 1000).toFixed(0)} s, task queue ${taskQueue}`);
    const memory = async (): Promise<Memory> => {
      const metrics = await (await fetch(`${apiUrl}/metrics`)).text();
      const gauge = (name: string) =>
        Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN);
      return {
        api: rssOf(apiChild.proc.pid!),
        worker: rssOf(worker.proc.pid!),
        apiHeap: gauge('nodejs_heap_size_used_bytes'),
        apiExternal: gauge('nodejs_external_memory_bytes'),
      };
    };

    const api = apiOf(apiUrl);
    const tokens = await Promise.all(
      Array.from(
        { length: Math.max(IN_FLIGHT, FILL_IN_FLIGHT) },
        async () => (await api('POST', '/v1/auth/guest')).body.token as string,
      ),
    );
    let tokenN = 0;
    const accept = async (offerId: string): Promise<Order> => {
      const token = tokens[tokenN++ % tokens.length]!;
      const res = await api('POST', `/v1/offers/${offerId}/accept`, token, { travelers: [TRAVELER], contact: CONTACT });
      if (res.status !== 201) throw new Error(`accept answered ${res.status}: ${JSON.stringify(res.body)}`);
      return { id: res.body.id as string, token };
    };
    const pay = async (order: Order) => {
      const res = await api('POST', `/v1/orders/${order.id}/pay`, order.token, { payment_token: 'tok_visa' });
      // 200 is PAID; the body is read after, so fulfilment may already have moved the order on.
      if (res.status !== 200 || !['PAID', 'FULFILLED'].includes(res.body.status as string)) {
        throw new Error(`pay answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
    };
    /** Accepted, not yet paid (oldest first); paid in this run and still open (the warm-up order is not). */
    const unpaid: Order[] = [];
    const paid: Order[] = [];

    // ---- 1. warm-up, the history of a happy-path order, memory with no open orders
    const warm = await accept(await newOffer());
    await pay(warm);
    await watcher.waitFor(warm.id, ['FULFILLED']);
    const requestPath = async (order: Order, seconds: number) => {
      const plan = await requestPathPlan(services, api, { apiUrl, bareUrl, seconds, order });
      results.requestPathPlan = plan;
      results.requestPath = await measureRequestPath(plan);
    };
    if (REQUEST_PATH_ONLY) {
      await requestPath(warm, HTTP_SECONDS);
      throw new Done();
    }
    const storm = async () => {
      results.storm = await measureStorm(services, api, { seats: 12, accepts: STORM_ACCEPTS });
      const st = results.storm;
      say(
        `storm: ${st.winners} winners, ${st.soldOut} sold out (p95 ${ms(st.soldOutP95)}; plain search p95 ${ms(st.searchP95)})`,
      );
    };
    if (STORM_ONLY) {
      await storm();
      throw new Done();
    }
    const bookingsFor = (seconds: number) =>
      runFor(seconds, IN_FLIGHT, () =>
        timed(async () => {
          const order = await accept(await newOffer());
          await pay(order);
          paid.push(order);
          await watcher.waitFor(order.id, ['FULFILLED']);
        }),
      );
    /** Phase 4b: a second worker process joins the task queue; the bookings window again. */
    const secondWorker = async (seconds: number) => {
      const port = await freePort();
      const second = startChild('worker-2', 'worker/main.ts', {
        ...childEnv,
        APP_METRICS__WORKER_PORT: String(port),
        APP_METRICS__TEMPORAL_PORT: '0',
      });
      children.push(second);
      await until('worker 2', 90, async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).ok);
      say(`worker 2 (pid ${second.proc.pid}) polling the same task queue`);
      results.bookings2Workers = await bookingsFor(seconds);
      say(`complete bookings with 2 workers: ${results.bookings2Workers.rate.toFixed(1)}/s`);
    };
    if (WORKERS_ONLY) {
      results.bookings = await bookingsFor(BOOKING_SECONDS);
      say(`complete bookings with 1 worker: ${results.bookings.rate.toFixed(1)}/s`);
      await secondWorker(BOOKING_SECONDS);
      throw new Done();
    }
    const warmHandle = services.temporal.workflow.getHandle(orderWorkflowId(warm.id));
    results.historyEvents = await settledHistoryLength(warmHandle);
    say(`warm-up order fulfilled; its settled history has ${results.historyEvents} events`);
    await warmHandle.terminate('bench: memory is read with no open orders');
    await sleep(2000); // both processes warmed up (the worker has bundled its workflows, the API has served)
    results.memoryIdle = await memory();
    say(
      `resident memory, no open orders: api ${mib(results.memoryIdle.api)}, worker ${mib(results.memoryIdle.worker)}`,
    );

    // The fixed phases scaled to leave the open orders at least FILL_SECONDS (and 30% of the time left); the open
    // orders get whatever remains after them.
    const fixedSeconds =
      6 * (PHASE_SECONDS + 1) + 10 * (HTTP_SECONDS * (4 / 3) + 1) + 8 + 2 * BOOKING_SECONDS + 20 + 15;
    const leftSeconds = (deadline - Date.now()) / 1000 - FULFIL_WAIT_S - SETTLE_S;
    const scale = Math.max(0.1, Math.min(1, Math.min(0.7 * leftSeconds, leftSeconds - FILL_SECONDS) / fixedSeconds));
    results.scale = scale;
    const phase = PHASE_SECONDS * scale;
    if (scale < 1) say(`${leftSeconds.toFixed(0)} s left: the fixed phases run at ${(scale * 100).toFixed(0)}%`);

    // ---- 2. latency at 1 and at IN_FLIGHT in flight: the empty workflow, accept, pay
    let probeN = 0;
    const probe = () =>
      timed(() =>
        services.temporal.workflow.execute(probeWorkflow, {
          taskQueue,
          workflowId: `bench-probe-${taskQueue}-${probeN++}`,
          args: ['bench'],
        }),
      );
    const acceptOne = async () => {
      const offerId = await newOffer();
      let order: Order | undefined;
      const latency = await timed(async () => (order = await accept(offerId)));
      unpaid.push(order!);
      return latency;
    };
    const payOne = async () => {
      const order = unpaid.shift();
      if (!order) return null;
      const latency = await timed(() => pay(order));
      paid.push(order);
      return latency;
    };
    checkTime('the empty workflow');
    results.probe1 = await runFor(phase, 1, probe);
    results.probeN = await runFor(phase, IN_FLIGHT, probe);
    say(`empty workflow p50: ${ms(results.probe1.p50)} at 1, ${ms(results.probeN.p50)} at ${IN_FLIGHT} in flight`);
    checkTime('accept');
    results.accept1 = await runFor(phase, 1, acceptOne);
    results.acceptN = await runFor(phase, IN_FLIGHT, acceptOne);
    say(`accept p50: ${ms(results.accept1.p50)} at 1, ${ms(results.acceptN.p50)} at ${IN_FLIGHT} in flight`);
    checkTime('pay');
    results.pay1 = await runFor(phase, 1, payOne);
    results.payN = await runFor(phase, IN_FLIGHT, payOne);
    say(`pay p50: ${ms(results.pay1.p50)} at 1, ${ms(results.payN.p50)} at ${IN_FLIGHT} in flight`);
    /** BENCH_HEAP_SNAPSHOT=1: the API's heap written to .data/profiles (V8's snapshot on SIGUSR2), waited for. */
    const heapSnapshot = async () => {
      if (!HEAP_SNAPSHOT) return;
      const dir = `${ROOT}.data/profiles`;
      const before = new Set(existsSync(dir) ? readdirSync(dir) : []);
      apiChild.proc.kill('SIGUSR2');
      say('api: writing a heap snapshot (BENCH_HEAP_SNAPSHOT=1)');
      let file: string | undefined;
      let size = -1;
      await until('the heap snapshot', 120, async () => {
        file ??= readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
        if (!file) return false;
        // Done once the file has stopped growing (V8 writes it in one go, then closes it).
        const now = statSync(`${dir}/${file}`).size;
        const done = now > 0 && now === size;
        size = now;
        return done;
      });
      say(`api: heap snapshot .data/profiles/${file} (${mib(size)})`);
    };
    const sayMemory = async (after: string) => {
      const m = await memory();
      say(
        `after ${after}: api rss ${mib(m.api)} (heap ${mib(m.apiHeap)}, external ${mib(m.apiExternal)}), worker ${mib(m.worker)}`,
      );
    };
    await sayMemory('the latency phases');
    if (LATENCY_ONLY) {
      await heapSnapshot();
      throw new Done();
    }

    // ---- 3. HTTP: the request path beside a bare Hono app (an order still open, for GET /v1/orders/:id)
    checkTime('HTTP');
    await requestPath(paid[paid.length - 1] ?? warm, Math.max(1, Math.round(HTTP_SECONDS * scale)));

    await sayMemory('the request path');
    // ---- 3b. the sold-out storm: many accepts at once on a 12-seat cabin, beside as many plain searches
    checkTime('the storm');
    await storm();

    await sayMemory('the storm');
    // ---- 4. complete bookings for a fixed window
    checkTime('the bookings');
    results.bookings = await bookingsFor(BOOKING_SECONDS * scale);
    say(`complete bookings: ${results.bookings.rate.toFixed(1)}/s`);
    checkTime('the bookings with 2 workers');
    await secondWorker(BOOKING_SECONDS * scale);

    // ---- 5. open orders: every order made above stays open (paid: FULFILLED, waiting on its archive timer; accepted
    // and not paid: PROPOSED, waiting on its hold timer); accepts make the rest, as fast as the API takes them (an
    // accept is the cheapest open order workflow), until OPEN_ORDERS are open or the time left runs out. Then memory.
    checkTime('the open orders');
    const fillSeconds = Math.max(0, (deadline - Date.now()) / 1000 - FULFIL_WAIT_S - SETTLE_S);
    say(
      `open orders: ${paid.length + unpaid.length} so far; accepts up to ${OPEN_ORDERS} at ${FILL_IN_FLIGHT} in ` +
        `flight for up to ${fillSeconds.toFixed(0)} s`,
    );
    const fill = await runFor(fillSeconds, FILL_IN_FLIGHT, async () => {
      if (paid.length + unpaid.length >= OPEN_ORDERS) return null;
      const offerId = await newOffer();
      let order: Order | undefined;
      const latency = await timed(async () => (order = await accept(offerId)));
      unpaid.push(order!);
      return latency;
    });
    const countStates = async (orders: Order[]) => {
      const rows = await services.sql<{ status: string; n: number }[]>`
        SELECT status, count(*)::int AS n FROM orders WHERE id = ANY(${orders.map((o) => o.id)}::uuid[])
        GROUP BY status`;
      return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
    };
    const fulfilWaitEnd = Date.now() + FULFIL_WAIT_S * 1000;
    while (Date.now() < fulfilWaitEnd && ((await countStates(paid)).FULFILLED ?? 0) < paid.length) await sleep(500);
    await sleep(SETTLE_S * 1000);
    // Open workflows are what the worker could be holding: counted by Temporal, beside the read model's states.
    const [paidStates, unpaidStates, running] = await Promise.all([
      countStates(paid),
      countStates(unpaid),
      services.temporal.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`),
    ]);
    results.memoryOpen = {
      ...(await memory()),
      fulfilled: paidStates.FULFILLED ?? 0,
      proposed: unpaidStates.PROPOSED ?? 0,
      running: running.count,
      fillSeconds: fill.elapsed,
      fillRate: fill.rate,
    };
    say(
      `resident memory with ${results.memoryOpen.running} open orders (${results.memoryOpen.fulfilled} FULFILLED, ` +
        `${results.memoryOpen.proposed} PROPOSED): api ${mib(results.memoryOpen.api)}, worker ${mib(results.memoryOpen.worker)}`,
    );

    await heapSnapshot();

    // The Temporal Core SDK's own exporter, as Prometheus scrapes it (the names are kept for the dashboard's sake).
    const temporalText = await (await fetch(`http://127.0.0.1:${temporalMetricsPort}/metrics`)).text();
    const families = [...new Set(temporalText.match(/^temporal_[a-z_]+/gm) ?? [])].sort();
    writeFileSync(`${ROOT}.data/logs/bench-temporal-metrics.txt`, temporalText);
    results.temporalSeries = families.length;
  } catch (err) {
    // Out of time: the figures so far are the run's. Any other failure: printed, not recorded, and rethrown.
    if (!(err instanceof Done)) {
      if (!(err instanceof OutOfTime)) failure = err as Error;
      results.stopped = (err as Error).message;
      say((err as Error).message);
    }
  } finally {
    results.cleanup = await cleanup(services, config, taskQueue, children).catch(
      (err: unknown) => `cleanup incomplete: ${(err as Error).message}`,
    );
    say(results.cleanup);
    await watcher.stop();
    await services.close();
    clearTimeout(watchdog);
  }
  results.machine += `; load average ${loadBefore.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`;
  const report = render(results);
  console.log(`\n${report}`);
  if (failure) throw failure;
  if (process.env.BENCH_RECORD !== '0') {
    const file = `${ROOT}bench/RESULTS.md`;
    if (!existsSync(file)) writeFileSync(file, RESULTS_HEADER);
    appendFileSync(file, `\n${report}`);
    say(`appended to bench/RESULTS.md`);
  }
  say(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
}

/**
 * Leaves nothing running: children stopped, then every workflow still open on the run's task queue terminated by
 * one batch operation on the server (fulfilled orders wait for their departure, unpaid ones would hold seats for
 * 30 minutes), awaited until the time runs short; one termination per workflow if the server refuses the batch.
 * The orders stay in the bench database as they were (its bench flights are never sold again).
 */
async function cleanup(services: Services, config: AppConfig, taskQueue: string, children: Child[]): Promise<string> {
  await stopChildren(children);
  const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
  const { workflowService } = services.temporal;
  const namespace = config.temporal.namespace;
  const jobId = `bench-cleanup-${taskQueue}`;
  const end = Date.now() + Math.max(5, (deadline - Date.now()) / 1000 + CLEANUP_RESERVE_S - 10) * 1000;
  try {
    await workflowService.startBatchOperation({
      namespace,
      jobId,
      visibilityQuery: query,
      reason: 'bench cleanup',
      terminationOperation: { identity: 'bench' },
    });
  } catch (err) {
    say(`batch termination refused (${(err as Error).message}): terminating one by one`);
    const running: string[] = [];
    for await (const wf of services.temporal.workflow.list({ query })) running.push(wf.workflowId);
    await each(running, 32, async (id) => {
      if (Date.now() > end) return;
      await services.temporal.workflow
        .getHandle(id)
        .terminate('bench cleanup')
        .catch(() => undefined); // closed meanwhile
    });
    return `cleanup: children stopped, ${running.length} workflow(s) terminated one by one`;
  }
  const RUNNING = 1; // BATCH_OPERATION_STATE_RUNNING
  let done = { state: RUNNING, complete: 0, total: 0 };
  while (Date.now() < end) {
    const d = await workflowService.describeBatchOperation({ namespace, jobId });
    done = {
      state: d.state ?? RUNNING,
      complete: Number(d.completeOperationCount ?? 0),
      total: Number(d.totalOperationCount ?? 0),
    };
    if (done.state !== RUNNING) break;
    await sleep(1000);
  }
  return done.state === RUNNING
    ? `cleanup: children stopped; batch termination ${jobId} still running on the server (${done.complete} of ${done.total} so far)`
    : `cleanup: children stopped, ${done.complete} of ${done.total} running workflow(s) terminated (batch ${jobId})`;
}

const RESULTS_HEADER = `# Benchmark results

Appended by \`npm run bench\` (bench/run.ts): one section per run, newest last. The API, the worker and the payment
sandbox run as child processes on this machine, against the local services of scripts/infra.sh (Temporal CLI dev
server with SQLite, PostgreSQL 15, Redis 7, Kafka 3.9); from 2026-12 on a database (\`altis_bench\`), Redis database
and Kafka topic prefix of the bench's own. Request logs at \`warn\` and rate limits raised, as in bench/flight-search.ts.
Figures from one machine are comparable with each other, not with other machines.

Reading them: the workflow path (accept, pay, bookings) is bound by the Temporal dev server, which persists to one
SQLite file; compare accept and pay with the empty workflow on the same server in the same run (the ratios), not
with production targets. The load average says how busy the machine was with other work during the run. Runs before
2026-12 compared rates (accept ÷ empty workflow) and read memory with 1,000 PROPOSED orders; later runs compare p50
latencies at 1 and 16 in flight and read memory with fulfilled orders waiting on their archive timer.
`;

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : 'n/a');
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const NOT_MEASURED =
  REQUEST_PATH_ONLY || WORKERS_ONLY || LATENCY_ONLY ? 'not measured (not in this run)' : 'not measured (out of time)';

function render(r: Results): string {
  const ratio = (a: number | undefined, b: number | undefined, target?: number) => {
    if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return NOT_MEASURED;
    const x = a / b;
    return target === undefined
      ? `**${x.toFixed(2)}×**`
      : `**${x.toFixed(2)}×** (target ≤ ${target}×: ${x <= target ? 'met' : 'not met'})`;
  };
  const latency = (s: Sample | undefined) =>
    s
      ? `p50 ${ms(s.p50)}, p95 ${ms(s.p95)} (${s.count} in ${s.elapsed.toFixed(1)} s, ${s.rate.toFixed(1)}/s, ${s.errors} errors)`
      : NOT_MEASURED;
  const n = IN_FLIGHT;
  const open = r.memoryOpen;
  const openLabel = open ? `${open.running} open orders` : `${OPEN_ORDERS} open orders`;
  const reached =
    open && open.running < OPEN_ORDERS
      ? ` — **only ${open.running} of ${OPEN_ORDERS} reached in the time budget: memory below is at that count**`
      : '';
  const memoryRow = (name: 'api' | 'worker') =>
    r.memoryIdle && open
      ? `${mib(r.memoryIdle[name])} → ${mib(open[name])}, ${ratio(open[name], r.memoryIdle[name], name === 'worker' ? TARGETS.memoryRatio : undefined)}`
      : NOT_MEASURED;
  const requestPath: [string, string][] =
    r.requestPath && r.requestPathPlan
      ? requestPathRows(r.requestPath, r.requestPathPlan)
      : [['request path (bench/request-path.ts)', NOT_MEASURED]];
  const all: [string, string][] = [
    ['empty workflow: probeWorkflow start → result, 1 in flight', latency(r.probe1)],
    [`empty workflow, ${n} in flight`, latency(r.probeN)],
    ['accept offer → 201 PROPOSED, 1 in flight', latency(r.accept1)],
    [`accept offer → 201 PROPOSED, ${n} in flight`, latency(r.acceptN)],
    ['pay tok_visa → 200 PAID, 1 in flight', latency(r.pay1)],
    [`pay tok_visa → 200 PAID, ${n} in flight`, latency(r.payN)],
    ['**accept ÷ empty workflow (p50), 1 in flight**', ratio(r.accept1?.p50, r.probe1?.p50, TARGETS.acceptOverEmpty)],
    [
      `**accept ÷ empty workflow (p50), ${n} in flight**`,
      ratio(r.acceptN?.p50, r.probeN?.p50, TARGETS.acceptOverEmpty),
    ],
    ['**pay ÷ empty workflow (p50), 1 in flight**', ratio(r.pay1?.p50, r.probe1?.p50, TARGETS.payOverEmpty)],
    [`**pay ÷ empty workflow (p50), ${n} in flight**`, ratio(r.payN?.p50, r.probeN?.p50, TARGETS.payOverEmpty)],
    [
      `complete bookings: accept → pay → FULFILLED (${n} in flight, ${r.bookings?.seconds.toFixed(1) ?? BOOKING_SECONDS} s window)`,
      r.bookings
        ? `${r.bookings.rate.toFixed(1)}/s (${r.bookings.count} bookings in ${r.bookings.elapsed.toFixed(1)} s; each p50 ${ms(r.bookings.p50)}, p95 ${ms(r.bookings.p95)}; ${r.bookings.errors} errors)`
        : NOT_MEASURED,
    ],
    [
      `complete bookings with 2 worker processes (the same window, a second worker on the task queue)`,
      r.bookings2Workers
        ? `${r.bookings2Workers.rate.toFixed(1)}/s (${r.bookings2Workers.count} bookings in ${r.bookings2Workers.elapsed.toFixed(1)} s; each p50 ${ms(r.bookings2Workers.p50)}, p95 ${ms(r.bookings2Workers.p95)}; ${r.bookings2Workers.errors} errors)`
        : NOT_MEASURED,
    ],
    ['**complete bookings, 2 workers ÷ 1 worker**', ratio(r.bookings2Workers?.rate, r.bookings?.rate)],
    [
      `**complete bookings ÷ previous recorded ${PREVIOUS_BOOKINGS_PER_S}/s**`,
      ratio(r.bookings?.rate, PREVIOUS_BOOKINGS_PER_S),
    ],
    [
      'history events of a happy-path order (accept → pay → FULFILLED, settled; it then waits for departure)',
      r.historyEvents === undefined
        ? NOT_MEASURED
        : `**${r.historyEvents}** (target ≤ ${TARGETS.historyEvents}: ${r.historyEvents <= TARGETS.historyEvents ? 'met' : 'not met'})`,
    ],
    [
      `open orders (running order workflows: the phases' paid orders FULFILLED, waiting on their archive timer; accepted at ${FILL_IN_FLIGHT} in flight and not paid: PROPOSED, waiting on their hold timer)`,
      open
        ? `**${open.running}** (${open.fulfilled} FULFILLED, ${open.proposed} PROPOSED; the last phase accepted ${open.fillRate.toFixed(1)}/s for ${open.fillSeconds.toFixed(0)} s)${reached}`
        : NOT_MEASURED,
    ],
    [
      `worker resident memory, no open orders → ${openLabel} (max_cached_workflows ${r.maxCachedWorkflows})`,
      memoryRow('worker'),
    ],
    [`API resident memory, no open orders → ${openLabel}`, memoryRow('api')],
    [
      'API V8 heap in use and memory outside it (Buffers), no open orders → open orders',
      r.memoryIdle && open
        ? `heap ${mib(r.memoryIdle.apiHeap)} → ${mib(open.apiHeap)}, external ${mib(r.memoryIdle.apiExternal)} → ${mib(open.apiExternal)}`
        : NOT_MEASURED,
    ],
    ...requestPath,
    ...stormRows(r.storm, NOT_MEASURED),
    [
      'Temporal Core SDK Prometheus endpoint of the worker (metric names, incl. _bucket/_sum/_count)',
      r.temporalSeries === undefined ? NOT_MEASURED : String(r.temporalSeries),
    ],
  ];
  const rows = REQUEST_PATH_ONLY ? requestPath : all;
  const scaled =
    r.scale !== undefined && r.scale < 1
      ? ` Fixed phases shortened to ${(r.scale * 100).toFixed(0)}% of their length to fit the time budget.`
      : '';
  return [
    `## ${r.date}`,
    '',
    `Machine: ${r.machine}.${REQUEST_PATH_ONLY ? ' Request path only (`npm run bench -- request-path`).' : ''}${scaled}${r.stopped ? ` **Stopped early: ${r.stopped}.**` : ''}`,
    '',
    '| figure | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    r.cleanup ? `${r.cleanup[0]!.toUpperCase()}${r.cleanup.slice(1)}.` : '',
    '',
  ].join('\n');
}

run().catch((err) => {
  console.error(err);
  void stopChildren(children).finally(() => process.exit(1));
});
