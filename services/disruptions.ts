/**
 * Airline-initiated changes (issue #15; Duffel's airline-initiated changes: `added` / `removed` /
 * `available_actions`, event `order.airline_initiated_change_detected`).
 *
 * `createFlightDisruptions` is the flight's side, run by the fan-out workflow (workflows/flight-disruption.ts):
 * `apply` changes the flight row and writes its FlightCancelled / FlightDelayed / FlightRetimed event to the outbox
 * in one transaction (a retried activity finds what it applied by its `appliedBy` key); `affectedOrders` pages
 * through the PAID / FULFILLED orders that have a segment on the flight.
 *
 * `createOrderDisruptions` is the order's side, run by its workflow when signalled: `prepare` records the order's
 * disruption with its OrderDisrupted event — for a cancelled flight the re-accommodation options (the next flights
 * on the same route with seats in the same or a better cabin, each a change offer of total 0 held through the
 * voluntary change's own hold, services/order-changes.ts), for a retime the new times on the order's segment
 * (within the tolerance accepted at once) — and `resolve` records the answer (OrderDisruptionResolved).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, sql as dsql } from 'drizzle-orm';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import {
  flightDisruptions,
  flights,
  orderChangeOffers,
  orderChangeRequests,
  orderDisruptions,
  orderItems,
  orders,
  travelers,
  type DisruptionOption,
} from '../db/schema';
import { matching } from '../db/where';
import { cabinRank, type Cabin } from '../domain/cabins';
import {
  disruptionKind,
  FLIGHT_EVENT,
  protectCabins,
  withinTolerance,
  type DisruptionKind,
  type FlightState,
} from '../domain/disruptions';
import { DomainError } from '../domain/errors';
import { orderSegmentOf, type OrderSegment } from '../domain/order';
import { recordLocator } from '../domain/record-locator';
import type { Inventory } from './inventory';
import type { OrderChangeSteps } from './order-changes';
import { segmentView, type SegmentView } from './order-changes';
import { appendEvents } from './outbox';
import { isUniqueViolation } from './postgres-errors';
import { orderRow } from './order-row';

/** An airline-initiated change as PATCH /v1/admin/flights/:id carries it. */
export interface FlightDisruptionChange {
  status?: 'SCHEDULED' | 'CANCELLED' | undefined;
  departure_at?: string | undefined;
  arrival_at?: string | undefined;
}

export interface AppliedFlightChange {
  /** Null: the change was no disruption (nothing for the orders). */
  disruptionId: string | null;
  kind: DisruptionKind | null;
}

const stateOf = (f: { status: string; departureAt: Date; arrivalAt: Date }): FlightState => ({
  status: f.status,
  departureAt: f.departureAt.toISOString(),
  arrivalAt: f.arrivalAt.toISOString(),
});

