/**
 * What must hold after a fault, once the stack is quiet again. Each check reads the authorities directly
 * (Postgres tables, the Redis index keys, the payment sandbox's own charge list, Temporal's visibility) and
 * returns how many things it checked and every violation it found, in words that name the order or flight.
 */
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Sql } from '../../db/client';
import { ANALYTICS_EVENTS } from '../../consumers/analytics';
import { NOTIFIED_EVENTS } from '../../lib/order-events';
import { orderWorkflowId } from '../../domain/order';
import { availKey, seatLockKey } from '../../services/inventory/keys';
import { FAULT_TIMINGS } from './stack';

export interface CheckResult {
  name: string;
  checked: number;
  violations: string[];
}

export interface InvariantDeps {
  sql: Sql;
  redis: Redis;
  temporal: Client;
  sandboxUrl: string;
  sandboxKey: string;
}

interface SandboxCharge {
  id: string;
  status: 'pending' | 'succeeded' | 'failed' | 'voided';
  amount: number;
  amount_refunded: number;
  order_id: string;
  created: number;
}

/** The consumers of consumers/main.ts and the event types each applies (consumers/*.ts). */
export const CONSUMERS: Record<string, readonly string[]> = {
  notifications: NOTIFIED_EVENTS,
  analytics: ANALYTICS_EVENTS,
  'ranker-feed': ['OfferAccepted'],
};

const LIVE = ['PROPOSED', 'PAYMENT_PENDING'];
const PAID = ['PAID', 'FULFILLED', 'ARCHIVED'];
const CLOSED = ['EXPIRED', 'CANCELLED'];

