import autocannon from 'autocannon';
/**
 * The whole-stack benchmark (`npm run bench`, through scripts/bench.sh, which starts the services and migrates).
 * Starts what it measures as child processes (payment sandbox, worker, API: `node --import tsx`, so that each RSS
 * is its own), on free ports and a task queue of this run, with fresh bench flights; then, in one run:
 *
 *   1. A warm-up booking; the number of history events of that happy-path order; the RSS of the API and the worker.
 *   2. The empty workflow: probeWorkflow started and awaited on the same Temporal server and worker.
 *   3. 1,000 accepts (PROPOSED orders, 30-minute hold): accept rate and latency (the figure: its ratio to the empty
 *      workflow's rate); then the RSS of the API and the worker with the 1,000 orders open.
 *   4. HTTP: POST /v1/flights/search against a trivial route on the same server (an unknown path: the 404 handler
 *      behind the same middleware: request id, log, per-IP rate limit, body limit), autocannon at a fixed number of
 *      connections. The figure: their ratio.
 *   5. Pay 100 of the open orders (tok_visa): pay latency.
 *   6. Complete bookings (accept → pay → FULFILLED) for a fixed window, the other orders still open: bookings/s.
 * Then `cleanup`: children stopped, the workflows left on the task queue terminated, the orders left PROPOSED
 * cancelled. Bounded: phases stop starting BENCH_TIMEOUT_S − 60 s after the start (a phase cut short is marked so in
 * the figures) and a watchdog ends everything at BENCH_TIMEOUT_S (290 s). Prints the figures and appends them, with
 * the machine, to bench/RESULTS.md (BENCH_RECORD=0: not).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { createActivities } from '../activities';
import { createInventory } from '../services/inventory';
import { loadConfig, type AppConfig } from '../config';
import { ROUTES } from '../db/seed/data';
import { seed } from '../scripts/seed';
import { createLogger } from '../lib/logger';
import { openServices, type Services } from '../lib/services';
import { createTestOffer } from '../test/support/fixtures';
import { createTestFlight, testRoute, type TestFlight } from '../test/support/flights';
import { orderWorkflowId } from '../workflows/messages';
import { probeWorkflow } from '../workflows/probe';

const ROOT = new URL('..', import.meta.url).pathname;
const HTTP_CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const HTTP_SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 16);
const OPEN_ORDERS = Number(process.env.BENCH_OPEN_ORDERS ?? 1000);
const PAID_ORDERS = Number(process.env.BENCH_PAID_ORDERS ?? 100);
const PROBES = Number(process.env.BENCH_PROBES ?? 200);
const BOOKING_SECONDS = Number(process.env.BENCH_BOOKING_SECONDS ?? 15);
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 290);
/** Phases stop taking new work this long before the timeout, to leave time for the cleanup. */
const CLEANUP_RESERVE_S = 60;
let deadline = Infinity;
const overTime = () => Date.now() > deadline;
const FLIGHTS = 40;
const SEATS_PER_FLIGHT = 60;

// ------------------------------------------------------------------------------------------ small helpers
const say = (msg: string) => console.log(`[bench] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Sample {
  /** Fewer than asked for: the phase ran out of time. */
  truncated: boolean;
  count: number;
  errors: number;
  seconds: number;
  rate: number;
  p50: number;
  p95: number;
  p99: number;
}

/** Runs fn over items with at most `limit` in flight; latency per successful call, rate = successes / wall time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<Sample> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  let firstError: unknown = null;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && !overTime()) {
        const item = items[next++]!;
        const t0 = performance.now();
        try {
          await fn(item);
          latencies.push(performance.now() - t0);
        } catch (err) {
          errors++;
          firstError ??= err;
        }
      }
    }),
  );
  if (firstError) say(`  ${errors} error(s), first: ${(firstError as Error).message}`);
  const sample = summarize(latencies, errors, (performance.now() - started) / 1000);
  sample.truncated = next < items.length;
  return sample;
}

function summarize(latencies: number[], errors: number, seconds: number): Sample {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    truncated: false,
    count: sorted.length,
    errors,
    seconds,
    rate: sorted.length / seconds,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
  };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function until(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} not ready within ${seconds} s (logs: .data/logs/bench-*.log)`);
}