export function createFlightDisruptions(deps: { db: Database; inventory: Pick<Inventory, 'rebuildIndex'> }) {
  const { db, inventory } = deps;

  /**
   * The flight's change and its event, in one transaction; VALIDATION_FAILED for times out of order,
   * INVALID_STATE once departed, CONFLICT when another flight with its number departs at the new time.
   */
  async function apply(p: {
    flightId: string;
    change: FlightDisruptionChange;
    appliedBy: string;
    at: string;
  }): Promise<AppliedFlightChange> {
    const [done] = await db.select().from(flightDisruptions).where(eq(flightDisruptions.appliedBy, p.appliedBy));
    if (done) return { disruptionId: done.id, kind: done.kind };
    const at = new Date(p.at);
    let result: AppliedFlightChange;
    try {
      result = await db.transaction(async (tx) => {
        const [f] = await tx.select().from(flights).where(eq(flights.id, p.flightId)).for('update');
        if (!f) throw new DomainError('NOT_FOUND', `flight ${p.flightId} was not found`);
        const before = stateOf(f);
        const after: FlightState = {
          status: p.change.status ?? f.status,
          departureAt: new Date(p.change.departure_at ?? before.departureAt).toISOString(),
          arrivalAt: new Date(p.change.arrival_at ?? before.arrivalAt).toISOString(),
        };
        if (Date.parse(after.arrivalAt) <= Date.parse(after.departureAt)) {
          throw new DomainError('VALIDATION_FAILED', 'arrival_at must be after departure_at', {
            issues: [{ path: 'arrival_at', message: 'must be after departure_at' }],
          });
        }
        if (f.departureAt.getTime() <= at.getTime()) throw new DomainError('INVALID_STATE', 'the flight has departed');
        await tx
          .update(flights)
          .set({
            ...(p.change.status ? { status: p.change.status } : {}),
            departureAt: new Date(after.departureAt),
            arrivalAt: new Date(after.arrivalAt),
          })
          .where(eq(flights.id, p.flightId));
        const kind = disruptionKind(before, after);
        if (!kind) return { disruptionId: null, kind: null };
        const id = randomUUID();
        await tx.insert(flightDisruptions).values({
          id,
          appliedBy: p.appliedBy,
          flightId: p.flightId,
          kind,
          before,
          after,
          createdAt: at,
        });
        await appendEvents(tx, [
          {
            type: FLIGHT_EVENT[kind],
            aggregateId: p.flightId, // a flight's events are keyed by the flight
            occurredAt: at,
            payload: {
              disruption_id: id,
              flight_id: p.flightId,
              carrier: f.carrier,
              flight_number: f.flightNumber,
              origin: f.origin,
              destination: f.destination,
              status: after.status,
              previous: { departure_at: before.departureAt, arrival_at: before.arrivalAt },
              departure_at: after.departureAt,
              arrival_at: after.arrivalAt,
            },
          },
        ]);
        return { disruptionId: id, kind };
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new DomainError('CONFLICT', 'another flight with this number departs at that time');
      }
      throw err;
    }
    await inventory.rebuildIndex([p.flightId]);
    return result;
  }

  /** A page of the PAID / FULFILLED orders with a segment on the flight, by id after `after`. */
  async function affectedOrders(p: { flightId: string; after: string | null; limit: number }): Promise<string[]> {
    const rows = await db
      .select({ id: orders.id })
      .from(orders)
      .where(
        and(
          inArray(orders.status, ['PAID', 'FULFILLED']),
          dsql`${orders.offer} -> 'segments' @> ${JSON.stringify([{ flightId: p.flightId }])}::jsonb`,
          p.after ? dsql`${orders.id} > ${p.after}::uuid` : undefined,
        ),
      )
      .orderBy(asc(orders.id))
      .limit(p.limit);
    return rows.map((r) => r.id);
  }

  return { apply, affectedOrders };
}

export type FlightDisruptions = ReturnType<typeof createFlightDisruptions>;

// ------------------------------------------------------------------------------------------------ the order's side

type OrderDisruptionRow = typeof orderDisruptions.$inferSelect;

/** What the order's workflow keeps of its disruption. */
export interface PreparedDisruption {
  disruptionId: string;
  kind: DisruptionKind;
  status: OrderDisruptionRow['status'];
  optionIds: string[];
  /** Epoch ms; null when nothing is asked of the customer. */
  respondBy: number | null;
  defaultAction: 'protect' | 'refund';
  /** The order's segments after it (a retime's new times). */
  segments: OrderSegment[];
}

export interface DisruptionView {
  id: string;
  kind: DisruptionKind;
  flight_id: string;
  status: OrderDisruptionRow['status'];
  removed: SegmentView[];
  added: SegmentView[];
  options: { id: string; segments: SegmentView[] }[];
  available_actions: ('accept' | 'refund')[];
  default_action: 'protect' | 'refund';
  respond_by: string | null;
  action_taken: OrderDisruptionRow['actionTaken'];
  action_taken_by: OrderDisruptionRow['actionBy'];
  option_id: string | null;
  action_taken_at: string | null;
  created_at: string;
}

export const disruptionView = (r: OrderDisruptionRow): DisruptionView => ({
  id: r.disruptionId,
  kind: r.kind,
  flight_id: r.flightId,
  status: r.status,
  removed: r.removed.map(segmentView),
  added: r.added.map(segmentView),
  options: r.options.map((o) => ({ id: o.id, segments: o.segments.map(segmentView) })),
  available_actions: r.status === 'OPEN' ? r.availableActions : [],
  default_action: r.defaultAction,
  respond_by: r.respondBy?.toISOString() ?? null,
  action_taken: r.actionTaken,
  action_taken_by: r.actionBy,
  option_id: r.optionId,
  action_taken_at: r.actionTakenAt?.toISOString() ?? null,
  created_at: r.createdAt.toISOString(),
});

/** Each order's latest disruption (the one GET /v1/orders/:id shows). */
export async function latestDisruptions(db: Database, orderIds: string[]): Promise<Map<string, DisruptionView>> {
  if (orderIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(orderDisruptions)
    .where(inArray(orderDisruptions.orderId, orderIds))
    .orderBy(asc(orderDisruptions.createdAt));
  return new Map(rows.map((r) => [r.orderId, disruptionView(r)]));
}

/** Candidate flights for re-accommodation looked at per option wanted (some may sell out meanwhile). */
const CANDIDATES_PER_OPTION = 3;

export function createOrderDisruptions(deps: {
  db: Database;
  sql: Sql;
  config: Pick<AppConfig, 'disruptions' | 'orders'>;
  inventory: Pick<Inventory, 'holdsOn'>;
  changes: Pick<OrderChangeSteps, 'hold'>;
}) {
  const { db, sql, config, inventory, changes } = deps;

  const prepared = (r: OrderDisruptionRow, segments: OrderSegment[]): PreparedDisruption => ({
    disruptionId: r.disruptionId,
    kind: r.kind,
    status: r.status,
    optionIds: r.status === 'OPEN' ? r.options.map((o) => o.id) : [],
    respondBy: r.status === 'OPEN' && r.respondBy ? r.respondBy.getTime() : null,
    defaultAction: r.defaultAction,
    segments,
  });

  /**
   * Records the order's disruption (idempotent: a retry finds it). Null when the order has no segment on the
   * flight any more (changed meanwhile) or is not sold.
   */
  async function prepare(p: { orderId: string; disruptionId: string; at: string }): Promise<PreparedDisruption | null> {
    const order = await orderRow(db, p.orderId);
    const segments = order.offer?.segments ?? [];
    const [existing] = await db
      .select()
      .from(orderDisruptions)
      .where(and(eq(orderDisruptions.orderId, p.orderId), eq(orderDisruptions.disruptionId, p.disruptionId)));
    if (existing) return prepared(existing, segments);
    const [fd] = await db.select().from(flightDisruptions).where(eq(flightDisruptions.id, p.disruptionId));
    if (!fd) throw new DomainError('NOT_FOUND', `disruption ${p.disruptionId} was not found`);
    const seg = segments.find((s) => s.flightId.toLowerCase() === fd.flightId.toLowerCase());
    if (!seg || (order.status !== 'PAID' && order.status !== 'FULFILLED')) return null;
    const at = new Date(p.at);
    const respondBy = new Date(at.getTime() + Math.round(config.disruptions.response_hours * 3_600_000));
    const defaultAction = config.disruptions.default_action;

    let row: typeof orderDisruptions.$inferInsert;
    let after = segments;
    if (fd.kind === 'FLIGHT_CANCELLED') {
      const options = await holdOptions(order, seg, respondBy, at);
      row = {
        orderId: p.orderId,
        disruptionId: fd.id,
        flightId: fd.flightId,
        kind: fd.kind,
        status: 'OPEN',
        removed: [seg],
        added: options.flatMap((o) => o.segments),
        options,
        availableActions: options.length > 0 ? ['accept', 'refund'] : ['refund'],
        defaultAction,
        respondBy,
        createdAt: at,
      };
    } else {
      const moved: OrderSegment = { ...seg, departureAt: fd.after.departureAt, arrivalAt: fd.after.arrivalAt };
      after = segments.map((s) => (s === seg ? moved : s));
      const auto = withinTolerance(fd.before, fd.after, config.disruptions.retime_tolerance_minutes);
      row = {
        orderId: p.orderId,
        disruptionId: fd.id,
        flightId: fd.flightId,
        kind: fd.kind,
        status: auto ? 'AUTO_ACCEPTED' : 'OPEN',
        removed: [seg],
        added: [moved],
        // Keeping the flight at its new time is the one option (its id: the disruption's).
        options: auto ? [] : [{ id: fd.id, segments: [moved] }],
        availableActions: auto ? [] : ['accept', 'refund'],
        defaultAction,
        respondBy: auto ? null : respondBy,
        ...(auto ? { actionTaken: 'auto_accepted' as const, actionBy: 'tolerance' as const, actionTakenAt: at } : {}),
        createdAt: at,
      };
    }
    const written = await db.transaction(async (tx) => {
      const [inserted] = await tx.insert(orderDisruptions).values(row).onConflictDoNothing().returning();
      if (!inserted) return null;
      // The order shows the flight's new times at once, whatever the customer answers (or a refund ends it).
      if (after !== segments) {
        await tx
          .update(orders)
          .set({ offer: { ...(order.offer ?? { segments: [] }), segments: after }, updatedAt: at })
          .where(eq(orders.id, p.orderId));
      }
      const view = disruptionView(inserted);
      await appendEvents(tx, [
        {
          type: 'OrderDisrupted',
          aggregateId: p.orderId,
          occurredAt: at,
          payload: {
            disruption_id: view.id,
            kind: view.kind,
            flight_id: view.flight_id,
            status: view.status,
            removed: view.removed,
            added: view.added,
            options: view.options,
            available_actions: view.available_actions,
            default_action: view.default_action,
            respond_by: view.respond_by,
          },
        },
      ]);
      return inserted;
    });
    if (written) return prepared(written, after);
    const [again] = await db
      .select()
      .from(orderDisruptions)
      .where(and(eq(orderDisruptions.orderId, p.orderId), eq(orderDisruptions.disruptionId, p.disruptionId)));
    return prepared(again!, after);
  }

  /**
   * The next flights on the segment's route that still sell and depart no earlier than it was to, each with seats
   * for the order's seated travelers in the same cabin or the nearest better one, held as change offers of total 0
   * (the voluntary change's hold: services/order-changes.ts), up to `disruptions.options`.
   */
  async function holdOptions(
    order: typeof orders.$inferSelect,
    seg: OrderSegment,
    respondBy: Date,
    at: Date,
  ): Promise<DisruptionOption[]> {
    const pax = await db
      .select({ id: travelers.id, ptc: travelers.ptc })
      .from(travelers)
      .where(eq(travelers.orderId, order.id))
      .orderBy(asc(travelers.position));
    const seated = pax.filter((t) => t.ptc !== 'INF').length;
    const cabins = protectCabins(seg.cabin as Cabin);
    const sellsFrom = new Date(
      Math.max(at.getTime() + config.orders.sales_close_minutes * 60_000, Date.parse(seg.departureAt)),
    );
    const want = config.disruptions.options;
    const rows = await sql<
      {
        id: string;
        carrier: string;
        flight_number: string;
        origin: string;
        destination: string;
        departure_at: Date | string;
        arrival_at: Date | string;
        cabin: Cabin;
      }[]
    >`
      SELECT f.id, f.carrier, f.flight_number, f.origin, f.destination, f.departure_at, f.arrival_at, fi.cabin
      FROM flights f JOIN flight_inventory fi ON fi.flight_id = f.id
      WHERE f.origin = ${seg.origin} AND f.destination = ${seg.destination} AND f.id <> ${seg.flightId}
        AND f.status IN ('SCHEDULED', 'CHECK_IN_OPEN') AND f.departure_at >= ${sellsFrom.toISOString()}::timestamptz
        AND fi.cabin::text = ANY(${cabins as string[]}::text[]) AND fi.currency = ${order.currency}
        AND fi.capacity - fi.held - fi.sold >= ${seated}
      ORDER BY f.departure_at, f.id
      LIMIT ${want * CANDIDATES_PER_OPTION * cabins.length}`;
    const inOrder = new Set((order.offer?.segments ?? []).map((s) => s.flightId.toLowerCase()));
    const once = new Set(
      (
        await inventory.holdsOn(
          order.id,
          rows.map((r) => r.id),
        )
      ).map((h) => h.flightId.toLowerCase()),
    );
    // One candidate per flight: its lowest eligible cabin.
    const byFlight = new Map<string, (typeof rows)[number]>();
    for (const r of rows) {
      if (inOrder.has(r.id.toLowerCase()) || once.has(r.id.toLowerCase())) continue;
      const seen = byFlight.get(r.id);
      if (!seen || cabinRank(r.cabin) < cabinRank(seen.cabin)) byFlight.set(r.id, r);
    }
    const fares = await db
      .select({ travelerId: orderItems.travelerId, amount: orderItems.amount })
      .from(orderItems)
      .where(matching(orderItems, { orderId: order.id, productType: 'Flight', flightId: seg.flightId }));
    const options: DisruptionOption[] = [];
    for (const r of [...byFlight.values()].slice(0, want * CANDIDATES_PER_OPTION)) {
      if (options.length >= want) break;
      const to = orderSegmentOf(r, r.cabin);
      const offerId = await db.transaction(async (tx) => {
        const [req] = await tx
          .insert(orderChangeRequests)
          .values({
            orderId: order.id,
            remove: [seg.flightId],
            add: [
              {
                origin: to.origin,
                destination: to.destination,
                departure_date: to.departureAt.slice(0, 10),
                cabin: to.cabin,
              },
            ],
            createdAt: at,
          })
          .returning({ id: orderChangeRequests.id });
        const [offer] = await tx
          .insert(orderChangeOffers)
          .values({
            changeRequestId: req!.id,
            orderId: order.id,
            remove: [seg],
            add: [to],
            // The fares the order paid move to the new flight: no charge, no refund.
            items: pax.map((t) => ({
              travelerId: t.id,
              flightId: to.flightId,
              replaces: seg.flightId,
              cabin: to.cabin,
              amount: fares.find((f) => f.travelerId === t.id)?.amount ?? 0,
            })),
            currency: order.currency,
            fareDifference: 0,
            penaltyAmount: 0,
            changeTotalAmount: 0,
            newTotalAmount: order.totalAmount,
            expiresAt: new Date(respondBy.getTime() + 86_400_000),
            createdAt: at,
          })
          .returning({ id: orderChangeOffers.id });
        return offer!.id;
      });
      try {
        await changes.hold({ orderId: order.id, changeOfferId: offerId, at: at.toISOString() });
        options.push({ id: offerId, segments: [to] });
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'SOLD_OUT')) throw err;
      }
    }
    return options;
  }

  /** Records the answer (or the default) once: OrderDisruptionResolved. A resolved disruption is left as it is. */
  async function resolve(p: {
    orderId: string;
    disruptionId: string;
    action: 'accepted' | 'refunded';
    by: 'customer' | 'default';
    optionId: string | null;
    at: string;
  }): Promise<void> {
    const at = new Date(p.at);
    await db.transaction(async (tx) => {
      const [row] = await tx
        .update(orderDisruptions)
        .set({
          status: p.action === 'accepted' ? 'ACCEPTED' : 'REFUNDED',
          actionTaken: p.action,
          actionBy: p.by,
          optionId: p.optionId,
          actionTakenAt: at,
        })
        .where(matching(orderDisruptions, { orderId: p.orderId, disruptionId: p.disruptionId, status: 'OPEN' }))
        .returning();
      if (!row) return;
      await appendEvents(tx, [
        {
          type: 'OrderDisruptionResolved',
          aggregateId: p.orderId,
          occurredAt: at,
          payload: {
            disruption_id: p.disruptionId,
            kind: row.kind,
            flight_id: row.flightId,
            action_taken: p.action,
            action_taken_by: p.by,
            option_id: p.optionId,
          },
        },
      ]);
    });
  }

  return { prepare, resolve };
}

