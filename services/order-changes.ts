/**
 * Voluntary changes of a paid order (Duffel's order change requests → change offers → confirm).
 *
 * `createOrderChanges` is the request side (the API): a change request names the order's segments to remove and
 * the legs to add instead (one added leg per removed segment, in the same order: its seats and ancillaries move
 * with it); it answers change offers priced now, by the catalog's pricing of a flight for the order's party (the
 * demand multiplier at today's availability, the pricing rules and taxes: domain/pricing.ts, as offers are priced),
 * under the fare conditions the order was sold with (`change_before_departure`: not allowed → 422
 * CHANGE_NOT_ALLOWED; its penalty per passenger).
 *
 * `createOrderChangeSteps` is what the order's workflow runs to confirm one (activities/orders.ts): hold the new
 * flights, charge a positive total, then in one Postgres transaction sell the new flights and give back the old
 * (services/inventory `exchange`), reissue the tickets as an exchange, issue boarding passes and write the change
 * history with its OrderChanged event; refund a negative total. Every step is idempotent (activities are retried).
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { AppConfig } from '../config';
import type { Database } from '../db/client';
// The order's own tables, then the change requests' and offers'.
import { boardingPasses, orderItems, orders, payments, seatAssignments, tickets, travelers } from '../db/schema';
import { orderChangeOffers, orderChangeRequests, orderChanges } from '../db/schema';
import type { ChangeFlightItem, ChangeLegRequest } from '../db/schema';
import { matching } from '../db/where';
import type { FareConditions } from '../domain/commercial';
import { DomainError } from '../domain/errors';
import { orderSegmentOf, type OrderSegment } from '../domain/order';
import { formatTicketNumber } from '../domain/tickets';
import { flightDesignator, type FlightScheduleView } from '../domain/vocabulary';
import type { Logger } from '../lib/logger';
import type { PiiCipher } from '../lib/pii';
import { boardingPassesFor } from './boarding-pass';
import type { Catalog } from './catalog';
import { CABINS, type Cabin, type Inventory } from './inventory';
import * as ledger from './ledger';
import { appendEvents } from './outbox';
import { chargeAttempt, voidAttempt, type PaymentGateway } from './payment-gateway';
import type { PaymentVault } from './payment-vault';
import { orderRow } from './order-row';

/** Change offers per request at most (the earliest flights with seats, per added leg, combined). */
export const MAX_CHANGE_OFFERS = 9;
/** Flights considered per added leg. */
const FLIGHTS_PER_LEG = 3;

export interface ChangeOfferView {
  id: string;
  add: SegmentView[];
  remove: SegmentView[];
  fare_difference: { amount: number; currency: string };
  penalty_amount: { amount: number; currency: string };
  change_total_amount: { amount: number; currency: string };
  new_total_amount: { amount: number; currency: string };
  expires_at: string;
}

export interface SegmentView extends FlightScheduleView {
  flight_id: string;
  cabin: Cabin;
}

/** A segment as the order shows it (flight_number with its carrier, as GET /v1/orders/:id writes segments). */
export const segmentView = (s: OrderSegment): SegmentView => ({
  flight_id: s.flightId,
  carrier: s.carrier,
  flight_number: flightDesignator(s.carrier, s.flightNumber),
  origin: s.origin,
  destination: s.destination,
  departure_at: s.departureAt,
  arrival_at: s.arrivalAt,
  cabin: s.cabin as Cabin,
});

type OfferRow = typeof orderChangeOffers.$inferSelect;
const m = (amount: number, currency: string) => ({ amount, currency });

export function changeOfferView(o: OfferRow): ChangeOfferView {
  return {
    id: o.id,
    add: o.add.map(segmentView),
    remove: o.remove.map(segmentView),
    fare_difference: m(o.fareDifference, o.currency),
    penalty_amount: m(o.penaltyAmount, o.currency),
    change_total_amount: m(o.changeTotalAmount, o.currency),
    new_total_amount: m(o.newTotalAmount, o.currency),
    expires_at: o.expiresAt.toISOString(),
  };
}

/** The order as a change request reads it (the API's owned order row). */
export interface ChangeableOrder {
  id: string;
  status: string;
  currency: string;
  totalAmount: number;
  offer: { segments: OrderSegment[]; conditions?: FareConditions | null } | null;
}

