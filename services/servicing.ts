/**
 * Servicing a paid order (issue #14, items 3–4): services bought after booking and seat changes. The rules are
 * domain/servicing.ts's (what is sold, limits, EMD codes, refunds) and domain/seat-pricing.ts's (what a seat costs);
 * this store reads the order, charges and refunds through the gateway port (its own idempotency keys per order and
 * servicing attempt), and writes items, EMDs, boarding passes and the outbox event in one transaction. Every write
 * is idempotent: activities are retried. Seats change through the inventory facade (one owner per seat).
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { AppConfig } from '../config';
import type { Database, DbOrTx } from '../db/client';
import {
  boardingPasses,
  flightSeats,
  orderItems,
  orders,
  products,
  seatAssignments,
  tickets,
  travelers,
} from '../db/schema';
import { matching } from '../db/where';
import { DomainError } from '../domain/errors';
import { convert } from '../domain/money';
import type { OrderSegment } from '../domain/order';
import { recordLocator } from '../domain/record-locator';
import { chosenSeatCharge } from '../domain/seat-pricing';
import {
  availableServices,
  emdCodesFor,
  isServiceType,
  priceServiceRequest,
  serviceRefund,
  type AvailableService,
  type PricedServiceLine,
  type ServiceProduct,
  type ServiceRequestLine,
  type ServicingTraveler,
} from '../domain/servicing';
import { formatEmdNumber } from '../domain/tickets';
import { assignRefs } from '../domain/travelers';
import { boardingPassBcbp } from './boarding-pass';
import { reissueCheckedInPass } from './check-in';
import { exchangeRates } from './commercial-settings';
import type { Cabin } from './inventory';
import * as ledger from './ledger';
import { appendEvents, type DomainEvent } from './outbox';
import { chargeAttempt, GatewayRequestError } from './payment-gateway';
import type { OrderServiceDeps } from './orders';
import { orderRow } from './order-row';

/** The product code of a seat chosen and paid for on its own (services/orders.ts uses the same). */
const SEAT_SELECTED = 'SEAT_SELECTED';

/**
 * Servicing charges are numbered apart from the order's payment attempts (1, 2, … while PROPOSED) in the gateway's
 * metadata, so that looking up one never finds the other.
 */
export const SERVICING_ATTEMPT_BASE = 1000;
export const servicingChargeKey = (orderId: string, attempt: number) => `servicing-${orderId}-${attempt}`;

export interface ServicingOutcome {
  status: 'succeeded' | 'failed';
  chargeId: string | null;
  declineCode: string | null;
}

const routeOf = (segments: readonly OrderSegment[]) =>
  segments.length === 0 ? 'UNKNOWN' : [segments[0]!.origin, ...segments.map((s) => s.destination)].join('-');

const event = (type: string, orderId: string, at: Date, payload: Record<string, unknown>): DomainEvent => ({
  type,
  aggregateId: orderId,
  occurredAt: at,
  payload: { order_id: orderId, ...payload },
});