export type OrderDisruptions = ReturnType<typeof createOrderDisruptions>;

// ------------------------------------------------------------------------------------------------ the agents' read

export type DisruptionResponse = 'accepted' | 'refunded' | 'auto_accepted' | null;

/**
 * The agents' view of a flight's airline-initiated changes (GET /v1/admin/flights/:id/disruptions): each change,
 * newest first, with every affected order and how it answered — accepted the rebooking, took the refund, was
 * rebooked by default or tolerance, or has not answered yet. Two queries; a flight has at most its seats' orders.
 */
export function createDisruptionReads(db: Database) {
  return {
    async ofFlight(flightId: string) {
      const [changes, affected] = await Promise.all([
        db
          .select()
          .from(flightDisruptions)
          .where(eq(flightDisruptions.flightId, flightId))
          .orderBy(desc(flightDisruptions.createdAt)),
        db
          .select()
          .from(orderDisruptions)
          .where(eq(orderDisruptions.flightId, flightId))
          .orderBy(asc(orderDisruptions.createdAt), asc(orderDisruptions.orderId)),
      ]);
      const times = (s: FlightState) => ({ status: s.status, departure_at: s.departureAt, arrival_at: s.arrivalAt });
      return changes.map((d) => {
        const orders = affected.filter((o) => o.disruptionId === d.id);
        const count = (action: DisruptionResponse) => orders.filter((o) => o.actionTaken === action).length;
        return {
          id: d.id,
          kind: d.kind,
          before: times(d.before),
          after: times(d.after),
          created_at: d.createdAt.toISOString(),
          totals: {
            affected: orders.length,
            no_answer: count(null),
            accepted: count('accepted'),
            refunded: count('refunded'),
            auto_accepted: count('auto_accepted'),
          },
          orders: orders.map((o) => ({
            order_id: o.orderId,
            booking_reference: recordLocator(o.orderId),
            status: o.status,
            response: o.actionTaken,
            responded_by: o.actionBy,
            responded_at: o.actionTakenAt?.toISOString() ?? null,
            respond_by: o.respondBy?.toISOString() ?? null,
            default_action: o.defaultAction,
            available_actions: o.status === 'OPEN' ? o.availableActions : [],
          })),
        };
      });
    },
  };
}
