/**
 * Day of travel (issue #15, items 3–4): check-in, the gate scan, the flight's manifest, and the coupons' settlement
 * at departure. Check-in is a service transaction, not a workflow Update (README, "Day of travel"): it writes
 * only day-of-travel records (check_ins, the seat, the boarding pass) and takes the order's row lock, re-reading
 * the order's and ticket's status under it, so a cancel or a change (the workflow's writers, which update that
 * row) either commits before it — and the check-in is refused — or after it, and the ticket's status then wins
 * over the check-in (domain/check-in.ts couponStatus).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { AppConfig } from '../config';
import type { Database, DbOrTx } from '../db/client';
import {
  airports,
  boardingPasses,
  checkIns,
  flights,
  flightSeats,
  orderItems,
  orders,
  seatAssignments,
  tickets,
  travelers,
} from '../db/schema';
import { matching } from '../db/where';
import { decodeBcbp, decodeBcbpConditional, julianDay } from '../domain/bcbp';
import {
  checkInWindowState,
  couponStatus,
  isInternational,
  travelDocumentIssues,
  type CheckInStatus,
  type CouponUseStatus,
  type TravelDocument,
} from '../domain/check-in';
import { DomainError } from '../domain/errors';
import type { OrderSegment } from '../domain/order';
import { recordLocator } from '../domain/record-locator';
import { flightNumberOnly } from '../domain/vocabulary';
import type { PiiCipher } from '../lib/pii';
import { checkedInBoardingPassBcbp } from './boarding-pass';
import type { Inventory } from './inventory';
import * as ledger from './ledger';
import { appendEvents, type DomainEvent } from './outbox';
import { createServicingReads } from './servicing';

type Cabin = 'FIRST' | 'BUSINESS' | 'PREMIUM_ECONOMY' | 'ECONOMY';

export interface CheckInRequest {
  orderId: string;
  flightId: string;
  travelers: { ref: string; document?: TravelDocument }[];
  /** W: the customer's own (web) check-in; A: an agent's. */
  source: 'W' | 'A';
  now?: Date;
}

export interface CheckedInCoupon {
  travelerId: string;
  flightId: string;
  ticketNumber: string;
  sequence: number;
  seatNumber: string | null;
  status: CheckInStatus;
  bcbp: string;
  checkedInAt: Date;
}

// Thrown inside a check-in's transaction when another check-in of the same coupon committed first: roll back (a
// seat just taken for it goes back) and answer the committed one.
class AlreadyCheckedIn extends Error {}

