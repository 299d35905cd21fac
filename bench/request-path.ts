/**
 * The request path at the speed of its framework (issue #19): every figure beside a bare Hono app on the same
 * @hono/node-server, measured in the same run on the same machine. Used by bench/run.ts, in the full run and
 * alone (`npm run bench -- request-path`).
 *
 * Per route, autocannon at 32 connections (a warm-up of a third of the time first): req/s, p50, p95, p99 from
 * every response's own time, and the ratio to the bare app's req/s. Then offer search at 16 connections (its
 * p95 target) and flight search at 8 (its p99 target). Then, with every cache warm, the round trips each route
 * makes to Redis and Postgres: the API's `altis_backend_round_trips_total` (metrics.count_round_trips, counted at
 * the clients' sockets) read before and after PROBE_REQUESTS requests sent one at a time.
 */
import autocannon from 'autocannon';

export interface RouteFigure {
  name: string;
  connections: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  total: number;
  unexpected: number;
  seconds: number;
}

export interface RoundTripFigure {
  name: string;
  redis: number;
  postgres: number;
}

export interface RequestPathResults {
  bare?: RouteFigure;
  routes: RouteFigure[];
  /** Offer search at 16 connections, flight search at 8: the targets' own concurrency. */
  extra: RouteFigure[];
  roundTrips: RoundTripFigure[];
}

export interface RoutePlan {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Bodies sent in turn (POST). */
  bodies?: string[];
  /** The status every answer must have. */
  status: number;
  /** Ratio target to the bare app's req/s. */
  target?: number;
}

export interface RequestPathPlan {
  apiUrl: string;
  bareUrl: string;
  seconds: number;
  connections: number;
  routes: RoutePlan[];
  /** A route measured again at another concurrency, with a latency target. */
  extra: { route: string; connections: number; target: { p95?: number; p99?: number } }[];
  say: (msg: string) => void;
}

/** Requests per route sent one at a time to count round trips (caches warm). */
const PROBE_REQUESTS = 50;

const percentile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

/** One autocannon run at `connections` for `seconds` after a warm-up; percentiles from every response's time. */
export async function loadRoute(
  url: string,
  route: Omit<RoutePlan, 'name'> & { name?: string },
  connections: number,
  seconds: number,
): Promise<RouteFigure> {
  const once = async (duration: number) => {
    let n = 0;
    let unexpected = 0;
    const latencies: number[] = [];
    const bodies = route.bodies;
    const request: autocannon.Request = {
      method: route.method,
      path: route.path,
      headers: route.headers ?? {},
      ...(bodies ? { setupRequest: (r: autocannon.Request) => ({ ...r, body: bodies[n++ % bodies.length] }) } : {}),
    };
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const run = autocannon({ url, connections, duration, requests: [request] }, (err, res) =>
        err ? reject(err as Error) : resolve(res),
      );
      run.on('response', (_client, status, _bytes, ms) => {
        latencies.push(ms);
        if (status !== route.status) unexpected++;
      });
    });
    latencies.sort((a, b) => a - b);
    return {
      name: route.name ?? route.path,
      connections,
      rps: latencies.length / result.duration,
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      total: latencies.length,
      unexpected: unexpected + result.errors + result.timeouts,
      seconds: duration,
    };
  };
  await once(Math.max(1, Math.round(seconds / 3)));
  return once(seconds);
}

/** The API's round-trip counters, from its /metrics. */
async function roundTripCounts(apiUrl: string): Promise<{ redis: number; postgres: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const read = (backend: string) => {
    const m = new RegExp(`^altis_backend_round_trips_total\\{[^}]*backend="${backend}"[^}]*\\} (\\d+)`, 'm').exec(text);
    if (!m) throw new Error('the API does not count round trips (metrics.count_round_trips)');
    return Number(m[1]);
  };
  return { redis: read('redis'), postgres: read('postgres') };
}