// ------------------------------------------------------------------------------------------ child processes
interface Child {
  name: string;
  proc: ChildProcess;
}

function startChild(name: string, entry: string, env: Record<string, string>): Child {
  const logDir = `${ROOT}.data/logs`;
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(`${logDir}/bench-${name}.log`);
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
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
      const killed = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!killed) proc.kill('SIGKILL');
    }),
  );
}

/** Resident set size of a process, from /proc (bytes). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** process_resident_memory_bytes from a prom-client /metrics endpoint. */
async function scrapedRss(url: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const m = /^process_resident_memory_bytes(?:\{[^}]*\})? (\d+)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

// ------------------------------------------------------------------------------------------ autocannon

interface HttpFigure {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  unexpected: number;
}

async function loadHttp(url: string, request: autocannon.Request, expect: '2xx' | '404', bodies?: string[]) {
  let n = 0;
  const req = bodies
    ? { ...request, setupRequest: (r: autocannon.Request) => ({ ...r, body: bodies[n++ % bodies.length] }) }
    : request;
  await autocannon({ url, connections: HTTP_CONNECTIONS, duration: 2, requests: [req] }); // warm-up
  const r = await autocannon({ url, connections: HTTP_CONNECTIONS, duration: HTTP_SECONDS, requests: [req] });
  // The 404 route is expected to answer 404 (autocannon counts it as non-2xx): only other answers are errors.
  const unexpected = r.errors + r.timeouts + (expect === '2xx' ? r.non2xx : r.non2xx - r['4xx']);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, unexpected };
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