export async function sandboxCharges(deps: Pick<InvariantDeps, 'sandboxUrl' | 'sandboxKey'>): Promise<SandboxCharge[]> {
  const res = await fetch(`${deps.sandboxUrl}/v1/charges`, {
    headers: { Authorization: `Bearer ${deps.sandboxKey}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`sandbox GET /v1/charges answered ${res.status}`);
  return ((await res.json()) as { data: SandboxCharge[] }).data;
}

/** The sandbox's default webhook attempts (payments-sandbox/app.ts, webhookMaxAttempts). */
const WEBHOOK_ATTEMPTS = 6;

async function sandboxEvents(
  deps: Pick<InvariantDeps, 'sandboxUrl' | 'sandboxKey'>,
): Promise<{ id: string; delivered: boolean; attempts: number }[]> {
  const res = await fetch(`${deps.sandboxUrl}/v1/events`, {
    headers: { Authorization: `Bearer ${deps.sandboxKey}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`sandbox GET /v1/events answered ${res.status}`);
  return ((await res.json()) as { data: { id: string; delivered: boolean; attempts: number }[] }).data;
}

/** capacity = available + held + sold, with held and sold equal to the hold records that make them up. */
async function inventoryCheck(sql: Sql, flightIds: string[]): Promise<CheckResult> {
  const rows = await sql<
    { flight_id: string; cabin: string; capacity: number; held: number; sold: number; h: number; s: number }[]
  >`
    SELECT fi.flight_id, fi.cabin, fi.capacity, fi.held, fi.sold,
      COALESCE((SELECT sum(quantity) FROM inventory_holds ih
        WHERE ih.flight_id = fi.flight_id AND ih.cabin = fi.cabin AND ih.status = 'HELD'), 0)::int AS h,
      COALESCE((SELECT sum(quantity) FROM inventory_holds ih
        WHERE ih.flight_id = fi.flight_id AND ih.cabin = fi.cabin AND ih.status = 'SOLD'), 0)::int AS s
    FROM flight_inventory fi WHERE fi.flight_id = ANY(${flightIds}::uuid[])`;
  const violations: string[] = [];
  for (const r of rows) {
    const available = r.capacity - r.held - r.sold;
    const where = `flight ${r.flight_id} ${r.cabin}`;
    if (available < 0 || r.held < 0 || r.sold < 0)
      violations.push(`${where}: capacity ${r.capacity} < held ${r.held} + sold ${r.sold}`);
    if (r.held !== r.h) violations.push(`${where}: held ${r.held} but HELD hold records sum to ${r.h}`);
    if (r.sold !== r.s) violations.push(`${where}: sold ${r.sold} but SOLD hold records sum to ${r.s}`);
  }
  return { name: 'capacity = available + held + sold', checked: rows.length, violations };
}

/** The Redis availability index (what search reads) equals Postgres, cabin by cabin. */
export async function indexCheck(sql: Sql, redis: Redis, flightIds: string[]): Promise<CheckResult> {
  const rows = await sql<{ flight_id: string; cabin: string; capacity: number; held: number; sold: number }[]>`
    SELECT flight_id, cabin, capacity, held, sold FROM flight_inventory WHERE flight_id = ANY(${flightIds}::uuid[])`;
  const violations: string[] = [];
  for (const r of rows) {
    const hash = await redis.hgetall(availKey(r.flight_id));
    const where = `flight ${r.flight_id} ${r.cabin}`;
    if (Object.keys(hash).length === 0) {
      violations.push(`${where}: no index key in Redis`);
      continue;
    }
    const want = { '': r.capacity - r.held - r.sold, ':held': r.held, ':sold': r.sold, ':cap': r.capacity };
    for (const [suffix, value] of Object.entries(want)) {
      const got = hash[`${r.cabin}${suffix}`];
      if (Number(got) !== value) violations.push(`${where}${suffix || ' available'}: Redis ${got}, Postgres ${value}`);
    }
  }
  return { name: 'Redis index = Postgres', checked: rows.length, violations };
}

/**
 * One owner per seat, and only a live owner: a seat assigned to an order that holds or bought it, no more seats per
 * order and flight than it holds, and every Redis seat lock naming the seat's owner in Postgres.
 */
async function seatCheck(sql: Sql, redis: Redis, flightIds: string[]): Promise<CheckResult> {
  const rows = await sql<
    { flight_id: string; seat_number: string; order_id: string; seat_status: string; order_status: string | null }[]
  >`
    SELECT sa.flight_id, sa.seat_number, sa.order_id, sa.status AS seat_status, o.status AS order_status
    FROM seat_assignments sa LEFT JOIN orders o ON o.id = sa.order_id
    WHERE sa.flight_id = ANY(${flightIds}::uuid[])`;
  const violations: string[] = [];
  const owner = new Map<string, string>();
  for (const r of rows) {
    const where = `seat ${r.seat_number} of flight ${r.flight_id} (order ${r.order_id}, ${r.order_status})`;
    owner.set(`${r.flight_id}|${r.seat_number}`, r.order_id);
    if (!r.order_status || CLOSED.includes(r.order_status)) violations.push(`${where}: assigned to a closed order`);
    else if (r.seat_status === 'SOLD' && !PAID.includes(r.order_status))
      violations.push(`${where}: SOLD, order unpaid`);
    else if (r.seat_status === 'HELD' && !LIVE.includes(r.order_status)) violations.push(`${where}: still HELD`);
  }
  const over = await sql<{ order_id: string; flight_id: string; seats: number; quantity: number | null }[]>`
    SELECT sa.order_id, sa.flight_id, count(*)::int AS seats,
      (SELECT sum(quantity) FROM inventory_holds ih WHERE ih.order_id = sa.order_id AND ih.flight_id = sa.flight_id
        AND ih.status <> 'RELEASED')::int AS quantity
    FROM seat_assignments sa WHERE sa.flight_id = ANY(${flightIds}::uuid[])
    GROUP BY sa.order_id, sa.flight_id`;
  for (const o of over) {
    if (o.seats > (o.quantity ?? 0)) {
      violations.push(`order ${o.order_id} has ${o.seats} seats on flight ${o.flight_id} but holds ${o.quantity ?? 0}`);
    }
  }
  let locks = 0;
  for (const flightId of flightIds) {
    const keys = await redis.keys(seatLockKey(flightId, '*'));
    for (const key of keys) {
      const lockOwner = await redis.get(key);
      const seat = key.slice(key.lastIndexOf(':') + 1);
      const pgOwner = owner.get(`${flightId}|${seat}`);
      locks++;
      if (lockOwner && pgOwner && lockOwner !== pgOwner) {
        violations.push(`seat ${seat} of flight ${flightId}: Redis lock owner ${lockOwner}, Postgres owner ${pgOwner}`);
      }
    }
  }
  return { name: 'one owner per seat', checked: rows.length + over.length + locks, violations };
}

/** Each order's holds agree with its state: live orders hold, paid ones bought, closed ones gave everything back. */
async function holdStateCheck(sql: Sql, orderIds: string[]): Promise<CheckResult> {
  const rows = await sql<{ id: string; status: string; held: number; sold: number }[]>`
    SELECT o.id, o.status,
      count(*) FILTER (WHERE ih.status = 'HELD')::int AS held, count(*) FILTER (WHERE ih.status = 'SOLD')::int AS sold
    FROM orders o LEFT JOIN inventory_holds ih ON ih.order_id = o.id
    WHERE o.id = ANY(${orderIds}::uuid[]) GROUP BY o.id, o.status`;
  const violations: string[] = [];
  for (const r of rows) {
    const where = `order ${r.id} ${r.status}`;
    if (CLOSED.includes(r.status) && r.held + r.sold > 0)
      violations.push(`${where}: still holds ${r.held} / owns ${r.sold}`);
    if (LIVE.includes(r.status) && (r.held === 0 || r.sold > 0))
      violations.push(`${where}: ${r.held} held, ${r.sold} sold`);
    if (PAID.includes(r.status) && (r.sold === 0 || r.held > 0))
      violations.push(`${where}: ${r.held} held, ${r.sold} sold`);
  }
  return { name: 'holds match order state', checked: rows.length, violations };
}

/**
 * Every charge the provider took is kept by exactly one paid order, or refunded by its cancellation exactly as the
 * order's fare conditions decided (payments.refunded_amount: all of it, part, or nothing for a non-refundable fare);
 * nothing left pending.
 */
async function chargeCheck(sql: Sql, charges: SandboxCharge[]): Promise<CheckResult> {
  const orders = new Map(
    (await sql<{ id: string; status: string }[]>`SELECT id, status FROM orders`).map((o) => [o.id, o.status]),
  );
  const decided = new Map(
    (
      await sql<{ charge_id: string; refunded_amount: number | null }[]>`
        SELECT charge_id, refunded_amount FROM payments WHERE charge_id IS NOT NULL`
    ).map((p) => [p.charge_id, p.refunded_amount]),
  );
  const violations: string[] = [];
  const kept = new Map<string, string[]>();
  for (const c of charges) {
    const status = orders.get(c.order_id);
    const where = `charge ${c.id} (${c.status}, ${c.amount}, refunded ${c.amount_refunded}) of order ${c.order_id} ${status ?? 'unknown'}`;
    if (c.status === 'pending') violations.push(`${where}: still pending`);
    if (c.status !== 'succeeded') continue;
    if (c.amount_refunded > 0) {
      if (!status || !CLOSED.includes(status)) violations.push(`${where}: refunded but the order is not closed`);
    }
    if (status && CLOSED.includes(status)) {
      // Closed with money taken: its cancellation must have decided the refund, and the provider refunded exactly it.
      const due = decided.get(c.id);
      if (due === undefined || due === null) violations.push(`${where}: money kept, no refund decided`);
      else if (due !== c.amount_refunded) violations.push(`${where}: refunded ${c.amount_refunded}, decided ${due}`);
      continue;
    }
    if (c.amount_refunded > 0) continue;
    if (!status || !PAID.includes(status)) violations.push(`${where}: money kept, order not paid`);
    else kept.set(c.order_id, [...(kept.get(c.order_id) ?? []), c.id]);
  }
  for (const [orderId, ids] of kept) {
    if (ids.length > 1) violations.push(`order ${orderId} keeps ${ids.length} charges: ${ids.join(', ')}`);
  }
  for (const [orderId, status] of orders) {
    if (PAID.includes(status) && !kept.has(orderId))
      violations.push(`order ${orderId} ${status} without a kept charge`);
  }
  return { name: 'charges matched', checked: charges.length + orders.size, violations };
}

/**
 * Stuck: not terminal and not waiting on its own timer; or a workflow that is not running or completed. The workflow
 * is read before its order row (a workflow writes the row before it completes), so an order that closes while this
 * runs is seen consistently.
 */
async function stuckCheck(sql: Sql, temporal: Client, orderIds: string[]): Promise<CheckResult> {
  const violations: string[] = [];
  for (const id of orderIds) {
    let wf: WorkflowExecutionStatusName;
    try {
      wf = (await temporal.workflow.getHandle(orderWorkflowId(id)).describe()).status.name;
    } catch (err) {
      violations.push(`order ${id}: no workflow (${(err as Error).message})`);
      continue;
    }
    const [row] = await sql<{ status: string; overdue: boolean }[]>`
      SELECT status,
        CASE status
          WHEN 'PROPOSED' THEN expires_at < now() - interval '15 seconds'
          WHEN 'PAYMENT_PENDING' THEN updated_at < now() - make_interval(secs => ${FAULT_TIMINGS.paymentTimeoutSeconds + 30})
          WHEN 'PAID' THEN updated_at < now() - interval '30 seconds'
          ELSE false END AS overdue
      FROM orders WHERE id = ${id}`;
    if (!row) {
      if (wf !== 'RUNNING') violations.push(`order ${id}: workflow ${wf} and no order row`);
      continue;
    }
    if (row.overdue) violations.push(`order ${id} stuck in ${row.status}`);
    if (wf !== 'RUNNING' && wf !== 'COMPLETED') violations.push(`order ${id} ${row.status}: workflow ${wf}`);
    else if (!CLOSED.includes(row.status) && wf !== 'RUNNING') {
      violations.push(`order ${id} ${row.status}: workflow ${wf} before the end`);
    }
  }
  return { name: 'no order stuck', checked: orderIds.length, violations };
}

/** Drained: every event older than a few seconds published (orders keep expiring on their timers meanwhile). */
async function outboxCheck(sql: Sql): Promise<CheckResult> {
  const [row] = await sql<{ total: number; unpublished: number }[]>`
    SELECT count(*)::int AS total,
      count(*) FILTER (WHERE published_at IS NULL AND occurred_at < now() - interval '5 seconds')::int AS unpublished
    FROM outbox`;
  const violations = row!.unpublished > 0 ? [`${row!.unpublished} outbox events unpublished after 5 s`] : [];
  return { name: 'outbox drained', checked: row!.total, violations };
}

/**
 * Each consumer applied each of its events once: a processed_events row per event published more than 10 s ago (its
 * primary key makes a second impossible), and the analytics projection's totals equal to the events it recorded as
 * applied (a double or a lost increment would show). Read in one snapshot, as events keep coming.
 */
async function consumerCheck(db: Sql): Promise<CheckResult> {
  return db.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (sql) => consumerCheckIn(sql as unknown as Sql));
}

async function consumerCheckIn(sql: Sql): Promise<CheckResult> {
  const violations: string[] = [];
  let checked = 0;
  for (const [consumer, types] of Object.entries(CONSUMERS)) {
    const [row] = await sql<{ events: number; missing: number; extra: number }[]>`
      SELECT
        (SELECT count(*) FROM outbox WHERE type = ANY(${types as string[]}))::int AS events,
        (SELECT count(*) FROM outbox o WHERE o.type = ANY(${types as string[]})
          AND o.published_at < now() - interval '10 seconds' AND NOT EXISTS
          (SELECT 1 FROM processed_events p WHERE p.consumer = ${consumer} AND p.event_id = o.id))::int AS missing,
        (SELECT count(*) FROM processed_events p WHERE p.consumer = ${consumer} AND NOT EXISTS
          (SELECT 1 FROM outbox o WHERE o.id = p.event_id))::int AS extra`;
    checked += row!.events;
    if (row!.missing > 0) violations.push(`${consumer}: ${row!.missing} of ${row!.events} events not applied`);
    if (row!.extra > 0) violations.push(`${consumer}: ${row!.extra} applied events not in the outbox`);
  }
  const [a] = await sql<Record<string, number>[]>`
    SELECT
      (SELECT COALESCE(sum(offers_accepted), 0) FROM analytics_daily)::int AS offers_accepted,
      (SELECT COALESCE(sum(orders_proposed), 0) FROM analytics_daily)::int AS orders_proposed,
      (SELECT COALESCE(sum(orders_paid), 0) FROM analytics_daily)::int AS orders_paid,
      (SELECT COALESCE(sum(orders_expired), 0) FROM analytics_daily)::int AS orders_expired,
      (SELECT COALESCE(sum(orders_cancelled), 0) FROM analytics_daily)::int AS orders_cancelled,
      (SELECT COALESCE(sum(refunded_amount), 0) FROM analytics_daily)::bigint AS refunded_amount`;
  const [e] = await sql<Record<string, number>[]>`
    SELECT
      count(*) FILTER (WHERE type = 'OfferAccepted')::int AS offers_accepted,
      count(*) FILTER (WHERE type = 'OrderProposed')::int AS orders_proposed,
      count(*) FILTER (WHERE type = 'OrderPaid')::int AS orders_paid,
      count(*) FILTER (WHERE type = 'OrderExpired')::int AS orders_expired,
      count(*) FILTER (WHERE type = 'OrderCancelled')::int AS orders_cancelled,
      COALESCE(sum((payload->'amount'->>'amount')::bigint) FILTER (WHERE type = 'RefundIssued'), 0)::bigint AS refunded_amount
    FROM outbox o WHERE EXISTS (SELECT 1 FROM processed_events p WHERE p.consumer = 'analytics' AND p.event_id = o.id)`;
  for (const key of Object.keys(e!)) {
    checked++;
    if (Number(a![key]) !== Number(e![key])) violations.push(`analytics ${key} = ${a![key]}, events say ${e![key]}`);
  }
  return { name: 'consumers applied each event once', checked, violations };
}

export interface Scope {
  flightIds: string[];
  orderIds: string[];
}

export async function checkInvariants(deps: InvariantDeps, scope: Scope): Promise<CheckResult[]> {
  const { sql, redis, temporal } = deps;
  const charges = await sandboxCharges(deps);
  return [
    await inventoryCheck(sql, scope.flightIds),
    await indexCheck(sql, redis, scope.flightIds),
    await seatCheck(sql, redis, scope.flightIds),
    await holdStateCheck(sql, scope.orderIds),
    await chargeCheck(sql, charges),
    await stuckCheck(sql, temporal, scope.orderIds),
    await outboxCheck(sql),
    await consumerCheck(sql),
  ];
}

/**
 * Waits (bounded) until the stack is quiet: the outbox published, every consumer caught up, no order between
 * steps (PAYMENT_PENDING, PAID) or past its own timer, no charge pending at the provider, no webhook it is still
 * retrying and no order workflow with an activity pending (one a killed worker was running waits out its timeout). Returns what was still moving at the end.
 */
export async function waitForQuiescence(deps: InvariantDeps, scope: Scope, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let moving: string[] = [];
  for (;;) {
    moving = [];
    try {
      const [o] = await deps.sql<{ unpublished: number; busy: number }[]>`
        SELECT
          (SELECT count(*) FROM outbox WHERE published_at IS NULL)::int AS unpublished,
          (SELECT count(*) FROM orders WHERE id = ANY(${scope.orderIds}::uuid[]) AND (status = 'PAID'
            OR (status = 'PROPOSED' AND expires_at < now() - interval '3 seconds')
            OR status = 'PAYMENT_PENDING'))::int AS busy`;
      let unapplied = 0;
      for (const [consumer, types] of Object.entries(CONSUMERS)) {
        const [row] = await deps.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM outbox o WHERE o.type = ANY(${types as string[]}) AND NOT EXISTS
            (SELECT 1 FROM processed_events p WHERE p.consumer = ${consumer} AND p.event_id = o.id)`;
        unapplied += row!.n;
      }
      if (unapplied) moving.push(`${unapplied} consumer applications pending`);
      if (o!.unpublished) moving.push(`${o!.unpublished} outbox events unpublished`);
      if (o!.busy) moving.push(`${o!.busy} orders between steps or past their timer`);
      const pending = (await sandboxCharges(deps)).filter((c) => c.status === 'pending');
      if (pending.length) moving.push(`${pending.length} charges pending at the provider`);
      // A settled charge whose webhook the provider is still retrying (the API or Temporal was away).
      const undelivered = (await sandboxEvents(deps)).filter((e) => !e.delivered && e.attempts < WEBHOOK_ATTEMPTS);
      if (undelivered.length) moving.push(`${undelivered.length} webhooks still being delivered`);
      // An activity a killed worker was running is retried only once its timeout has passed: still moving.
      let retrying = 0;
      for (const id of scope.orderIds) {
        try {
          const description = await deps.temporal.workflow.getHandle(orderWorkflowId(id)).describe();
          if ((description.raw.pendingActivities ?? []).length > 0) retrying++;
        } catch {
          // not an order workflow of this stack (or never started): nothing pending
        }
      }
      if (retrying) moving.push(`${retrying} orders with an activity pending`);
    } catch (err) {
      moving.push(`not reachable yet: ${(err as Error).message}`);
    }
    if (moving.length === 0 || Date.now() > deadline) return moving;
    await new Promise((r) => setTimeout(r, 500));
  }
}