async function probeRoundTrips(apiUrl: string, route: RoutePlan): Promise<RoundTripFigure> {
  const send = async (n: number) => {
    const res = await fetch(`${apiUrl}${route.path}`, {
      method: route.method,
      headers: route.headers,
      body: route.bodies ? route.bodies[n % route.bodies.length] : undefined,
    });
    await res.arrayBuffer();
    if (res.status !== route.status) throw new Error(`${route.name} answered ${res.status}, not ${route.status}`);
  };
  for (let i = 0; i < 5; i++) await send(i); // the first scrape reads the gauges' Postgres figures: not counted
  await roundTripCounts(apiUrl);
  const before = await roundTripCounts(apiUrl);
  for (let i = 0; i < PROBE_REQUESTS; i++) await send(i);
  const after = await roundTripCounts(apiUrl);
  return {
    name: route.name,
    redis: (after.redis - before.redis) / PROBE_REQUESTS,
    postgres: (after.postgres - before.postgres) / PROBE_REQUESTS,
  };
}

export async function measureRequestPath(plan: RequestPathPlan): Promise<RequestPathResults> {
  const { say, connections, seconds } = plan;
  const results: RequestPathResults = { routes: [], extra: [], roundTrips: [] };
  say(`request path: ${connections} connections, ${seconds} s per route (after a warm-up)`);
  results.bare = await loadRoute(
    plan.bareUrl,
    { name: 'bare Hono', method: 'GET', path: '/', status: 200 },
    connections,
    seconds,
  );
  say(`  bare Hono: ${results.bare.rps.toFixed(0)} req/s`);
  for (const route of plan.routes) {
    const figure = await loadRoute(plan.apiUrl, route, connections, seconds);
    results.routes.push(figure);
    say(
      `  ${route.name}: ${figure.rps.toFixed(0)} req/s (${(figure.rps / results.bare.rps).toFixed(2)}×), p99 ${figure.p99} ms`,
    );
  }
  for (const extra of plan.extra) {
    const route = plan.routes.find((r) => r.name === extra.route)!;
    const figure = await loadRoute(plan.apiUrl, route, extra.connections, seconds);
    results.extra.push(figure);
    say(`  ${route.name} at ${extra.connections}: p95 ${figure.p95} ms, p99 ${figure.p99} ms`);
  }
  for (const route of plan.routes) results.roundTrips.push(await probeRoundTrips(plan.apiUrl, route));
  return results;
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : 'n/a');
const trips = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** Markdown rows (figure, value) for bench/RESULTS.md. */
export function requestPathRows(
  r: RequestPathResults,
  plan: Pick<RequestPathPlan, 'routes' | 'extra'>,
): [string, string][] {
  const bare = r.bare;
  const figure = (f: RouteFigure) =>
    `${f.rps.toFixed(0)} req/s, p50 ${ms(f.p50)}, p95 ${ms(f.p95)}, p99 ${ms(f.p99)} (${f.total} requests in ${f.seconds} s, ${f.unexpected} unexpected)`;
  const rows: [string, string][] = [];
  if (bare)
    rows.push([`bare Hono hello-world, no middleware (${bare.connections} connections): the baseline`, figure(bare)]);
  for (const f of r.routes) {
    const route = plan.routes.find((p) => p.name === f.name);
    const ratio = bare ? f.rps / bare.rps : NaN;
    const target =
      route?.target === undefined ? '' : ` (target ≥ ${route.target}×: ${ratio >= route.target ? 'met' : 'not met'})`;
    rows.push([
      `${f.name} (${f.connections} connections)`,
      `${figure(f)}; **${ratio.toFixed(2)}× bare Hono**${target}`,
    ]);
  }
  for (const f of r.extra) {
    const goal = plan.extra.find((e) => e.route === f.name && e.connections === f.connections)?.target ?? {};
    const verdicts = [
      goal.p95 === undefined ? '' : `p95 target < ${goal.p95} ms: ${f.p95 < goal.p95 ? 'met' : 'not met'}`,
      goal.p99 === undefined ? '' : `p99 target < ${goal.p99} ms: ${f.p99 < goal.p99 ? 'met' : 'not met'}`,
    ].filter(Boolean);
    rows.push([
      `${f.name} (${f.connections} connections)`,
      `${figure(f)}${verdicts.length ? `; **${verdicts.join('; ')}**` : ''}`,
    ]);
  }
  for (const t of r.roundTrips) {
    rows.push([
      `round trips per request, ${t.name} (caches warm)`,
      `Redis ${trips(t.redis)}, Postgres ${trips(t.postgres)}`,
    ]);
  }
  return rows;
}