export function createCheckIn(deps: {
  db: Database;
  inventory: Inventory;
  config: Pick<AppConfig, 'check_in' | 'orders' | 'pricing'>;
  pii: PiiCipher;
}) {
  const { db, inventory, config, pii } = deps;
  const reads = createServicingReads({ db, config: config as AppConfig });
  const window = () => ({
    opensHoursBefore: config.check_in.opens_hours_before,
    closesMinutesBefore: config.check_in.closes_minutes_before,
  });

  async function flightFacts(flightId: string) {
    const [row] = await db
      .select({
        id: flights.id,
        status: flights.status,
        departureAt: flights.departureAt,
        arrivalAt: flights.arrivalAt,
        origin: flights.origin,
        destination: flights.destination,
      })
      .from(flights)
      .where(eq(flights.id, flightId));
    if (!row) throw new DomainError('NOT_FOUND', `flight ${flightId} was not found`);
    const countries = await db
      .select({ code: airports.code, country: airports.country })
      .from(airports)
      .where(inArray(airports.code, [row.origin, row.destination]));
    const country = (code: string) => countries.find((c) => c.code === code)?.country ?? '';
    return { ...row, international: isInternational(country(row.origin), country(row.destination)) };
  }

  /**
   * Checks travelers of a FULFILLED order in on one of its flights, inside the check-in window: validates travel
   * documents when the flight is international, assigns a seat in the sold cabin to a traveler without one (lap
   * infants get none), gives each a check-in sequence unique on the flight and issues the checked-in boarding
   * pass. A traveler already checked in is answered as checked in (nothing is issued twice).
   */
  async function checkIn(req: CheckInRequest): Promise<{ international: boolean; coupons: CheckedInCoupon[] }> {
    const now = req.now ?? new Date();
    const ctx = await reads.orderContext(req.orderId);
    if (ctx.order.status !== 'FULFILLED') {
      throw new DomainError('INVALID_STATE', `check-in is for a ticketed order; this one is ${ctx.order.status}`);
    }
    const segment = ctx.segments.find((s) => s.flightId === req.flightId);
    if (!segment) throw new DomainError('NOT_FOUND', `flight ${req.flightId} is not on this order`);
    const flight = await flightFacts(req.flightId);
    if (flight.status === 'CANCELLED') throw new DomainError('FLIGHT_CANCELLED', 'this flight is cancelled');
    const state = checkInWindowState(flight.departureAt.getTime(), now.getTime(), window());
    if (state === 'NOT_OPEN') {
      const opensAt = new Date(flight.departureAt.getTime() - window().opensHoursBefore * 3_600_000);
      throw new DomainError('CHECK_IN_NOT_OPEN', `check-in opens at ${opensAt.toISOString()}`, {
        opens_at: opensAt.toISOString(),
      });
    }
    if (state === 'CLOSED') {
      const closedAt = new Date(flight.departureAt.getTime() - window().closesMinutesBefore * 60_000);
      throw new DomainError('CHECK_IN_CLOSED', `check-in closed at ${closedAt.toISOString()}`, {
        closed_at: closedAt.toISOString(),
      });
    }

    // Who: by ref (ADT1) or id, each once; with a travel document on an international flight (APIS).
    const issues: { path: string; message: string }[] = [];
    const chosen = req.travelers.map((t, i) => {
      const party = ctx.party.find((x) => x.id === t.ref || x.ref === t.ref);
      if (!party) throw new DomainError('NOT_FOUND', `traveler ${t.ref} is not on this order`);
      if (flight.international) {
        if (!t.document) {
          issues.push({ path: `travelers.${i}.document`, message: 'an international flight needs a travel document' });
        } else {
          issues.push(...travelDocumentIssues(t.document, flight.arrivalAt.getTime(), `travelers.${i}.document`));
        }
      }
      return { ...party, document: t.document };
    });
    if (new Set(chosen.map((t) => t.id)).size !== chosen.length) {
      issues.push({ path: 'travelers', message: 'each traveler may be named once' });
    }
    if (issues.length > 0) {
      throw new DomainError('VALIDATION_FAILED', 'the travel documents are not valid', { issues });
    }

    const coupons: CheckedInCoupon[] = [];
    for (const t of chosen) {
      const pax = ctx.pax.find((p) => p.id === t.id)!;
      coupons.push(
        await checkInTraveler({
          orderId: req.orderId,
          segment,
          traveler: {
            id: t.id,
            ptc: t.ptc,
            name: { last: pii.decrypt(pax.lastName), first: pii.decrypt(pax.firstName) },
          },
          document: flight.international ? (t.document ?? null) : null,
          international: flight.international,
          source: req.source,
          now,
        }),
      );
    }
    return { international: flight.international, coupons };
  }

  async function existingCheckIn(orderId: string, travelerId: string, flightId: string) {
    const [row] = await db
      .select({ checkIn: checkIns, bcbp: boardingPasses.bcbp })
      .from(checkIns)
      .leftJoin(
        boardingPasses,
        and(
          eq(boardingPasses.orderId, checkIns.orderId),
          eq(boardingPasses.travelerId, checkIns.travelerId),
          eq(boardingPasses.flightId, checkIns.flightId),
        ),
      )
      .where(and(eq(checkIns.orderId, orderId), eq(checkIns.travelerId, travelerId), eq(checkIns.flightId, flightId)));
    if (!row || row.checkIn.sequence === null) return null;
    return asCoupon(row.checkIn, row.bcbp ?? '');
  }

  const asCoupon = (r: typeof checkIns.$inferSelect, bcbp: string): CheckedInCoupon => ({
    travelerId: r.travelerId,
    flightId: r.flightId,
    ticketNumber: r.ticketNumber,
    sequence: r.sequence!,
    seatNumber: r.seatNumber,
    status: r.status,
    bcbp,
    checkedInAt: r.checkedInAt ?? new Date(0),
  });

  async function checkInTraveler(p: {
    orderId: string;
    segment: OrderSegment;
    traveler: { id: string; ptc: string; name: { last: string; first: string } };
    document: TravelDocument | null;
    international: boolean;
    source: 'W' | 'A';
    now: Date;
  }): Promise<CheckedInCoupon> {
    const { orderId, segment, traveler } = p;
    const done = await existingCheckIn(orderId, traveler.id, segment.flightId);
    if (done) return done;
    const [seat] = await db
      .select({ seatNumber: seatAssignments.seatNumber })
      .from(seatAssignments)
      .where(matching(seatAssignments, { orderId, flightId: segment.flightId, travelerId: traveler.id }));

    const write = async (tx: DbOrTx, seatNumber: string | null): Promise<CheckedInCoupon> => {
      // The order's row lock: a cancel or change of this order waits for the check-in, or the check-in for it.
      const locked = await tx.execute<{ status: string }>(
        sql`SELECT status FROM orders WHERE id = ${orderId} FOR UPDATE`,
      );
      if (locked[0]?.status !== 'FULFILLED') {
        throw new DomainError('INVALID_STATE', `check-in is for a ticketed order; this one is ${locked[0]?.status}`);
      }
      const ticket = await openTicket(tx, orderId, traveler.id, segment.flightId);
      const [taken] = await tx
        .select({ id: checkIns.id })
        .from(checkIns)
        .where(matching(checkIns, { orderId, travelerId: traveler.id, flightId: segment.flightId }));
      if (taken) throw new AlreadyCheckedIn();
      // The flight's counter row, locked until commit: sequences are given out once each, in check-in order.
      const [counter] = await tx.execute<{ last: number }>(sql`
        INSERT INTO check_in_sequences (flight_id, last) VALUES (${segment.flightId}, 1)
        ON CONFLICT (flight_id) DO UPDATE SET last = check_in_sequences.last + 1
        RETURNING last`);
      const sequence = Number(counter!.last);
      const bcbp = checkedInBoardingPassBcbp({
        pnr: recordLocator(orderId),
        name: traveler.name,
        segment,
        seat: seatNumber,
        checkInSequence: sequence,
        ptc: traveler.ptc,
        ticketNumber: ticket,
        documentsChecked: p.international,
        source: p.source,
        issuer: config.orders.airline_designator,
        issuedAt: p.now,
      });
      const [row] = await tx
        .insert(checkIns)
        .values({
          id: randomUUID(),
          orderId,
          travelerId: traveler.id,
          flightId: segment.flightId,
          ticketNumber: ticket,
          recordLocator: recordLocator(orderId),
          sequence,
          seatNumber,
          travelDocument: p.document ? pii.encrypt(JSON.stringify(p.document)) : null,
          status: 'CHECKED_IN',
          checkedInAt: p.now,
        })
        .returning();
      await tx
        .insert(boardingPasses)
        .values({ orderId, travelerId: traveler.id, flightId: segment.flightId, bcbp, issuedAt: p.now })
        .onConflictDoUpdate({
          target: [boardingPasses.orderId, boardingPasses.travelerId, boardingPasses.flightId],
          set: { bcbp, issuedAt: p.now },
        });
      await appendEvents(tx, [
        {
          type: 'TravelerCheckedIn',
          aggregateId: orderId,
          occurredAt: p.now,
          payload: {
            order_id: orderId,
            flight_id: segment.flightId,
            traveler_id: traveler.id,
            ticket_number: ticket,
            check_in_sequence: sequence,
            seat_number: seatNumber,
            travel_document: p.document !== null,
          },
        },
      ]);
      return asCoupon(row!, bcbp);
    };

    try {
      if (seat || traveler.ptc === 'INF') {
        return await db.transaction((tx) => write(tx, seat?.seatNumber ?? null));
      }
      return await assignSeatAndWrite(orderId, segment, traveler.id, write);
    } catch (err) {
      if (!(err instanceof AlreadyCheckedIn)) throw err;
      const committed = await existingCheckIn(orderId, traveler.id, segment.flightId);
      if (!committed) throw new DomainError('COUPON_NOT_OPEN', 'this coupon was settled at departure (no-show)');
      return committed;
    }
  }

  /** The coupon's ticket number when it is OPEN; COUPON_NOT_OPEN (409) when refunded, voided or exchanged. */
  async function openTicket(tx: DbOrTx, orderId: string, travelerId: string, flightId: string): Promise<string> {
    const rows = await tx
      .select({ number: tickets.number, flightIds: tickets.flightIds, status: tickets.status })
      .from(tickets)
      .where(and(eq(tickets.orderId, orderId), eq(tickets.travelerId, travelerId), eq(tickets.kind, 'TKT')));
    const onFlight = rows.filter((r) => r.flightIds.includes(flightId));
    const open = onFlight.find((r) => r.status === 'OPEN');
    if (!open) {
      throw new DomainError('COUPON_NOT_OPEN', `traveler ${travelerId} holds no open coupon on this flight`, {
        statuses: onFlight.map((r) => r.status),
      });
    }
    return open.number;
  }

  /**
   * A seat for a traveler who has none, in the cabin sold, taken through the inventory facade (the seat sold to
   * the order in the same transaction as the check-in); a seat another order takes meanwhile → the next one.
   */
  async function assignSeatAndWrite(
    orderId: string,
    segment: OrderSegment,
    travelerId: string,
    write: (tx: DbOrTx, seatNumber: string) => Promise<CheckedInCoupon>,
  ): Promise<CheckedInCoupon> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const free = await db
        .select({ seatNumber: flightSeats.seatNumber })
        .from(flightSeats)
        .where(
          and(
            eq(flightSeats.flightId, segment.flightId),
            eq(flightSeats.cabin, segment.cabin as Cabin),
            eq(flightSeats.blocked, false),
            sql`NOT EXISTS (SELECT 1 FROM seat_assignments a
                            WHERE a.flight_id = ${flightSeats.flightId} AND a.seat_number = ${flightSeats.seatNumber})`,
          ),
        )
        .orderBy(sql`(substring(${flightSeats.seatNumber} from '^[0-9]+'))::int`, asc(flightSeats.seatNumber))
        .limit(1 + attempt);
      const seatNumber = free[attempt]?.seatNumber ?? free[free.length - 1]?.seatNumber;
      if (!seatNumber) throw new DomainError('SEAT_UNAVAILABLE', `no free ${segment.cabin} seat is left to assign`);
      let coupon: CheckedInCoupon | null = null;
      const result = await inventory.moveSoldSeat(
        { ownerId: orderId, flightId: segment.flightId, from: null, to: seatNumber, cabin: segment.cabin as Cabin },
        async (tx) => {
          const ofSeat = matching(seatAssignments, { orderId, flightId: segment.flightId, seatNumber });
          await tx.update(seatAssignments).set({ travelerId }).where(ofSeat);
          // A bundle's seat item without a seat yet names the one assigned.
          await tx
            .update(orderItems)
            .set({ seatNumber })
            .where(
              and(
                eq(orderItems.orderId, orderId),
                eq(orderItems.travelerId, travelerId),
                eq(orderItems.flightId, segment.flightId),
                eq(orderItems.productType, 'Seat'),
                sql`${orderItems.seatNumber} IS NULL`,
              ),
            );
          coupon = await write(tx, seatNumber);
        },
      );
      if (result.ok) return coupon!;
      if (result.reason !== 'TAKEN') {
        throw new DomainError('INVALID_STATE', `no seat could be assigned: ${result.reason}`, {
          seat_number: seatNumber,
        });
      }
    }
    throw new DomainError('SEAT_UNAVAILABLE', 'no seat could be assigned; try again');
  }

  /**
   * A gate scan: reads the BCBP string, finds the checked-in coupon it was issued for (record locator, flight,
   * date, check-in sequence) and boards it once. 422 WRONG_FLIGHT for a pass of another flight or day; 409 for a
   * cancelled, refunded or exchanged ticket (COUPON_NOT_OPEN), a reissued pass (BOARDING_PASS_SUPERSEDED), a
   * traveler not checked in (NOT_CHECKED_IN) or one already boarded (ALREADY_BOARDED).
   */
  async function scan(p: { barcode: string; gateFlightId?: string; now?: Date }) {
    const now = p.now ?? new Date();
    const pass = decodeBcbp(p.barcode);
    const leg = pass.legs[0]!;
    const sameFlight = (f: { carrier: string; flightNumber: string; departureAt: Date }) =>
      f.carrier === leg.carrier &&
      flightNumberOnly(f.carrier, f.flightNumber).replace(/^0+/, '') === leg.flightNumber &&
      julianDay(f.departureAt) === leg.julianDay;

    let flightIds: string[];
    if (p.gateFlightId) {
      const [gate] = await db.select().from(flights).where(eq(flights.id, p.gateFlightId));
      if (!gate) throw new DomainError('NOT_FOUND', `flight ${p.gateFlightId} was not found`);
      if (!sameFlight(gate) || gate.origin !== leg.from) {
        throw new DomainError('WRONG_FLIGHT', 'this boarding pass is for another flight or another day', {
          pass: { carrier: leg.carrier, flight_number: leg.flightNumber, julian_day: leg.julianDay, from: leg.from },
        });
      }
      flightIds = [gate.id];
    } else {
      // No gate flight given: the pass's flight must fly within a day of now (the day of travel).
      const near = await db
        .select()
        .from(flights)
        .where(
          and(
            eq(flights.carrier, leg.carrier),
            eq(flights.origin, leg.from),
            sql`${flights.departureAt} BETWEEN ${new Date(now.getTime() - 86_400_000).toISOString()}::timestamptz
                AND ${new Date(now.getTime() + 86_400_000).toISOString()}::timestamptz`,
          ),
        );
      flightIds = near.filter(sameFlight).map((f) => f.id);
      if (flightIds.length === 0) {
        throw new DomainError('WRONG_FLIGHT', 'this boarding pass is not for a flight of today');
      }
    }

    const sequence = Number(/^\d+/.exec(leg.checkInSequence)?.[0] ?? NaN);
    const [found] = await db
      .select({ id: checkIns.id })
      .from(checkIns)
      .where(
        and(
          eq(checkIns.recordLocator, leg.pnr),
          inArray(checkIns.flightId, flightIds),
          eq(checkIns.sequence, sequence),
        ),
      );
    if (!found) {
      throw new DomainError('NOT_CHECKED_IN', 'no traveler is checked in with this boarding pass', {
        passenger_status: leg.passengerStatus,
      });
    }

    return db.transaction(async (tx) => {
      const [row] = await tx
        .select({ checkIn: checkIns, ticketStatus: tickets.status, orderStatus: orders.status })
        .from(checkIns)
        .innerJoin(tickets, eq(tickets.number, checkIns.ticketNumber))
        .innerJoin(orders, eq(orders.id, checkIns.orderId))
        .where(eq(checkIns.id, found.id))
        .for('update', { of: checkIns });
      const ci = row!.checkIn;
      const status = couponStatus(row!.ticketStatus, ci.status);
      if (row!.orderStatus === 'CANCELLED' || ['REFUNDED', 'VOIDED', 'EXCHANGED'].includes(status)) {
        throw new DomainError('COUPON_NOT_OPEN', `this coupon is ${status}: its ticket is no longer valid`, {
          coupon_status: status,
          order_status: row!.orderStatus,
        });
      }
      const [current] = await tx
        .select({ bcbp: boardingPasses.bcbp })
        .from(boardingPasses)
        .where(matching(boardingPasses, { orderId: ci.orderId, travelerId: ci.travelerId, flightId: ci.flightId }));
      if (current && current.bcbp.trimEnd() !== p.barcode.trimEnd()) {
        throw new DomainError('BOARDING_PASS_SUPERSEDED', 'this boarding pass was reissued: scan the latest one');
      }
      if (status === 'BOARDED' || status === 'FLOWN') {
        throw new DomainError('ALREADY_BOARDED', 'this passenger has already boarded', {
          boarded_at: ci.boardedAt?.toISOString() ?? null,
        });
      }
      if (status !== 'CHECKED_IN') {
        throw new DomainError('COUPON_NOT_OPEN', `this coupon is ${status}`, { coupon_status: status });
      }
      await tx.update(checkIns).set({ status: 'BOARDED', boardedAt: now }).where(eq(checkIns.id, ci.id));
      await appendEvents(tx, [
        {
          type: 'PassengerBoarded',
          aggregateId: ci.orderId,
          occurredAt: now,
          payload: {
            order_id: ci.orderId,
            flight_id: ci.flightId,
            traveler_id: ci.travelerId,
            ticket_number: ci.ticketNumber,
            check_in_sequence: ci.sequence,
            seat_number: ci.seatNumber,
          },
        },
      ]);
      const [t] = await tx.select().from(travelers).where(eq(travelers.id, ci.travelerId));
      return {
        orderId: ci.orderId,
        travelerId: ci.travelerId,
        flightId: ci.flightId,
        name: { first: pii.decrypt(t!.firstName), last: pii.decrypt(t!.lastName) },
        ptc: t!.ptc,
        seatNumber: ci.seatNumber,
        sequence: ci.sequence!,
        ticketNumber: ci.ticketNumber,
        boardedAt: now,
        conditional: decodeBcbpConditional(pass),
      };
    });
  }

  /** Every traveler ticketed on the flight with their coupon's status, seat and check-in sequence, and totals. */
  async function manifest(flightId: string) {
    const [flight] = await db.select().from(flights).where(eq(flights.id, flightId));
    if (!flight) throw new DomainError('NOT_FOUND', `flight ${flightId} was not found`);
    const rows = await db
      .select({ ticket: tickets, traveler: travelers, checkIn: checkIns })
      .from(tickets)
      .innerJoin(travelers, eq(travelers.id, tickets.travelerId))
      .leftJoin(
        checkIns,
        and(
          eq(checkIns.orderId, tickets.orderId),
          eq(checkIns.travelerId, tickets.travelerId),
          eq(checkIns.flightId, flightId),
          eq(checkIns.ticketNumber, tickets.number),
        ),
      )
      .where(and(eq(tickets.kind, 'TKT'), sql`${flightId}::uuid = ANY(${tickets.flightIds})`))
      .orderBy(asc(tickets.orderId), asc(travelers.position));
    const seats = await db
      .select({
        orderId: seatAssignments.orderId,
        travelerId: seatAssignments.travelerId,
        seatNumber: seatAssignments.seatNumber,
      })
      .from(seatAssignments)
      .where(and(eq(seatAssignments.flightId, flightId), eq(seatAssignments.status, 'SOLD')));
    const passengers = rows.map((r) => {
      const status: CouponUseStatus = couponStatus(r.ticket.status, r.checkIn?.status);
      const seat =
        r.checkIn?.seatNumber ??
        seats.find((s) => s.orderId === r.ticket.orderId && s.travelerId === r.traveler.id)?.seatNumber ??
        null;
      return {
        order_id: r.ticket.orderId,
        booking_reference: recordLocator(r.ticket.orderId),
        traveler_id: r.traveler.id,
        passenger_type: r.traveler.ptc,
        name: { first: pii.decrypt(r.traveler.firstName), last: pii.decrypt(r.traveler.lastName) },
        ticket_number: r.ticket.number,
        coupon_status: status,
        seat_number: r.traveler.ptc === 'INF' ? null : seat,
        check_in_sequence: r.checkIn?.sequence ?? null,
        checked_in_at: r.checkIn?.checkedInAt?.toISOString() ?? null,
        boarded_at: r.checkIn?.boardedAt?.toISOString() ?? null,
      };
    });
    const count = (...s: CouponUseStatus[]) => passengers.filter((p) => s.includes(p.coupon_status)).length;
    return {
      flight_id: flight.id,
      carrier: flight.carrier,
      flight_number: flight.flightNumber,
      departure_at: flight.departureAt.toISOString(),
      status: flight.status,
      passengers,
      totals: {
        ticketed: count('OPEN', 'CHECKED_IN', 'BOARDED', 'FLOWN', 'NO_SHOW'),
        not_checked_in: count('OPEN'),
        checked_in: count('CHECKED_IN', 'BOARDED', 'FLOWN'),
        boarded: count('BOARDED', 'FLOWN'),
        flown: count('FLOWN'),
        no_show: count('NO_SHOW'),
      },
    };
  }

  /** The latest boarding pass of a traveler on a flight of the order (the BCBP the barcode image carries). */
  async function boardingPass(orderId: string, travelerId: string, flightId: string): Promise<string> {
    const [row] = await db
      .select({ bcbp: boardingPasses.bcbp })
      .from(boardingPasses)
      .where(matching(boardingPasses, { orderId, travelerId, flightId }));
    if (!row) throw new DomainError('NOT_FOUND', 'no boarding pass for this traveler and flight');
    return row.bcbp;
  }

  return { checkIn, scan, manifest, boardingPass };
}