/** A change offer of this order (404 for another order's or an unknown id). */
async function changeOfferOf(db: Database, orderId: string, changeOfferId: string): Promise<OfferRow> {
  const [row] = await db
    .select()
    .from(orderChangeOffers)
    .where(and(eq(orderChangeOffers.id, changeOfferId), eq(orderChangeOffers.orderId, orderId)));
  if (!row) throw new DomainError('NOT_FOUND', `change offer ${changeOfferId} was not found`);
  return row;
}

export function createOrderChanges(deps: {
  db: Database;
  catalog: Catalog;
  inventory: Inventory;
  config: Pick<AppConfig, 'offers'>;
}) {
  const { db, catalog, inventory, config } = deps;

  /** Prices change offers for the request and stores them (the request, and its offers, in one transaction). */
  async function request(
    order: ChangeableOrder,
    body: { remove: string[]; add: ChangeLegRequest[] },
    now = new Date(),
  ): Promise<{ id: string; order_id: string; change_offers: ChangeOfferView[] }> {
    if (order.status !== 'FULFILLED') {
      throw new DomainError('INVALID_STATE', `an order in state ${order.status} cannot be changed; pay it first`);
    }
    const condition = order.offer?.conditions?.change_before_departure ?? null;
    if (!condition || !condition.allowed) {
      throw new DomainError('CHANGE_NOT_ALLOWED', 'the fare this order was sold under does not allow changes', {
        condition: 'change_before_departure',
        change_before_departure: condition ?? { allowed: false, penalty_amount: null, penalty_currency: null },
      });
    }
    const segments = order.offer?.segments ?? [];
    const remove = body.remove.map((id) => id.toLowerCase());
    const issues: { path: string; message: string }[] = [];
    if (new Set(remove).size !== remove.length) issues.push({ path: 'remove', message: 'a segment is named twice' });
    if (body.add.length !== remove.length) {
      issues.push({ path: 'add', message: 'add one leg for each removed segment (in the same order)' });
    }
    const removed = remove.map((id, n) => {
      const seg = segments.find((s) => s.flightId.toLowerCase() === id);
      if (!seg) issues.push({ path: `remove.${n}`, message: `segment ${id} is not part of this order` });
      else if (Date.parse(seg.departureAt) <= now.getTime()) {
        issues.push({ path: `remove.${n}`, message: `segment ${id} has departed: a flown coupon cannot be changed` });
      }
      return seg;
    });
    body.add.forEach((leg, n) => {
      if (!CABINS.includes(leg.cabin as Cabin)) issues.push({ path: `add.${n}.cabin`, message: 'unknown cabin' });
    });
    if (issues.length > 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        issues.length === 1 ? issues[0]!.message : 'the request is not valid',
        {
          issues,
        },
      );
    }

    const pax = await db
      .select({ id: travelers.id, ptc: travelers.ptc })
      .from(travelers)
      .where(eq(travelers.orderId, order.id))
      .orderBy(asc(travelers.position));
    const party = {
      adults: pax.filter((p) => p.ptc === 'ADT').length,
      children: pax.filter((p) => p.ptc === 'CHD').length,
      infants: pax.filter((p) => p.ptc === 'INF').length,
    };
    const seated = party.adults + party.children;
    const items = await db.select().from(orderItems).where(eq(orderItems.orderId, order.id));
    const oldFares = items
      .filter((i) => i.productType === 'Flight' && i.flightId !== null && remove.includes(i.flightId.toLowerCase()))
      .reduce((s, i) => s + i.amount, 0);
    // The order keeps its other segments, and a flight it held once is not held again under the same owner.
    const kept = new Set(segments.map((s) => s.flightId.toLowerCase()));

    const candidates: { seg: OrderSegment; prices: Map<string, number> }[][] = [];
    for (const [n, leg] of body.add.entries()) {
      const flights = await catalog.searchFlights({
        origin: leg.origin,
        destination: leg.destination,
        date: leg.departure_date,
        passengers: seated,
        party,
        now,
      });
      const past = await inventory.holdsOn(
        order.id,
        flights.map((f) => f.id),
      );
      const once = new Set(past.map((h) => h.flightId.toLowerCase()));
      const usable = flights
        .filter((f) => !kept.has(f.id.toLowerCase()) && !once.has(f.id.toLowerCase()))
        .flatMap((f) => {
          const cabin = f.cabins.find((c) => c.cabin === leg.cabin);
          if (!cabin || cabin.available < seated || cabin.total_price.currency !== order.currency) return [];
          const seg = orderSegmentOf(f, cabin.cabin);
          const prices = new Map(cabin.party.map((p) => [p.passenger_type as string, p.price_per_passenger.amount]));
          return [{ seg, prices }];
        })
        .slice(0, FLIGHTS_PER_LEG);
      if (usable.length === 0) issues.push({ path: `add.${n}`, message: 'no flight with seats for this leg' });
      candidates.push(usable);
    }

    // Every combination of one flight per added leg, the earliest first.
    let combos: { seg: OrderSegment; prices: Map<string, number> }[][] = [[]];
    for (const options of candidates) combos = combos.flatMap((c) => options.map((o) => [...c, o]));
    combos = issues.length > 0 ? [] : combos.slice(0, MAX_CHANGE_OFFERS);

    const penalty = (condition.penalty_amount ?? 0) * pax.length;
    const expiresAt = new Date(now.getTime() + config.offers.ttl_seconds * 1000);
    return db.transaction(async (tx) => {
      const [req] = await tx
        .insert(orderChangeRequests)
        .values({ orderId: order.id, remove, add: body.add, createdAt: now })
        .returning({ id: orderChangeRequests.id });
      const rows: OfferRow[] = [];
      for (const combo of combos) {
        const flightItems: ChangeFlightItem[] = combo.flatMap((c, n) =>
          pax.map((p) => ({
            travelerId: p.id,
            flightId: c.seg.flightId,
            replaces: removed[n]!.flightId,
            cabin: c.seg.cabin,
            amount: c.prices.get(p.ptc) ?? 0,
          })),
        );
        const newFares = flightItems.reduce((s, i) => s + i.amount, 0);
        const fareDifference = newFares - oldFares;
        const changeTotal = fareDifference + penalty;
        const [row] = await tx
          .insert(orderChangeOffers)
          .values({
            changeRequestId: req!.id,
            orderId: order.id,
            remove: removed as OrderSegment[],
            add: combo.map((c) => c.seg),
            items: flightItems,
            currency: order.currency,
            fareDifference,
            penaltyAmount: penalty,
            changeTotalAmount: changeTotal,
            newTotalAmount: order.totalAmount + changeTotal,
            expiresAt,
            createdAt: now,
          })
          .returning();
        rows.push(row!);
      }
      return { id: req!.id, order_id: order.id, change_offers: rows.map(changeOfferView) };
    });
  }

  const offerOf = (orderId: string, changeOfferId: string) => changeOfferOf(db, orderId, changeOfferId);

  return { request, offerOf };
}