/** Resolves when each watched order reaches one of `states` in Postgres (one query per tick for all of them). */
function createStatusWatcher(services: Services) {
  const waiting = new Map<string, { states: string[]; resolve: () => void }>();
  let running = true;
  const loop = (async () => {
    while (running) {
      if (waiting.size > 0) {
        const ids = [...waiting.keys()];
        const rows = await services.sql<{ id: string; status: string }[]>`
          SELECT id, status FROM orders WHERE id = ANY(${ids}::uuid[])`;
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

// ------------------------------------------------------------------------------------------ the run
interface Results {
  date: string;
  machine: string;
  historyEvents?: number;
  search?: HttpFigure;
  trivial?: HttpFigure;
  probe?: Sample;
  accept?: Sample;
  rss?: { apiIdle: number; workerIdle: number; api: number; worker: number; apiScraped: number; workerScraped: number };
  pay?: Sample;
  bookings?: Sample & { window: number };
  temporalSeries?: number;
  /** Why the run stopped early, when it did. */
  stopped?: string;
}

function machine(): string {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(1);
  return `${availableParallelism()} CPUs (${cpu}), ${gib} GiB RAM, Node ${process.version}`;
}

class OutOfTime extends Error {}
const checkTime = (phase: string) => {
  if (overTime()) throw new OutOfTime(`out of time before ${phase} (BENCH_TIMEOUT_S=${TIMEOUT_S})`);
};

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

  const base = loadConfig();
  const config: AppConfig = { ...base, log: { ...base.log, level: 'warn', pretty: false } };
  const services = await openServices(config, createLogger(config, 'bench'), 'bench');
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const watcher = createStatusWatcher(services);
  const results: Results = { date: new Date().toISOString(), machine: machine() };
  try {
    // ---- data: the schedule (for search) and fresh bench flights (for orders)
    const seeded = await seed(services.db, services.sql, { today: new Date(), days: 2, redis: services.redis });
    say(`schedule checked (${seeded.flights} flights added); creating ${FLIGHTS} bench flights`);
    const flights: TestFlight[] = [];
    while (flights.length < FLIGHTS) {
      flights.push(await createTestFlight(services, { route: testRoute('bench'), capacity: SEATS_PER_FLIGHT }));
    }
    await createInventory(services).rebuildIndex(flights.map((f) => f.id));
    let offerN = 0;
    const newOffer = async () => (await createTestOffer(services.redis, [flights[offerN++ % flights.length]!])).id;

    // ---- processes
    const [apiPort, sandboxPort, workerMetricsPort, temporalMetricsPort] = await Promise.all(
      [0, 1, 2, 3].map(() => freePort()),
    );
    const env = {
      APP_LOG__LEVEL: 'warn',
      APP_LOG__PRETTY: 'false',
      APP_SERVER__HOST: '127.0.0.1',
      APP_SERVER__PORT: String(apiPort),
      APP_TEMPORAL__TASK_QUEUE: taskQueue,
      APP_PAYMENTS__GATEWAY_URL: `http://127.0.0.1:${sandboxPort}`,
      APP_RATE_LIMIT__PER_IP_PER_MINUTE: '1000000000',
      APP_RATE_LIMIT__PER_CUSTOMER_PER_MINUTE: '1000000000',
      APP_METRICS__WORKER_PORT: String(workerMetricsPort),
      APP_METRICS__TEMPORAL_PORT: String(temporalMetricsPort),
      APP_OTEL__OTLP_ENDPOINT: '',
    };
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    children.push(
      startChild('gateway', 'payments-sandbox/main.ts', {
        ...env,
        SANDBOX_HOST: '127.0.0.1',
        SANDBOX_PORT: String(sandboxPort),
        SANDBOX_WEBHOOK_URL: `${apiUrl}/v1/webhooks/payments`,
      }),
      startChild('worker', 'worker/main.ts', env),
      startChild('api', 'api/main.ts', env),
    );
    const [gateway, worker, apiChild] = children as [Child, Child, Child];
    say(`started gateway (pid ${gateway.proc.pid}), worker (pid ${worker.proc.pid}), api (pid ${apiChild.proc.pid})`);
    await until('api', 60, async () => (await fetch(`${apiUrl}/metrics`)).ok);
    await until('worker', 90, async () => (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).ok);
    await until('gateway', 30, async () => (await fetch(`http://127.0.0.1:${sandboxPort}/v1/charges`)).status > 0);
    say(`ready after ${((Date.now() - startedAt) / 1000).toFixed(0)} s, task queue ${taskQueue}`);

    const api = apiOf(apiUrl);
    const tokens = await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => (await api('POST', '/v1/auth/guest')).body.token as string),
    );
    let tokenN = 0;
    const accept = async (offerId: string) => {
      const token = tokens[tokenN++ % tokens.length]!;
      const res = await api('POST', `/v1/offers/${offerId}/accept`, token, { travelers: [TRAVELER], contact: CONTACT });
      if (res.status !== 201) throw new Error(`accept answered ${res.status}: ${JSON.stringify(res.body)}`);
      return { id: res.body.id as string, token };
    };
    const pay = async (order: { id: string; token: string }) => {
      const res = await api('POST', `/v1/orders/${order.id}/pay`, order.token, { payment_token: 'tok_visa' });
      if (res.status !== 200) throw new Error(`pay answered ${res.status}: ${JSON.stringify(res.body)}`);
    };

    // ---- warm-up, and the history of a happy-path order
    const warm = await accept(await newOffer());
    await pay(warm);
    await watcher.waitFor(warm.id, ['FULFILLED']);
    const history = await services.temporal.workflow.getHandle(orderWorkflowId(warm.id)).fetchHistory();
    results.historyEvents = history.events?.length ?? 0;
    say(`warm-up order fulfilled; its history has ${results.historyEvents} events`);

    // Memory before the orders: both processes warmed up (the worker has bundled its workflows, the API has served).
    await sleep(2000);
    const rssIdle = { api: rssOf(apiChild.proc.pid!), worker: rssOf(worker.proc.pid!) };

    // ---- 2. the empty workflow on the same server and worker
    checkTime('the empty workflow');
    results.probe = await pool(
      Array.from({ length: PROBES }, (_, i) => i),
      IN_FLIGHT,
      async (i) => {
        await services.temporal.workflow.execute(probeWorkflow, {
          taskQueue,
          workflowId: `bench-probe-${taskQueue}-${i}`,
          args: ['bench'],
        });
      },
    );
    say(`empty workflow: ${results.probe.rate.toFixed(1)}/s`);

    // ---- 3. 1,000 open orders: the accept rate, then memory
    checkTime('the open orders');
    const offers = await Promise.all(Array.from({ length: OPEN_ORDERS }, () => newOffer()));
    const open: { id: string; token: string }[] = [];
    results.accept = await pool(offers, IN_FLIGHT, async (offerId) => {
      open.push(await accept(offerId));
    });
    say(`accepted ${open.length} orders: ${results.accept.rate.toFixed(1)}/s`);
    await sleep(2000); // let the processes settle (GC, caches) before reading memory
    results.rss = {
      apiIdle: rssIdle.api,
      workerIdle: rssIdle.worker,
      api: rssOf(apiChild.proc.pid!),
      worker: rssOf(worker.proc.pid!),
      apiScraped: await scrapedRss(`${apiUrl}/metrics`),
      workerScraped: await scrapedRss(`http://127.0.0.1:${workerMetricsPort}/metrics`),
    };
    say(
      `resident memory with ${open.length} open orders: api ${mib(results.rss.api)}, worker ${mib(results.rss.worker)}`,
    );

    // ---- 4. HTTP: search against the trivial route
    const date = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const bodies = ROUTES.map((r) =>
      JSON.stringify({
        legs: [{ origin_airport_code: r.origin, destination_airport_code: r.destination, date }],
        passenger_count: 1 + (r.departureMinutes % 4),
      }),
    );
    checkTime('HTTP');
    const probeSearch = await api('POST', '/v1/flights/search', undefined, JSON.parse(bodies[0]!));
    if (probeSearch.status !== 200) throw new Error(`search probe answered ${probeSearch.status}`);
    say(`HTTP: ${HTTP_CONNECTIONS} connections, ${HTTP_SECONDS} s each (after 2 s of warm-up)`);
    results.search = await loadHttp(
      apiUrl,
      { method: 'POST', path: '/v1/flights/search', headers: { 'content-type': 'application/json' } },
      '2xx',
      bodies,
    );
    results.trivial = await loadHttp(apiUrl, { method: 'GET', path: '/v1/bench-no-such-route' }, '404');
    say(`search ${results.search.rps.toFixed(0)} req/s, trivial route ${results.trivial.rps.toFixed(0)} req/s`);

    // ---- 5. pay some of them (the rest stay open until the cleanup)
    checkTime('pay');
    results.pay = await pool(open.slice(0, PAID_ORDERS), IN_FLIGHT, pay);
    say(`paid ${results.pay.count}: p50 ${ms(results.pay.p50)}`);

    // ---- 6. complete bookings for a fixed window
    checkTime('the bookings');
    const bookingOffers = await Promise.all(Array.from({ length: Math.ceil(BOOKING_SECONDS * 100) }, () => newOffer()));
    const latencies: number[] = [];
    let bookingErrors = 0;
    let nextOffer = 0;
    const windowEnd = performance.now() + BOOKING_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < windowEnd && nextOffer < bookingOffers.length) {
          const offerId = bookingOffers[nextOffer++]!;
          const t0 = performance.now();
          try {
            const order = await accept(offerId);
            await pay(order);
            await watcher.waitFor(order.id, ['FULFILLED']);
            if (performance.now() <= windowEnd) latencies.push(performance.now() - t0);
          } catch (err) {
            bookingErrors++;
            if (bookingErrors === 1) say(`  booking error: ${(err as Error).message}`);
          }
        }
      }),
    );
    results.bookings = { ...summarize(latencies, bookingErrors, BOOKING_SECONDS), window: BOOKING_SECONDS };
    say(`complete bookings: ${results.bookings.rate.toFixed(1)}/s`);

    // The Temporal Core SDK's own exporter, as Prometheus scrapes it (the names are kept for the dashboard's sake).
    const temporalText = await (await fetch(`http://127.0.0.1:${temporalMetricsPort}/metrics`)).text();
    const families = [...new Set(temporalText.match(/^temporal_[a-z_]+/gm) ?? [])].sort();
    writeFileSync(`${ROOT}.data/logs/bench-temporal-metrics.txt`, temporalText);
    results.temporalSeries = families.length;
  } catch (err) {
    if (!(err instanceof OutOfTime)) throw err;
    results.stopped = err.message;
    say(err.message);
  } finally {
    const cleaned = cleanup(services, config, taskQueue, children).catch((err: unknown) =>
      say(`cleanup incomplete: ${(err as Error).message}`),
    );
    await cleaned;
    await watcher.stop();
    await services.close();
    clearTimeout(watchdog);
  }
  results.machine += `; load average ${loadBefore.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`;
  const report = render(results);
  console.log(`\n${report}`);
  if (process.env.BENCH_RECORD !== '0') {
    const file = `${ROOT}bench/RESULTS.md`;
    if (!existsSync(file)) writeFileSync(file, RESULTS_HEADER);
    appendFileSync(file, `\n${report}`);
    say(`appended to bench/RESULTS.md`);
  }
  say(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
}