export type CheckInService = ReturnType<typeof createCheckIn>;

/**
 * The pass a seat change reissues for a traveler already checked in on the flight (services/servicing.ts
 * changeSeat, in its transaction): the same check-in sequence with the new seat, the check-in record following the
 * seat. Null when the traveler has not checked in (the pass is then the fulfilment's kind). The earlier pass is
 * superseded: a gate scan of it answers 409 BOARDING_PASS_SUPERSEDED.
 */
export async function reissueCheckedInPass(
  tx: DbOrTx,
  p: {
    orderId: string;
    travelerId: string;
    ptc: string;
    name: { last: string; first: string };
    segment: OrderSegment;
    seatNumber: string;
    issuer: string;
    at: Date;
  },
): Promise<string | null> {
  const [ci] = await tx
    .select()
    .from(checkIns)
    .where(matching(checkIns, { orderId: p.orderId, travelerId: p.travelerId, flightId: p.segment.flightId }));
  if (!ci || ci.sequence === null || ci.status !== 'CHECKED_IN') return null;
  await tx.update(checkIns).set({ seatNumber: p.seatNumber }).where(eq(checkIns.id, ci.id));
  return checkedInBoardingPassBcbp({
    pnr: ci.recordLocator,
    name: p.name,
    segment: p.segment,
    seat: p.seatNumber,
    checkInSequence: ci.sequence,
    ptc: p.ptc,
    ticketNumber: ci.ticketNumber,
    documentsChecked: ci.travelDocument !== null,
    source: 'W',
    issuer: p.issuer,
    issuedAt: p.at,
  });
}

