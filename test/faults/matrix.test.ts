/**
 * The fault matrix (`npm run test:faults`, scripts/faults.sh): real Altis processes (API, worker, consumers,
 * payment sandbox) on a stack of their own, and for each fault a round of mixed traffic over HTTP with the fault
 * injected in the middle of it. After recovery and a bounded wait for quiet, every invariant of invariants.ts is
 * checked; the table printed at the end lists fault, traffic, orders, checks and violations, and any violation
 * fails the round.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../../config';
import { createDb, type DbHandle } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { createRedis } from '../../lib/redis';
import { connectTemporal, type TemporalHandle } from '../../lib/temporal';
import { seed } from '../../scripts/seed';
import { startSmtpSink, type SmtpSink } from '../../scripts/smtp-sink';
import { createInventory } from '../../services/inventory';
import { createTestFlight, tomorrow } from '../support/flights';
import { checkInvariants, indexCheck, waitForQuiescence, type CheckResult, type InvariantDeps } from './invariants';
import { AppProcess, appEnv, dataDir, infra, stackPorts, type AppName, type Crash, type StackPorts } from './stack';
import { Traffic } from './traffic';

interface Stack {
  apps: Record<AppName, AppProcess>;
  ports: StackPorts;
}

interface Fault {
  name: string;
  /** Breaks something and brings it back; the traffic runs throughout. */
  inject(stack: Stack): Promise<void>;
  /** The documented recovery step an operator runs after this fault, if any (README, "Runbook"). */
  recover?(flightIds: string[]): Promise<void>;
}

const SHOPPERS = 5;
const WARM_UP_MS = 4000;
const AFTER_RECOVERY_MS = 5000;
const QUIESCENCE_MS = 90_000;

let ports: StackPorts;
let env: Record<string, string>;
let config: AppConfig;
let pg: DbHandle;
let redis: Redis;
let temporal: TemporalHandle;
let smtp: SmtpSink;
let stack: Stack;
let mails = 0;
/** Processes that died on their own (each restarted, as a supervisor would); a round's are its violations. */
const crashes: Crash[] = [];
const rows: {
  fault: string;
  requests: number;
  statuses: string;
  orders: number;
  checks: number;
  violations: number;
  quiet: string;
}[] = [];

const FAULTS: Fault[] = [
  {
    name: 'worker SIGKILL',
    async inject({ apps }) {
      await apps.worker.kill();
      await sleep(2000);
      await apps.worker.start();
    },
  },
  {
    name: 'API SIGKILL',
    async inject({ apps }) {
      await apps.api.kill();
      await sleep(2000);
      await apps.api.start();
    },
  },
  {
    name: 'Postgres restart',
    async inject() {
      await infra('stop', 'postgres');
      await sleep(3000);
      await infra('start', 'postgres');
    },
  },
  {
    name: 'Redis restart (data lost)',
    async inject() {
      await infra('stop', 'redis'); // SHUTDOWN NOSAVE: the index, offers, seat locks and rate windows are gone
      await sleep(3000);
      await infra('start', 'redis');
    },
    // README, "An order that seems stuck": the index is rebuilt from Postgres (rebuildIndex()).
    recover: async (flightIds) =>
      void (await createInventory({ db: pg.db, sql: pg.sql, redis }).rebuildIndex(flightIds)),
  },
  {
    name: 'Kafka broker stop',
    async inject() {
      await infra('stop', 'kafka');
      await sleep(6000);
      await infra('start', 'kafka');
    },
  },
  {
    name: 'Temporal server restart',
    async inject() {
      await infra('stop', 'temporal');
      await sleep(2000);
      await infra('start', 'temporal');
    },
  },
  {
    name: 'payment gateway down',
    async inject({ apps }) {
      await apps.sandbox.kill();
      await sleep(8000);
      await apps.sandbox.start();
    },
  },
  {
    name: 'payment gateway hung',
    async inject({ apps }) {
      apps.sandbox.signal('SIGSTOP'); // accepts connections (the kernel does), answers nothing
      await sleep(8000);
      apps.sandbox.signal('SIGCONT');
    },
  },
];