/** The reads behind servicing (the API's available services, and the checks the workflow's activities make). */
export function createServicingReads(deps: { db: Database; config: AppConfig }) {
  const { db, config } = deps;
  const fx = exchangeRates(config.pricing);

  async function orderContext(orderId: string) {
    const order = await orderRow(db, orderId);
    const pax = await db
      .select()
      .from(travelers)
      .where(eq(travelers.orderId, orderId))
      .orderBy(asc(travelers.position));
    // The refs the order was accepted with (ADT1, CHD1, …), in the travelers' order.
    const refs = assignRefs(pax.map((t) => ({ ptc: t.ptc, id: t.id })));
    const party: ServicingTraveler[] = refs.map((t) => ({ id: t.id, ref: t.ref, ptc: t.ptc }));
    const items = await db.select().from(orderItems).where(eq(orderItems.orderId, orderId));
    return { order, pax, party, items, segments: order.offer?.segments ?? [] };
  }

  /** The catalog's products sold after booking, priced in `currency` (through the rate table when listed in another). */
  async function catalog(currency: string): Promise<ServiceProduct[]> {
    const rows = await db.select().from(products).where(eq(products.active, true)).orderBy(asc(products.code));
    return rows.flatMap((r) => {
      if (!isServiceType(r.type)) return [];
      let price: number;
      try {
        price = convert({ amount: r.price, currency: r.currency }, currency, fx).amount;
      } catch {
        return []; // no rate to this currency: not on sale for this order
      }
      return [{ code: r.code, type: r.type, name: r.name, description: r.description, price, per: r.per }];
    });
  }

  /** What a FULFILLED order may buy now, per traveler and segment, with its limits. */
  async function available(orderId: string, now = new Date()) {
    const ctx = await orderContext(orderId);
    if (ctx.order.status !== 'FULFILLED') {
      throw new DomainError('INVALID_STATE', `services are sold on a paid order; this one is ${ctx.order.status}`);
    }
    const productList = await catalog(ctx.order.currency);
    const services = availableServices({
      products: productList,
      travelers: ctx.party,
      segments: ctx.segments.map((s) => ({ flightId: s.flightId, departureAt: s.departureAt })),
      bought: ctx.items.map((i) => ({ productType: i.productType, travelerId: i.travelerId, flightId: i.flightId })),
      now,
    });
    return { ctx, products: productList, services };
  }

  /** A traveler of the order by id or ref (ADT1), or NOT_FOUND. */
  async function travelerIdOf(orderId: string, refOrId: string): Promise<string> {
    const { party } = await orderContext(orderId);
    const t = party.find((x) => x.id === refOrId || x.ref === refOrId);
    if (!t) throw new DomainError('NOT_FOUND', `traveler ${refOrId} is not on this order`);
    return t.id;
  }

  return { orderContext, catalog, available, travelerIdOf };
}

export type ServicingReads = ReturnType<typeof createServicingReads>;

/** Servicing runs on what the order store does (it writes the same orders, seats, payments and tickets). */
export type ServicingDeps = OrderServiceDeps;