/**
 * The coupons of a flight once it has departed, in the caller's transaction (the worker's flight-status move to
 * DEPARTED, services/schedule.ts): BOARDED → FLOWN (the coupon is consumed: this is the moment revenue is earned),
 * CHECKED_IN → NO_SHOW, and an OPEN coupon of a ticketed order whose traveler never checked in → NO_SHOW (a row
 * written for it). Idempotent: a settled coupon is never moved again. Returns the coupons moved.
 */
export async function settleCouponsAtDeparture(tx: DbOrTx, flightId: string, at: Date = new Date()) {
  type Settled = { orderId: string; travelerId: string; ticketNumber: string };
  const settledRow = {
    orderId: checkIns.orderId,
    travelerId: checkIns.travelerId,
    ticketNumber: checkIns.ticketNumber,
  };
  // The BOARDED → FLOWN moment: each flown coupon's value is earned in this transaction (services/ledger.ts).
  const flown: Settled[] = await tx
    .update(checkIns)
    .set({ status: 'FLOWN', settledAt: at })
    .where(and(eq(checkIns.flightId, flightId), eq(checkIns.status, 'BOARDED')))
    .returning(settledRow);
  const noShow: Settled[] = await tx
    .update(checkIns)
    .set({ status: 'NO_SHOW', settledAt: at })
    .where(and(eq(checkIns.flightId, flightId), eq(checkIns.status, 'CHECKED_IN')))
    .returning(settledRow);
  const neverCheckedIn: Settled[] = (
    await tx.execute<{ order_id: string; traveler_id: string; ticket_number: string }>(sql`
      SELECT t.order_id, t.traveler_id, t.number AS ticket_number
      FROM tickets t JOIN orders o ON o.id = t.order_id
      WHERE t.kind = 'TKT' AND t.status = 'OPEN' AND ${flightId}::uuid = ANY(t.flight_ids)
        AND o.status IN ('FULFILLED', 'ARCHIVED')
        AND NOT EXISTS (SELECT 1 FROM check_ins c
                        WHERE c.order_id = t.order_id AND c.traveler_id = t.traveler_id AND c.flight_id = ${flightId})`)
  ).map((r) => ({ orderId: r.order_id, travelerId: r.traveler_id, ticketNumber: r.ticket_number }));
  if (neverCheckedIn.length > 0) {
    await tx
      .insert(checkIns)
      .values(
        neverCheckedIn.map((r) => ({
          ...r,
          flightId,
          recordLocator: recordLocator(r.orderId),
          status: 'NO_SHOW' as const,
          settledAt: at,
        })),
      )
      .onConflictDoNothing({ target: [checkIns.orderId, checkIns.travelerId, checkIns.flightId] });
  }
  const noShows = [...noShow, ...neverCheckedIn];
  for (const r of flown) await ledger.postCouponFlown(tx, { orderId: r.orderId, ticketNumber: r.ticketNumber, at });
  for (const r of noShows) await ledger.postCouponNoShow(tx, { orderId: r.orderId, ticketNumber: r.ticketNumber, at });
  const event = (type: string, r: Settled): DomainEvent => ({
    type,
    aggregateId: r.orderId,
    occurredAt: at,
    payload: { order_id: r.orderId, flight_id: flightId, traveler_id: r.travelerId, ticket_number: r.ticketNumber },
  });
  await appendEvents(tx, [
    ...flown.map((r) => event('CouponFlown', r)),
    ...noShows.map((r) => event('CouponNoShow', r)),
  ]);
  return { flown: flown.length, noShow: noShows.length };
}