/**
 * Leaves nothing running: children stopped, then every workflow still open on the bench's task queue terminated
 * (fulfilled orders wait for their departure, the open ones would hold seats for 30 minutes), and each order still
 * PROPOSED cancelled by the order activity the workflow would have run (CANCELLED with its outbox event, seats
 * released in Postgres and Redis). A cancel through the API would cost a workflow update and an activity each on
 * the Temporal server just measured; this costs a termination and a database transaction.
 */
async function cleanup(services: Services, config: AppConfig, taskQueue: string, children: Child[]) {
  await stopChildren(children);
  deadline = Infinity; // cleanup is never cut short (the watchdog still bounds it)
  const running: string[] = [];
  for await (const wf of services.temporal.workflow.list({
    query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
  })) {
    running.push(wf.workflowId);
  }
  await pool(running, 32, async (id) => {
    await services.temporal.workflow
      .getHandle(id)
      .terminate('bench cleanup')
      .catch(() => undefined); // closed meanwhile
  });
  const orderIds = running.filter((id) => id.startsWith('order-')).map((id) => id.slice('order-'.length));
  const proposed = await services.sql<{ id: string }[]>`
    SELECT id FROM orders WHERE id = ANY(${orderIds}::uuid[]) AND status = 'PROPOSED'`;
  const activities = createActivities({ ...services, config, logger: createLogger(config, 'bench') });
  await pool(proposed, 16, async ({ id }) => {
    await activities.cancelOrder({ orderId: id, at: new Date().toISOString(), reason: 'bench cleanup', refund: null });
  });
  say(
    `cleanup: children stopped, ${running.length} workflow(s) terminated, ${proposed.length} open order(s) cancelled`,
  );
}