export type OrderChanges = ReturnType<typeof createOrderChanges>;

// ------------------------------------------------------------------------------------------------ the confirm

export interface ChangeHeld {
  changeOfferId: string;
  currency: string;
  changeTotalAmount: number;
  newTotalAmount: number;
  add: OrderSegment[];
  remove: OrderSegment[];
}

export interface ChargeOutcomeOfChange {
  status: 'succeeded' | 'failed';
  chargeId: string | null;
  declineCode: string | null;
}

/** The gateway's idempotency key of a change's charge: one per change offer and attempt to confirm it. */
export const changeChargeKey = (changeOfferId: string, attempt: number) => `change-${changeOfferId}-${attempt}`;

export function createOrderChangeSteps(deps: {
  config: Pick<AppConfig, 'orders'>;
  logger: Logger;
  db: Database;
  inventory: Inventory;
  gateway: PaymentGateway;
  vault: PaymentVault;
  pii: PiiCipher;
}) {
  const { db, inventory, gateway, vault, pii, config, logger } = deps;

  const load = (orderId: string, changeOfferId: string) => changeOfferOf(db, orderId, changeOfferId);

  const seatsPerFlight = async (orderId: string) =>
    (await db.select({ ptc: travelers.ptc }).from(travelers).where(eq(travelers.orderId, orderId))).filter(
      (t) => t.ptc !== 'INF',
    ).length;

  /**
   * The first step of a confirm: the change offer must be live (410 once expired) and its removed segments still
   * the order's; then the new flights are held for the order, all or nothing (SOLD_OUT: nothing held, 409).
   * A retry finds the hold already made.
   */
  async function hold(p: { orderId: string; changeOfferId: string; at: string }): Promise<ChangeHeld> {
    const offer = await load(p.orderId, p.changeOfferId);
    if (offer.status === 'CONFIRMED') {
      throw new DomainError('INVALID_STATE', `change offer ${offer.id} has already been confirmed`);
    }
    if (offer.expiresAt.getTime() <= Date.parse(p.at)) {
      throw new DomainError('OFFER_EXPIRED', `change offer ${offer.id} has expired; ask for a new change request`);
    }
    const [order] = await db.select({ offer: orders.offer }).from(orders).where(eq(orders.id, p.orderId));
    const current = new Set((order?.offer?.segments ?? []).map((s) => s.flightId.toLowerCase()));
    if (offer.remove.some((s) => !current.has(s.flightId.toLowerCase()))) {
      throw new DomainError('INVALID_STATE', 'the order has changed since this change offer was made; ask again');
    }
    const quantity = await seatsPerFlight(p.orderId);
    await inventory.hold(
      p.orderId,
      offer.add.map((s) => ({ flightId: s.flightId, cabin: s.cabin as Cabin, quantity })),
    );
    return {
      changeOfferId: offer.id,
      currency: offer.currency,
      changeTotalAmount: offer.changeTotalAmount,
      newTotalAmount: offer.newTotalAmount,
      add: offer.add,
      remove: offer.remove,
    };
  }

  /** A change's payment failed: the new flights' hold is given back (and forgotten, so a retry may hold again). */
  async function releaseHold(p: { orderId: string; changeOfferId: string }): Promise<void> {
    const offer = await load(p.orderId, p.changeOfferId);
    if (offer.status === 'CONFIRMED') return;
    await inventory.releaseFlights(
      p.orderId,
      offer.add.map((s) => s.flightId),
      { forget: true },
    );
  }

  /**
   * Charges a change's positive total with its own idempotency key (a retry never charges twice). A charge that
   * does not settle at once (a webhook card, a gateway timeout) is voided and counts as declined: a change is
   * confirmed only with money in hand. A charge that succeeded meanwhile wins.
   */
  async function charge(p: {
    orderId: string;
    changeOfferId: string;
    attempt: number;
    amount: number;
    currency: string;
    payment: string;
  }): Promise<ChargeOutcomeOfChange> {
    const outcome = await chargeAttempt(gateway, (ref) => vault.resolve(ref), p, {
      idempotencyKey: changeChargeKey(p.changeOfferId, p.attempt),
      description: `Altis order ${p.orderId}: change ${p.changeOfferId}`,
    });
    const { status, chargeId, declineCode } = outcome;
    if (status === 'succeeded' || status === 'failed') return { status, chargeId, declineCode };
    // No outcome yet: find this attempt's charge and void it (unless it has succeeded meanwhile).
    const result = await voidAttempt(gateway, { orderId: p.orderId, attempt: p.attempt, chargeId }, (_id, now, err) => {
      if (now?.status === 'pending') throw err;
      return undefined;
    });
    if (result.status !== 'voided') return result;
    logger.warn({ order_id: p.orderId, change_offer_id: p.changeOfferId }, 'change payment did not settle: voided');
    return { status: 'failed', chargeId: result.chargeId, declineCode: 'payment_not_settled' };
  }

  /**
   * The change itself, once paid for: in one Postgres transaction the new flights are sold and the old given back
   * (inventory `exchange`), the order's segments, items and total follow, each traveler's ticket for a removed
   * flight becomes EXCHANGED for a new ticket number on its replacement, boarding passes are issued for the new
   * flights (seats carried over where the same seat is free in the cabin, else unassigned), and the change history
   * is written with OrderChanged. Idempotent: a confirmed change offer is not applied twice.
   */
  async function apply(p: {
    orderId: string;
    changeOfferId: string;
    chargeId: string | null;
    at: string;
  }): Promise<{ segments: OrderSegment[]; totalAmount: number }> {
    const at = new Date(p.at);
    const offer = await load(p.orderId, p.changeOfferId);
    const order = await orderRow(db, p.orderId);
    if (offer.status === 'CONFIRMED') {
      return { segments: order.offer?.segments ?? [], totalAmount: order.totalAmount };
    }
    const replaced = new Map(offer.add.map((s, n) => [offer.remove[n]!.flightId, s]));
    const removedIds = offer.remove.map((s) => s.flightId);
    const addedIds = offer.add.map((s) => s.flightId);
    const segments = (order.offer?.segments ?? []).map((s) => replaced.get(s.flightId) ?? s);

    // Seats: the same seat on the replacement when it is free in the cabin, else none (chosen again later).
    const pax = await db
      .select()
      .from(travelers)
      .where(eq(travelers.orderId, p.orderId))
      .orderBy(asc(travelers.position));
    const seated = pax.filter((t) => t.ptc !== 'INF').length;
    const oldSeats = await db
      .select()
      .from(seatAssignments)
      .where(and(eq(seatAssignments.orderId, p.orderId), inArray(seatAssignments.flightId, removedIds)));
    const carried: { travelerId: string; flightId: string; seatNumber: string }[] = [];
    for (const s of oldSeats) {
      const to = replaced.get(s.flightId);
      if (!to || !s.travelerId) continue;
      const locked = await inventory.lockSeat({
        ownerId: p.orderId,
        flightId: to.flightId,
        seatNumber: s.seatNumber,
        ttlMs: 15 * 60_000,
        maxPerFlight: seated,
        cabin: to.cabin as Cabin,
      });
      if (locked.ok) carried.push({ travelerId: s.travelerId, flightId: to.flightId, seatNumber: s.seatNumber });
    }

    const oldTickets = await db
      .select()
      .from(tickets)
      .where(and(eq(tickets.orderId, p.orderId), eq(tickets.kind, 'TKT'), eq(tickets.status, 'OPEN')));
    const toExchange = oldTickets.filter((t) => t.flightIds.some((f) => removedIds.includes(f)));
    const serials = await db.execute<{ serial: string }>(
      sql`select nextval('ticket_serial')::text as serial from generate_series(1, ${Math.max(toExchange.length, 1)})`,
    );
    const exchanged = toExchange.map((t, n) => ({
      from: t.number,
      to: formatTicketNumber(config.orders.airline_ticket_prefix, BigInt(serials[n]!.serial)),
      travelerId: t.travelerId,
      flightIds: t.flightIds.map((f) => replaced.get(f)?.flightId ?? f),
    }));

    const passes = boardingPassesFor({ orderId: p.orderId, travelers: pax, segments: offer.add, pii, seats: carried });

    let done = false;
    await inventory
      .exchange(p.orderId, { sell: addedIds, release: removedIds }, async (tx) => {
        // The offer row locked: a retry racing this one waits, then finds it CONFIRMED (the transaction rolls back).
        const [locked] = await tx
          .select({ status: orderChangeOffers.status })
          .from(orderChangeOffers)
          .where(eq(orderChangeOffers.id, offer.id))
          .for('update');
        if (locked?.status === 'CONFIRMED') {
          done = true;
          throw new DomainError('CONFLICT', 'already applied');
        }
        await tx.update(orderChangeOffers).set({ status: 'CONFIRMED' }).where(eq(orderChangeOffers.id, offer.id));
        // Items: the removed flights' fares go, the new fares come; ancillaries and seats move to the replacement.
        await tx
          .delete(orderItems)
          .where(
            and(
              eq(orderItems.orderId, p.orderId),
              eq(orderItems.productType, 'Flight'),
              inArray(orderItems.flightId, removedIds),
            ),
          );
        await tx.insert(orderItems).values(
          offer.items.map((i) => ({
            orderId: p.orderId,
            productType: 'Flight',
            productCode: 'FLIGHT',
            flightId: i.flightId,
            travelerId: i.travelerId,
            cabin: i.cabin,
            amount: i.amount,
            currency: offer.currency,
            details: { change_offer_id: offer.id, replaces: i.replaces },
          })),
        );
        // The penalty is the airline's for good: it stays out of the items (what a cancellation refunds from),
        // in the order's total and the change history.
        for (const [from, to] of replaced) {
          await tx
            .update(orderItems)
            .set({ flightId: to.flightId, seatNumber: null })
            .where(and(eq(orderItems.orderId, p.orderId), eq(orderItems.flightId, from)));
        }
        for (const c of carried) {
          await tx
            .update(seatAssignments)
            .set({ travelerId: c.travelerId })
            .where(matching(seatAssignments, { orderId: p.orderId, flightId: c.flightId, seatNumber: c.seatNumber }));
          await tx
            .update(orderItems)
            .set({ seatNumber: c.seatNumber })
            .where(
              matching(orderItems, {
                orderId: p.orderId,
                flightId: c.flightId,
                travelerId: c.travelerId,
                productType: 'Seat',
              }),
            );
        }
        await tx
          .update(orders)
          .set({
            offer: { ...(order.offer ?? { segments: [] }), segments },
            totalAmount: offer.newTotalAmount,
            updatedAt: at,
            version: sql`${orders.version} + 1`,
          })
          .where(eq(orders.id, p.orderId));
        // Tickets: reissued as an exchange (the old coupon EXCHANGED, pointing at its new number).
        if (exchanged.length > 0) {
          await tx.insert(tickets).values(
            exchanged.map((e) => ({
              number: e.to,
              kind: 'TKT' as const,
              orderId: p.orderId,
              travelerId: e.travelerId,
              flightIds: e.flightIds,
              issuedAt: at,
            })),
          );
          for (const e of exchanged) {
            await tx.update(tickets).set({ status: 'EXCHANGED', exchangedFor: e.to }).where(eq(tickets.number, e.from));
          }
        }
        await tx
          .delete(boardingPasses)
          .where(and(eq(boardingPasses.orderId, p.orderId), inArray(boardingPasses.flightId, removedIds)));
        if (passes.length > 0) await tx.insert(boardingPasses).values(passes).onConflictDoNothing();
        await ledger.postChange(tx, {
          orderId: p.orderId,
          changeOfferId: offer.id,
          chargeId: p.chargeId,
          exchanged,
          at,
        });
        await tx.insert(orderChanges).values({
          orderId: p.orderId,
          changeOfferId: offer.id,
          removed: offer.remove,
          added: offer.add,
          currency: offer.currency,
          changeTotalAmount: offer.changeTotalAmount,
          chargeId: offer.changeTotalAmount > 0 ? p.chargeId : null,
          exchanged: exchanged.map((e) => ({ from: e.from, to: e.to })),
          createdAt: at,
        });
        const route = [segments[0]?.origin ?? '?', ...segments.map((s) => s.destination)].join('-');
        await appendEvents(tx, [
          {
            type: 'OrderChanged',
            aggregateId: p.orderId,
            occurredAt: at,
            payload: {
              order_id: p.orderId,
              route,
              change_offer_id: offer.id,
              removed: offer.remove.map((s) => ({ flight_id: s.flightId, cabin: s.cabin })),
              added: offer.add.map((s) => ({ flight_id: s.flightId, cabin: s.cabin })),
              fare_difference: m(offer.fareDifference, offer.currency),
              penalty_amount: m(offer.penaltyAmount, offer.currency),
              change_total_amount: m(offer.changeTotalAmount, offer.currency),
              new_total_amount: m(offer.newTotalAmount, offer.currency),
              charge_id: offer.changeTotalAmount > 0 ? p.chargeId : null,
              tickets: exchanged.map((e) => ({ exchanged: e.from, issued: e.to })),
            },
          },
        ]);
      })
      .catch((err: unknown) => {
        if (!done) throw err;
      });
    return { segments, totalAmount: offer.newTotalAmount };
  }

  /**
   * Money back for a change, once (its own idempotency key): a negative change total to the order's card, or
   * (`chargeId`) the whole charge of a change that could not be applied.
   */
  async function refund(p: {
    orderId: string;
    changeOfferId: string;
    amount: number;
    chargeId?: string;
  }): Promise<{ refundId: string }> {
    const [paid] = p.chargeId
      ? [{ chargeId: p.chargeId }]
      : await db
          .select({ chargeId: payments.chargeId })
          .from(payments)
          .where(and(eq(payments.orderId, p.orderId), eq(payments.status, 'SUCCEEDED')))
          .orderBy(asc(payments.attempt));
    if (!paid?.chargeId) throw new DomainError('INVALID_STATE', `order ${p.orderId} has no charge to refund`);
    const refund = await gateway.refund({
      chargeId: paid.chargeId,
      amount: p.amount,
      idempotencyKey: `change-refund-${p.changeOfferId}`,
    });
    await db.transaction(async (tx) => {
      await tx.update(orderChanges).set({ refundId: refund.id }).where(eq(orderChanges.changeOfferId, p.changeOfferId));
      // A change that could not be applied refunds its whole charge, which nothing recorded as captured.
      await ledger.postRefund(tx, {
        orderId: p.orderId,
        ref: `change-refund-${p.changeOfferId}`,
        refundId: refund.id,
        amount: refund.amount,
        at: new Date(),
        ...(p.chargeId ? { capture: { chargeId: p.chargeId, amount: p.amount } } : {}),
      });
    });
    return { refundId: refund.id };
  }

  return { hold, releaseHold, charge, apply, refund };
}

export type OrderChangeSteps = ReturnType<typeof createOrderChangeSteps>;