beforeAll(async () => {
  smtp = await startSmtpSink({ port: 0, onMail: () => void mails++ });
  ports = stackPorts(smtp.port);
  env = appEnv(ports);
  config = loadConfig({ ...process.env, ...env });
  await runMigrations(config.database.url);
  pg = createDb(config.database.url, { max: 4 });
  redis = createRedis(config.redis.url, { name: 'faults' });
  redis.on('error', () => undefined); // the Redis fault takes it away on purpose
  await seed(pg.db, pg.sql, { today: new Date(), days: 1, redis, commercial: config });
  temporal = await connectTemporal(config);
  const apps = Object.fromEntries(
    (['sandbox', 'api', 'worker', 'consumers'] as const).map((name) => [name, new AppProcess(name, env, crashes)]),
  ) as Record<AppName, AppProcess>;
  stack = { apps, ports };
  await Promise.all(Object.values(apps).map((a) => a.start()));
}, 240_000);

afterAll(async () => {
  for (const app of Object.values(stack?.apps ?? {})) await app.stop();
  printTable();
  await temporal?.close();
  redis?.disconnect();
  await pg?.close();
  await smtp?.close();
}, 120_000);

function printTable() {
  const head = ['fault', 'traffic (requests)', 'orders', 'invariant checks', 'violations', 'quiet after', 'answers'];
  const body = rows.map((r) => [
    r.fault,
    String(r.requests),
    String(r.orders),
    String(r.checks),
    String(r.violations),
    r.quiet,
    r.statuses,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  const table = ['', 'Fault matrix', line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line), ''];
  console.log(table.join('\n'));
  // scripts/faults.sh prints it again after vitest's own report.
  writeFileSync(`${dataDir()}/fault-matrix.txt`, table.join('\n'));
}

const deps = (): InvariantDeps => ({
  sql: pg.sql,
  redis,
  temporal: temporal.client,
  sandboxUrl: `http://127.0.0.1:${ports.sandbox}`,
  sandboxKey: config.payments.gateway_api_key,
});

describe('fault matrix', () => {
  FAULTS.forEach((fault, n) => {
    it(`${fault.name}: invariants hold after recovery`, async () => {
      // A route of the round's own (codes no seeded airport uses), three small flights on one day.
      const letter = String.fromCharCode(65 + n);
      const route = { origin: `F${letter}A`, destination: `F${letter}B` };
      const services = { sql: pg.sql, db: pg.db, redis };
      const date = tomorrow();
      const flights = [];
      for (const capacity of [8, 10, 12]) flights.push(await createTestFlight(services, { route, capacity, date }));
      const flightIds = flights.map((f) => f.id);
      const seats = await pg.sql<{ flight_id: string; seat_number: string }[]>`
        SELECT flight_id, seat_number FROM flight_seats WHERE flight_id = ANY(${flightIds}::uuid[]) AND NOT blocked`;
      const traffic = new Traffic({
        apiUrl: `http://127.0.0.1:${ports.api}`,
        ...route,
        date,
        flights: flightIds.map((id) => ({
          id,
          seats: seats.filter((s) => s.flight_id === id).map((s) => s.seat_number),
        })),
      });

      const crashedBefore = crashes.length;
      traffic.start(SHOPPERS);
      await sleep(WARM_UP_MS);
      await fault.inject(stack);
      await sleep(AFTER_RECOVERY_MS);
      await traffic.stop();

      const started = Date.now();
      const orderIds = async () => {
        const held = await pg.sql<{ order_id: string }[]>`
          SELECT DISTINCT order_id FROM inventory_holds WHERE flight_id = ANY(${flightIds}::uuid[])`;
        return [...new Set([...traffic.stats.orders, ...held.map((h) => h.order_id)])];
      };
      const scope = { flightIds, orderIds: await orderIds() };
      const moving = await waitForQuiescence(deps(), scope, QUIESCENCE_MS);
      const quietMs = Date.now() - started;
      if (fault.recover) {
        // What search would have read without the operator's step (information, not a verdict).
        const before = await indexCheck(pg.sql, redis, flightIds);
        console.log(
          `[faults] ${fault.name}: before the documented rebuild, ${before.violations.length} index mismatches`,
        );
        await fault.recover(flightIds);
      }
      scope.orderIds = await orderIds();
      const results: CheckResult[] = await checkInvariants(deps(), scope);
      if (moving.length > 0) results.push({ name: 'quiescence', checked: 1, violations: moving });
      // During an outage an answer is a retryable 503 (or 504), never a 500: that is a bug's answer.
      const internal = Object.entries(traffic.stats.byStatus)
        .filter(([answer]) => answer.startsWith('500'))
        .reduce((sum, [, n]) => sum + n, 0);
      results.push({
        name: 'no 500 answers',
        checked: traffic.stats.requests,
        violations: internal > 0 ? [`${internal} answers were 500 (see app-api.log, "unhandled error")`] : [],
      });
      results.push({
        name: 'no process crashed',
        checked: Object.keys(stack.apps).length,
        violations: crashes
          .slice(crashedBefore)
          .map((c) => `${c.name} exited (${c.exit}) on its own; its last output:\n${c.output.slice(-1500)}`),
      });

      const violations = results.flatMap((r) => r.violations.map((v) => `${r.name}: ${v}`));
      const statuses = Object.entries(traffic.stats.byStatus)
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      rows.push({
        fault: fault.name,
        requests: traffic.stats.requests,
        statuses,
        orders: scope.orderIds.length,
        checks: results.reduce((sum, r) => sum + r.checked, 0),
        violations: violations.length,
        quiet: moving.length ? 'never' : `${(quietMs / 1000).toFixed(0)} s`,
      });
      console.log(`[faults] ${fault.name}: ${JSON.stringify(traffic.stats.scenarios)}`);
      // Enough traffic to mean something, and every invariant intact.
      expect(scope.orderIds.length).toBeGreaterThanOrEqual(3);
      expect(violations.slice(0, 50)).toEqual([]);
    });
  });

  // The checks are not vacuous: broken state of each kind they guard is reported (then put back).
  it('the checks report a broken inventory, a stale index and money kept without a ticket', async () => {
    const [fi] = await pg.sql<{ flight_id: string; cabin: string }[]>`
      SELECT fi.flight_id, fi.cabin FROM flight_inventory fi JOIN flights f ON f.id = fi.flight_id
      WHERE f.origin = 'FAA' AND fi.held + fi.sold < fi.capacity LIMIT 1`; // room for one more held seat (the self-check adds one)
    const flightIds = [fi!.flight_id];
    const inventory = createInventory({ db: pg.db, sql: pg.sql, redis });
    await inventory.rebuildIndex(flightIds); // the Redis round lost the earlier rounds' keys
    const key = `avail:{${fi!.flight_id}}`;
    const indexed = await redis.hget(key, fi!.cabin);
    const charge = await fetch(`http://127.0.0.1:${ports.sandbox}/v1/charges`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${config.payments.gateway_api_key}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `self-check-${Date.now()}`,
      },
      body: JSON.stringify({ amount: 1234, currency: 'USD', payment_token: 'tok_visa', order_id: 'no-such-order' }),
    });
    expect(charge.status).toBe(201);
    await pg.sql`UPDATE flight_inventory SET held = held + 1 WHERE flight_id = ${fi!.flight_id} AND cabin = ${fi!.cabin}`;
    await redis.hset(key, fi!.cabin, String(Number(indexed) + 5));
    try {
      const results = await checkInvariants(deps(), { flightIds, orderIds: [] });
      const by = (name: string) => results.find((r) => r.name === name)!.violations.join('\n');
      expect(by('capacity = available + held + sold')).toMatch(/held \d+ but HELD hold records sum to/);
      expect(by('Redis index = Postgres')).toMatch(/available: Redis/);
      expect(by('charges matched')).toMatch(/no-such-order unknown: money kept, order not paid/);
    } finally {
      await pg.sql`UPDATE flight_inventory SET held = held - 1 WHERE flight_id = ${fi!.flight_id} AND cabin = ${fi!.cabin}`;
      await inventory.rebuildIndex(flightIds);
    }
  });
});