const RESULTS_HEADER = `# Benchmark results

Appended by \`npm run bench\` (bench/run.ts): one section per run, newest last. The API, the worker and the payment
sandbox run as child processes on this machine, against the local services of scripts/infra.sh (Temporal CLI dev
server with SQLite, PostgreSQL 15, Redis 7, Kafka 3.9). Request logs at \`warn\` and rate limits raised, as in
bench/flight-search.ts. Figures from one machine are comparable with each other, not with other machines.

Reading them: the workflow path (accept, pay, bookings) is bound by the Temporal dev server, which persists to one
SQLite file; compare accept with the empty workflow on the same server (the ratio), not with production targets.
The load average says how busy the machine was with other work during the run.
`;

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : 'n/a');
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const rate = (s: Sample) => `${s.rate.toFixed(1)}/s`;
const NOT_MEASURED = 'not measured (out of time)';
const part = (s: Sample) => (s.truncated ? ' — **cut short: out of time**' : '');

function render(r: Results): string {
  const http = (f: HttpFigure | undefined) =>
    f
      ? `${f.rps.toFixed(0)} req/s, p50 ${ms(f.p50)}, p99 ${ms(f.p99)} (${f.total} requests, ${f.unexpected} errors)`
      : NOT_MEASURED;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined ? `**${(a / b).toFixed(2)}×**` : NOT_MEASURED;
  const opened = r.accept?.count ?? 0;
  const memory = (name: 'api' | 'worker') => {
    if (!r.rss) return NOT_MEASURED;
    const idle = name === 'api' ? r.rss.apiIdle : r.rss.workerIdle;
    const now = name === 'api' ? r.rss.api : r.rss.worker;
    const scraped = name === 'api' ? r.rss.apiScraped : r.rss.workerScraped;
    const perOrder = opened > 0 ? `${((now - idle) / opened / 1024).toFixed(1)} KiB per order; ` : '';
    return `${mib(idle)} → ${mib(now)} (${perOrder}process_resident_memory_bytes says ${mib(scraped)})`;
  };
  const rows: [string, string][] = [
    [`flight search, POST /v1/flights/search (${HTTP_CONNECTIONS} connections, ${HTTP_SECONDS} s)`, http(r.search)],
    [`trivial route on the same server and middleware (GET unknown path → 404 handler)`, http(r.trivial)],
    ['**search ÷ trivial route (throughput)**', ratio(r.search?.rps, r.trivial?.rps)],
    [
      `accept offer → 201 PROPOSED (${opened} accepts, ${IN_FLIGHT} in flight)`,
      r.accept
        ? `${rate(r.accept)}, p50 ${ms(r.accept.p50)}, p95 ${ms(r.accept.p95)} (${r.accept.errors} errors)${part(r.accept)}`
        : NOT_MEASURED,
    ],
    [
      `empty workflow: probeWorkflow start → result (${r.probe?.count ?? 0}, ${IN_FLIGHT} in flight)`,
      r.probe
        ? `${rate(r.probe)}, p50 ${ms(r.probe.p50)}, p95 ${ms(r.probe.p95)} (${r.probe.errors} errors)${part(r.probe)}`
        : NOT_MEASURED,
    ],
    ['**accept ÷ empty workflow (rate)**', ratio(r.accept?.rate, r.probe?.rate)],
    [
      `pay: tok_visa → 200 PAID (${r.pay?.count ?? 0} orders, ${IN_FLIGHT} in flight)`,
      r.pay
        ? `p50 ${ms(r.pay.p50)}, p95 ${ms(r.pay.p95)} (${rate(r.pay)}, ${r.pay.errors} errors)${part(r.pay)}`
        : NOT_MEASURED,
    ],
    [
      `complete bookings: accept → pay → FULFILLED (${IN_FLIGHT} in flight, ${BOOKING_SECONDS} s, ${OPEN_ORDERS - PAID_ORDERS} other orders open)`,
      r.bookings
        ? `${rate(r.bookings)} (${r.bookings.count} bookings; each p50 ${ms(r.bookings.p50)}, p95 ${ms(r.bookings.p95)}; ${r.bookings.errors} errors)`
        : NOT_MEASURED,
    ],
    [
      'history events of a happy-path order (accept → pay → FULFILLED; it then waits for departure)',
      r.historyEvents === undefined ? NOT_MEASURED : String(r.historyEvents),
    ],
    [`API resident memory, warmed up → with ${opened} open orders`, memory('api')],
    [`worker resident memory, warmed up → with ${opened} open orders`, memory('worker')],
    [
      'Temporal Core SDK Prometheus endpoint of the worker (metric names, incl. _bucket/_sum/_count)',
      r.temporalSeries === undefined ? NOT_MEASURED : String(r.temporalSeries),
    ],
  ];
  return [
    `## ${r.date}`,
    '',
    `Machine: ${r.machine}.${r.stopped ? ` **Stopped early: ${r.stopped}.**` : ''}`,
    '',
    '| figure | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ].join('\n');
}

run().catch((err) => {
  console.error(err);
  void stopChildren(children).finally(() => process.exit(1));
});