export function createServicing(deps: ServicingDeps) {
  const { db, config, gateway, vault, logger, inventory, pii } = deps;
  const reads = createServicingReads(deps);

  async function nextEmdNumbers(tx: DbOrTx, n: number): Promise<string[]> {
    if (n === 0) return [];
    const rows = await tx.execute<{ serial: string }>(
      sql`select nextval('ticket_serial')::text as serial from generate_series(1, ${n})`,
    );
    return rows.map((r) => formatEmdNumber(config.orders.airline_ticket_prefix, BigInt(r.serial)));
  }

  /** The traveler's e-ticket for a flight, which a segment's EMD-A is associated with. */
  async function ticketFor(tx: DbOrTx, orderId: string, travelerId: string, flightId: string) {
    const rows = await tx
      .select({ number: tickets.number, flightIds: tickets.flightIds })
      .from(tickets)
      .where(and(eq(tickets.orderId, orderId), eq(tickets.travelerId, travelerId), eq(tickets.kind, 'TKT')));
    return rows.find((r) => r.flightIds.includes(flightId))?.number ?? null;
  }

  async function recomputeTotal(tx: DbOrTx, orderId: string, at: Date): Promise<number> {
    const [sum] = await tx
      .select({ total: sql<number>`coalesce(sum(${orderItems.amount}), 0)::int` })
      .from(orderItems)
      .where(eq(orderItems.orderId, orderId));
    const total = sum?.total ?? 0;
    await tx
      .update(orders)
      .set({ totalAmount: total, updatedAt: at, version: sql`${orders.version} + 1` })
      .where(eq(orders.id, orderId));
    return total;
  }

  // ---------------------------------------------------------------------------------------------- payment
  /**
   * Charges a servicing amount once: the key is per order and servicing attempt, so a retried activity gets the
   * same charge back. A charge that stays pending (an asynchronous card) is voided and counts as declined; one whose
   * answer timed out is looked up by its attempt and settled by what the provider holds.
   */
  async function charge(p: {
    orderId: string;
    attempt: number;
    amount: number;
    currency: string;
    payment: string;
  }): Promise<ServicingOutcome> {
    const attempt = SERVICING_ATTEMPT_BASE + p.attempt;
    const outcome = await chargeAttempt(
      gateway,
      (ref) => vault.resolve(ref),
      { ...p, attempt },
      {
        idempotencyKey: servicingChargeKey(p.orderId, p.attempt),
        description: `Altis order ${p.orderId} servicing ${p.attempt}`,
      },
    );
    const { status, chargeId, declineCode } = outcome;
    if (status === 'unknown') {
      logger.warn({ order_id: p.orderId, attempt }, 'servicing charge timed out: settling by the provider’s record');
      const found = (await gateway.listCharges(p.orderId)).filter((c) => c.metadata.attempt === String(attempt));
      const paid = found.find((c) => c.status === 'succeeded');
      if (paid) return { status: 'succeeded', chargeId: paid.id, declineCode: null };
      for (const c of found.filter((x) => x.status === 'pending')) await voidOrSettle(c.id);
      return { status: 'failed', chargeId: null, declineCode: 'gateway_timeout' };
    }
    if (status === 'pending') {
      const settled = await voidOrSettle(chargeId!);
      return settled === 'succeeded'
        ? { status: 'succeeded', chargeId, declineCode: null }
        : { status: 'failed', chargeId, declineCode: 'not_settled' };
    }
    return { status, chargeId, declineCode };
  }

  async function voidOrSettle(chargeId: string): Promise<string> {
    try {
      return (await gateway.voidCharge(chargeId)).status;
    } catch (err) {
      if (!(err instanceof GatewayRequestError && err.status === 409)) throw err;
      return (await gateway.getCharge(chargeId))?.status ?? 'failed';
    }
  }

  /** Gives a servicing charge back (the compensation when what it paid for could not be delivered). */
  async function refundCharge(p: { orderId: string; chargeId: string; amount: number; key: string }) {
    const refund = await gateway.refund({ chargeId: p.chargeId, amount: p.amount, idempotencyKey: p.key });
    // What the charge paid for was never issued: its capture and this refund, in the ledger together.
    await db.transaction((tx) =>
      ledger.postRefund(tx, {
        orderId: p.orderId,
        ref: p.key,
        refundId: refund.id,
        amount: refund.amount,
        at: new Date(),
        capture: { chargeId: p.chargeId, amount: p.amount },
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------- services
  /** Checks and prices a request against what the order may buy now (nothing is charged when it fails). */
  async function priceServices(p: { orderId: string; services: ServiceRequestLine[] }) {
    const { ctx, products: list, services } = await reads.available(p.orderId);
    const lines = priceServiceRequest(services, list, ctx.party, p.services);
    const amount = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
    return { lines, amount, currency: ctx.order.currency };
  }

  /**
   * The paid services become order items, one per unit, each on its own EMD (EMD-A, associated with the traveler's
   * ticket, for a segment's service; EMD-S for a per-order one), with the order's total and OrderServicesAdded in
   * one transaction. Idempotent by the servicing attempt: a retry returns what the first call issued.
   */
  async function issueServices(p: {
    orderId: string;
    attempt: number;
    chargeId: string | null;
    lines: PricedServiceLine[];
    at: string;
  }) {
    const at = new Date(p.at);
    const issuedOf = async (tx: DbOrTx) => {
      const rows = await tx
        .select({ item: orderItems, emd: tickets })
        .from(orderItems)
        .leftJoin(tickets, eq(tickets.orderItemId, orderItems.id))
        .where(
          and(
            eq(orderItems.orderId, p.orderId),
            sql`${orderItems.details}->>'servicing_attempt' = ${String(p.attempt)}`,
          ),
        );
      return rows.map(({ item, emd }) => ({
        order_item_id: item.id,
        id: item.productCode!,
        type: item.productType,
        traveler_id: item.travelerId!,
        segment_id: item.flightId,
        price: { amount: item.amount, currency: item.currency },
        emd: emd
          ? {
              number: emd.number,
              type: emd.emdType!,
              rfic: emd.rfic!,
              rfisc: emd.rfisc!,
              associated_ticket: emd.associatedTicket,
            }
          : null,
      }));
    };
    return db.transaction(async (tx) => {
      // One servicing write per order at a time, and a retry sees the first one's rows.
      const [order] = await tx.select().from(orders).where(eq(orders.id, p.orderId)).for('update');
      if (!order) throw new DomainError('NOT_FOUND', `order ${p.orderId} was not found`);
      const done = await issuedOf(tx);
      if (done.length > 0) return { services: done, total: order.totalAmount };
      const units = p.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l));
      const numbers = await nextEmdNumbers(tx, units.length);
      for (const [n, unit] of units.entries()) {
        const segment = order.offer?.segments.find((s) => s.flightId === unit.flightId);
        const [item] = await tx
          .insert(orderItems)
          .values({
            orderId: p.orderId,
            productType: unit.productType,
            productCode: unit.productCode,
            flightId: unit.flightId,
            travelerId: unit.travelerId,
            cabin: segment?.cabin ?? null,
            amount: unit.unitPrice,
            currency: order.currency,
            details: { servicing_attempt: String(p.attempt), charge_id: p.chargeId, after_booking: true },
          })
          .returning({ id: orderItems.id });
        const associated = unit.flightId ? await ticketFor(tx, p.orderId, unit.travelerId, unit.flightId) : null;
        await tx.insert(tickets).values({
          number: numbers[n]!,
          kind: 'EMD',
          orderId: p.orderId,
          travelerId: unit.travelerId,
          flightIds: unit.flightId ? [unit.flightId] : [],
          orderItemId: item!.id,
          emdType: associated ? 'EMD-A' : 'EMD-S',
          ...emdCodesFor(unit.productCode, unit.productType),
          associatedTicket: associated,
          issuedAt: at,
        });
      }
      const total = await recomputeTotal(tx, p.orderId, at);
      const services = await issuedOf(tx);
      const amount = units.reduce((sum, u) => sum + u.unitPrice, 0);
      await ledger.postDocumentsIssued(tx, {
        orderId: p.orderId,
        key: `issue:${p.orderId}:servicing-${p.attempt}`,
        at,
        documents: numbers,
        ...(p.chargeId ? { capture: { chargeId: p.chargeId, amount } } : {}),
      });
      await appendEvents(tx, [
        event('OrderServicesAdded', p.orderId, at, {
          route: routeOf(order.offer?.segments ?? []),
          charge_id: p.chargeId,
          amount: { amount, currency: order.currency },
          services: services.map((s) => ({
            order_item_id: s.order_item_id,
            product_code: s.id,
            product_type: s.type,
            traveler_id: s.traveler_id,
            flight_id: s.segment_id,
            amount: s.price,
            emd: s.emd?.number ?? null,
          })),
        }),
      ]);
      return { services, total };
    });
  }

  /**
   * Removes a service bought after booking, unused: refunds it by its type's rule (domain/servicing.ts
   * serviceRefund; NOT_REFUNDABLE when the rule gives nothing back now, and then nothing changes), voids its EMD
   * and drops the item, in one transaction with OrderServiceRemoved. The refund's key is the item's, so a retried
   * activity refunds once.
   */
  async function removeService(p: { orderId: string; orderItemId: string; at: string }) {
    const at = new Date(p.at);
    const [item] = await db
      .select()
      .from(orderItems)
      .where(and(eq(orderItems.orderId, p.orderId), eq(orderItems.id, p.orderItemId)));
    const order = await orderRow(db, p.orderId);
    if (!item) {
      // Removed already (a retry after the write): answer as the first call did.
      const [voided] = await db
        .select({ number: tickets.number })
        .from(tickets)
        .where(and(eq(tickets.orderItemId, p.orderItemId), eq(tickets.orderId, p.orderId)));
      if (voided) return { order_item_id: p.orderItemId, emd: voided.number, refund: null, total: order.totalAmount };
      throw new DomainError('NOT_FOUND', `service ${p.orderItemId} is not on this order`);
    }
    const details = (item.details ?? {}) as { after_booking?: boolean; charge_id?: string | null };
    if (!details.after_booking || !isServiceType(item.productType)) {
      throw new DomainError('NOT_REFUNDABLE', `item ${item.id} was sold with the order; it is refunded only with it`, {
        order_item_id: item.id,
      });
    }
    const segments = order.offer?.segments ?? [];
    const departureAt = (item.flightId ? segments.find((s) => s.flightId === item.flightId) : segments[0])!.departureAt;
    const due = serviceRefund({ type: item.productType, amount: item.amount, departureAt, now: at });
    if (!due.refundable) {
      throw new DomainError(
        'NOT_REFUNDABLE',
        due.rule.kind === 'NEVER'
          ? `${item.productType} is never refunded once bought`
          : `${item.productType} is refunded until ${due.rule.hours_before} h before departure (${due.refundable_until})`,
        { order_item_id: item.id, rule: due.rule, refundable_until: due.refundable_until },
      );
    }
    if (due.amount > 0 && details.charge_id) {
      // At the provider only: the removal's own posting (below) records this refund.
      await gateway.refund({
        chargeId: details.charge_id,
        amount: due.amount,
        idempotencyKey: `service-refund-${item.id}`,
      });
    }
    return db.transaction(async (tx) => {
      const [emd] = await tx
        .update(tickets)
        .set({ voidedAt: at })
        .where(and(eq(tickets.orderItemId, item.id), isNull(tickets.voidedAt)))
        .returning({ number: tickets.number });
      await tx.delete(orderItems).where(eq(orderItems.id, item.id));
      const total = await recomputeTotal(tx, p.orderId, at);
      const refund = { amount: due.amount, currency: item.currency };
      const refunded = due.amount > 0 && details.charge_id ? refund : null;
      await ledger.postServiceRemoved(tx, {
        orderId: p.orderId,
        orderItemId: item.id,
        emd: emd?.number ?? null,
        refund: refunded,
        at,
      });
      await appendEvents(tx, [
        event('OrderServiceRemoved', p.orderId, at, {
          route: routeOf(segments),
          order_item_id: item.id,
          product_code: item.productCode,
          product_type: item.productType,
          traveler_id: item.travelerId,
          flight_id: item.flightId,
          emd: emd?.number ?? null,
          refund,
          rule: due.rule,
        }),
      ]);
      return { order_item_id: item.id, emd: emd?.number ?? null, refund, total };
    });
  }

  // ---------------------------------------------------------------------------------------------- seats
  /**
   * What a paid order's seat change costs: the seat-map price, less what the traveler already has for a seat on
   * that flight (a bundle's seat covers up to its list price; a seat paid after booking covers what was paid).
   * Refuses a seat of another cabin (CABIN_MISMATCH), a taken one (SEAT_UNAVAILABLE), an infant's, a departed flight.
   */
  async function priceSeatChange(p: { orderId: string; travelerId: string; flightId: string; seatNumber: string }) {
    const ctx = await reads.orderContext(p.orderId);
    if (ctx.order.status !== 'FULFILLED') {
      throw new DomainError('INVALID_STATE', `an order in state ${ctx.order.status} cannot change seats this way`);
    }
    const segment = ctx.segments.find((s) => s.flightId === p.flightId);
    if (!segment) throw new DomainError('VALIDATION_FAILED', `flight ${p.flightId} is not part of this order`);
    if (Date.parse(segment.departureAt) <= Date.now()) {
      throw new DomainError('FLIGHT_DEPARTED', `flight ${p.flightId} has departed`);
    }
    const traveler = ctx.party.find((t) => t.id === p.travelerId);
    if (!traveler) throw new DomainError('NOT_FOUND', `traveler ${p.travelerId} is not on this order`);
    if (traveler.ptc === 'INF') {
      throw new DomainError('VALIDATION_FAILED', 'an infant travels on an adult’s lap and has no seat of its own');
    }
    const [seat] = await db
      .select({ cabin: flightSeats.cabin, price: flightSeats.price, blocked: flightSeats.blocked })
      .from(flightSeats)
      .where(and(eq(flightSeats.flightId, p.flightId), eq(flightSeats.seatNumber, p.seatNumber)));
    if (!seat) throw new DomainError('NOT_FOUND', `flight ${p.flightId} has no seat ${p.seatNumber}`);
    if (seat.blocked) throw new DomainError('VALIDATION_FAILED', `seat ${p.seatNumber} cannot be sold`);
    if (seat.cabin !== segment.cabin) {
      throw new DomainError(
        'CABIN_MISMATCH',
        `seat ${p.seatNumber} is in ${seat.cabin}; this order was sold ${segment.cabin} on flight ${p.flightId}`,
        { flight_id: p.flightId, seat_number: p.seatNumber, seat_cabin: seat.cabin, order_cabin: segment.cabin },
      );
    }
    const [current] = await db
      .select({ seat: seatAssignments.seatNumber })
      .from(seatAssignments)
      .where(matching(seatAssignments, { orderId: p.orderId, flightId: p.flightId, travelerId: p.travelerId }));
    if (current?.seat === p.seatNumber) {
      return { amount: 0, currency: ctx.order.currency, from: current.seat, unchanged: true, cabin: segment.cabin };
    }
    const [owner] = await db
      .select({ orderId: seatAssignments.orderId })
      .from(seatAssignments)
      .where(and(eq(seatAssignments.flightId, p.flightId), eq(seatAssignments.seatNumber, p.seatNumber)));
    if (owner) throw new DomainError('SEAT_UNAVAILABLE', `seat ${p.seatNumber} is not available`);
    const seatItems = ctx.items.filter(
      (i) => i.productType === 'Seat' && i.travelerId === p.travelerId && i.flightId === p.flightId,
    );
    let coveredUpTo: number | null = null;
    for (const i of seatItems) {
      let covers = i.amount;
      if (i.productCode && i.productCode !== SEAT_SELECTED) {
        const [product] = await db
          .select({ price: products.price, currency: products.currency })
          .from(products)
          .where(eq(products.code, i.productCode));
        covers = product && product.currency === ctx.order.currency ? product.price : Number.MAX_SAFE_INTEGER;
      }
      // What the traveler holds for a seat here adds up: a bundle's seat and what each paid change paid.
      coveredUpTo = Math.min((coveredUpTo ?? 0) + covers, Number.MAX_SAFE_INTEGER);
    }
    return {
      amount: chosenSeatCharge(seat.price, coveredUpTo),
      currency: ctx.order.currency,
      from: current?.seat ?? null,
      unchanged: false,
      cabin: segment.cabin,
    };
  }

  /**
   * Moves the traveler to the new seat (inventory facade: the new seat sold and the old one freed in one
   * transaction), with the seat item (a charged one on an EMD-A), the reissued boarding pass, the order's total and
   * SeatChanged in that same transaction. Idempotent: a traveler already in the seat is a retried write.
   */
  async function changeSeat(p: {
    orderId: string;
    travelerId: string;
    flightId: string;
    seatNumber: string;
    attempt: number | null;
    chargeId: string | null;
    amount: number;
    at: string;
  }) {
    const at = new Date(p.at);
    const ctx = await reads.orderContext(p.orderId);
    const segment = ctx.segments.find((s) => s.flightId === p.flightId)!;
    const ofTraveler = matching(seatAssignments, {
      orderId: p.orderId,
      flightId: p.flightId,
      travelerId: p.travelerId,
    });
    const [current] = await db.select({ seat: seatAssignments.seatNumber }).from(seatAssignments).where(ofTraveler);
    if (current?.seat === p.seatNumber) return { totalAmount: ctx.order.totalAmount, seatNumber: p.seatNumber };
    const traveler = ctx.pax.find((t) => t.id === p.travelerId)!;
    const position = ctx.pax.indexOf(traveler);
    let totalAmount = ctx.order.totalAmount;
    const result = await inventory.moveSoldSeat(
      {
        ownerId: p.orderId,
        flightId: p.flightId,
        from: current?.seat ?? null,
        to: p.seatNumber,
        cabin: segment.cabin as Cabin,
      },
      async (tx) => {
        await tx
          .update(seatAssignments)
          .set({ travelerId: p.travelerId })
          .where(matching(seatAssignments, { orderId: p.orderId, flightId: p.flightId, seatNumber: p.seatNumber }));
        const seatItems = matching(orderItems, {
          orderId: p.orderId,
          travelerId: p.travelerId,
          flightId: p.flightId,
          productType: 'Seat',
        });
        await tx.update(orderItems).set({ seatNumber: p.seatNumber }).where(seatItems);
        if (p.amount > 0) {
          const [item] = await tx
            .insert(orderItems)
            .values({
              orderId: p.orderId,
              productType: 'Seat',
              productCode: SEAT_SELECTED,
              flightId: p.flightId,
              travelerId: p.travelerId,
              cabin: segment.cabin,
              seatNumber: p.seatNumber,
              amount: p.amount,
              currency: ctx.order.currency,
              details: {
                servicing_attempt: String(p.attempt),
                charge_id: p.chargeId,
                after_booking: true,
                changed_from: current?.seat ?? null,
              },
            })
            .returning({ id: orderItems.id });
          const [number] = await nextEmdNumbers(tx, 1);
          const associated = await ticketFor(tx, p.orderId, p.travelerId, p.flightId);
          await tx.insert(tickets).values({
            number: number!,
            kind: 'EMD',
            orderId: p.orderId,
            travelerId: p.travelerId,
            flightIds: [p.flightId],
            orderItemId: item!.id,
            emdType: associated ? 'EMD-A' : 'EMD-S',
            ...emdCodesFor(SEAT_SELECTED, 'Seat'),
            associatedTicket: associated,
            issuedAt: at,
          });
          await ledger.postDocumentsIssued(tx, {
            orderId: p.orderId,
            key: `issue:${p.orderId}:seat-${item!.id}`,
            at,
            documents: [number!],
            ...(p.chargeId ? { capture: { chargeId: p.chargeId, amount: p.amount } } : {}),
          });
        }
        // The boarding pass is reissued with the new seat (a checked-in traveler's keeps its check-in sequence).
        const name = { last: pii.decrypt(traveler.lastName), first: pii.decrypt(traveler.firstName) };
        const bcbp =
          (await reissueCheckedInPass(tx, {
            orderId: p.orderId,
            travelerId: p.travelerId,
            ptc: traveler.ptc,
            name,
            segment,
            seatNumber: p.seatNumber,
            issuer: config.orders.airline_designator,
            at,
          })) ??
          boardingPassBcbp({
            pnr: recordLocator(p.orderId),
            name,
            segment,
            seat: p.seatNumber,
            checkInSequence: position + 1,
          });
        await tx
          .insert(boardingPasses)
          .values({ orderId: p.orderId, travelerId: p.travelerId, flightId: p.flightId, bcbp, issuedAt: at })
          .onConflictDoUpdate({
            target: [boardingPasses.orderId, boardingPasses.travelerId, boardingPasses.flightId],
            set: { bcbp, issuedAt: at },
          });
        totalAmount = await recomputeTotal(tx, p.orderId, at);
        await appendEvents(tx, [
          event('SeatChanged', p.orderId, at, {
            route: routeOf(ctx.segments),
            flight_id: p.flightId,
            traveler_id: p.travelerId,
            from_seat: current?.seat ?? null,
            to_seat: p.seatNumber,
            amount: { amount: p.amount, currency: ctx.order.currency },
            charge_id: p.chargeId,
          }),
        ]);
      },
    );
    if (!result.ok) {
      switch (result.reason) {
        case 'TAKEN':
          throw new DomainError('SEAT_UNAVAILABLE', `seat ${p.seatNumber} is not available`);
        case 'CABIN_MISMATCH':
          throw new DomainError('CABIN_MISMATCH', `seat ${p.seatNumber} is in ${result.seatCabin}`, {
            flight_id: p.flightId,
            seat_number: p.seatNumber,
            seat_cabin: result.seatCabin,
            order_cabin: segment.cabin,
          });
        case 'NOT_HELD':
          throw new DomainError('INVALID_STATE', `this order has no ${segment.cabin} seats sold on ${p.flightId}`);
        default:
          throw new DomainError('VALIDATION_FAILED', `seat ${p.seatNumber} cannot be sold`);
      }
    }
    return { totalAmount, seatNumber: p.seatNumber };
  }

  /** The EMDs of an order, for reads that need them by item. */
  async function emdsOf(orderId: string, itemIds: string[]) {
    if (itemIds.length === 0) return [];
    return db
      .select()
      .from(tickets)
      .where(and(eq(tickets.orderId, orderId), inArray(tickets.orderItemId, itemIds)));
  }

  return {
    reads,
    charge,
    refundCharge,
    priceServices,
    issueServices,
    removeService,
    priceSeatChange,
    changeSeat,
    emdsOf,
  };
}

export type Servicing = ReturnType<typeof createServicing>;
export type { AvailableService };
