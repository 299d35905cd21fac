import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { AppConfig } from '../config';
import type { Database, DbOrTx } from '../db/client';
import { boardingPasses, orderItems, orders, payments, seatAssignments, tickets, travelers } from '../db/schema';
import { encodeBcbp } from '../domain/bcbp';
import { DomainError } from '../domain/errors';
import type { OrderStatus } from '../domain/order';
import { ticketDocumentsFor } from '../domain/tickets';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger';
import type { PiiCipher } from '../lib/pii';
import type { OrderSegment, OrderWorkflowInput } from '../workflows/messages';
import type { Inventory, Cabin } from '../services/inventory';
import { insertParty } from '../services/order-party';
import { appendEvents, type DomainEvent } from '../services/outbox';
import {
  chargeIdempotencyKey,
  GatewayRequestError,
  GatewayTimeoutError,
  type PaymentGateway,
} from '../services/payment-gateway';

export interface OrderActivityDeps {
  config: AppConfig;
  logger: Logger;
  db: Database;
  redis: Redis;
  inventory: Inventory;
  gateway: PaymentGateway;
  pii: PiiCipher;
}

export interface ChargeOutcome {
  status: 'succeeded' | 'failed' | 'pending' | 'unknown';
  chargeId: string | null;
  declineCode: string | null;
}

/** Seats to hold per segment: every traveler but infants, who fly on a lap. */
export function holdItems(input: Pick<OrderWorkflowInput, 'segments' | 'travelers' | 'seatCount'>) {
  const seated = input.seatCount ?? input.travelers.filter((t) => t.ptc !== 'INF').length;
  return input.segments.map((s) => ({ flightId: s.flightId, cabin: s.cabin as Cabin, quantity: seated }));
}

/** A six-character record locator derived from the order id (shown on boarding passes). */
export function recordLocator(orderId: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const digest = createHash('sha256').update(orderId).digest();
  return Array.from(digest.subarray(0, 6), (b) => alphabet[b % alphabet.length]).join('');
}

const COMPARTMENT: Record<string, string> = { FIRST: 'F', BUSINESS: 'J', PREMIUM_ECONOMY: 'W', ECONOMY: 'Y' };

/** Domain errors leave an activity as non-retryable failures whose type is the error code. */
function asFailure(err: unknown): unknown {
  if (err instanceof DomainError) {
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      details: [err.details],
      nonRetryable: true,
    });
  }
  return err;
}

/** Wraps every activity so that a DomainError (bad data, a broken rule) is not retried forever. */
export function nonRetryableDomainErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(acts: T): T {
  return Object.fromEntries(
    Object.entries(acts).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          throw asFailure(err);
        }
      },
    ]),
  ) as T;
}

/**
 * Moves an order from one of `from` to `to` inside the transaction. Returns false when the order is already in
 * `to` (a retried activity: nothing more to do); any other state is a non-retryable INVALID_STATE.
 */
async function transition(tx: DbOrTx, orderId: string, from: OrderStatus[], to: OrderStatus, at: Date) {
  const updated = await tx
    .update(orders)
    .set({ status: to, updatedAt: at, version: sql`${orders.version} + 1` })
    .where(and(eq(orders.id, orderId), inArray(orders.status, from)))
    .returning({ id: orders.id });
  if (updated.length > 0) return true;
  const [row] = await tx.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
  if (row?.status === to) return false;
  throw ApplicationFailure.create({
    type: 'INVALID_STATE',
    message: `order ${orderId} is ${row?.status ?? 'missing'}, expected one of ${from.join(', ')} before ${to}`,
    nonRetryable: true,
  });
}

/** Rolls an inventory step back when its order was already moved (see transitionWith). */
class AlreadyDone extends Error {}

const event = (type: string, orderId: string, at: Date, payload: Record<string, unknown> = {}): DomainEvent => ({
  type,
  aggregateId: orderId,
  occurredAt: at,
  payload: { order_id: orderId, ...payload },
});

export function createOrderActivities(deps: OrderActivityDeps) {
  return nonRetryableDomainErrors(orderActivities(deps));
}

function orderActivities(deps: OrderActivityDeps) {
  const { db, inventory, gateway, pii, config, logger } = deps;

  /** Transition plus its events, in one transaction; the events are written only when the state changed. */
  async function recordTransition(
    orderId: string,
    from: OrderStatus[],
    to: OrderStatus,
    at: Date,
    events: DomainEvent[],
    extra?: (tx: DbOrTx) => Promise<void>,
  ) {
    return db.transaction(async (tx) => {
      const changed = await transition(tx, orderId, from, to, at);
      if (changed) {
        if (extra) await extra(tx);
        await appendEvents(tx, events);
      }
      return changed;
    });
  }

  /**
   * The transition plus its events as the `inTx` of an inventory step (hold rows and order in one transaction).
   * A retry that finds the order already moved rolls the step back and returns false, as recordTransition does.
   */
  async function transitionWith(
    step: (inTx: (tx: DbOrTx) => Promise<void>) => Promise<unknown>,
    orderId: string,
    from: OrderStatus[],
    to: OrderStatus,
    at: Date,
    events: DomainEvent[],
    extra?: (tx: DbOrTx) => Promise<void>,
  ) {
    try {
      await step(async (tx) => {
        if (!(await transition(tx, orderId, from, to, at))) throw new AlreadyDone();
        if (extra) await extra(tx);
        await appendEvents(tx, events);
      });
      return true;
    } catch (err) {
      if (err instanceof AlreadyDone) return false;
      throw err;
    }
  }

  return {
    /**
     * The first activity: holds seats on every segment for every seated traveler (all or nothing) and records
     * the order as PROPOSED with its travelers and items, in one transaction with OrderProposed. Idempotent.
     */
    async proposeOrder(input: OrderWorkflowInput, expiresAt: string): Promise<{ created: boolean }> {
      const [existing] = await db.select({ id: orders.id }).from(orders).where(eq(orders.id, input.orderId));
      if (existing) return { created: false };
      const items = holdItems(input);
      const at = new Date();
      await inventory.hold(input.orderId, items, async (tx) => {
        await tx.insert(orders).values({
          id: input.orderId,
          offerId: input.offerId,
          customerId: input.customerId,
          source: input.source,
          status: 'PROPOSED',
          currency: input.currency,
          totalAmount: input.totalAmount,
          expiresAt: new Date(expiresAt),
          contact: input.contact,
          offer: { segments: input.segments, fares: input.fares ?? null },
          createdAt: at,
          updatedAt: at,
        });
        await insertParty(tx, input.orderId, input.travelers, input.items, input.segments);
        const events = [
          event('OrderProposed', input.orderId, at, {
            customer_id: input.customerId,
            source: input.source,
            offer_id: input.offerId,
            total: { amount: input.totalAmount, currency: input.currency },
            expires_at: expiresAt,
            segments: input.segments.map((s) => ({ flight_id: s.flightId, cabin: s.cabin })),
            travelers: input.travelers.map((t) => ({ ref: t.ref, ptc: t.ptc })),
          }),
        ];
        if (input.offerId) {
          events.unshift(event('OfferAccepted', input.orderId, at, { offer_id: input.offerId }));
        }
        await appendEvents(tx, events);
      });
      return { created: true };
    },

    /** PROPOSED → PAYMENT_PENDING (the lock-in) with the payment attempt recorded. */
    async markPaymentStarted(p: { orderId: string; attempt: number; amount: number; currency: string; at: string }) {
      const at = new Date(p.at);
      await recordTransition(
        p.orderId,
        ['PROPOSED'],
        'PAYMENT_PENDING',
        at,
        [
          event('PaymentStarted', p.orderId, at, {
            attempt: p.attempt,
            amount: { amount: p.amount, currency: p.currency },
          }),
        ],
        async (tx) => {
          await tx
            .insert(payments)
            .values({
              orderId: p.orderId,
              attempt: p.attempt,
              status: 'PENDING',
              amount: p.amount,
              currency: p.currency,
            })
            .onConflictDoNothing();
        },
      );
    },

    /** Charges through the gateway with the attempt's idempotency key, so a retry never charges twice. */
    async chargePayment(p: {
      orderId: string;
      attempt: number;
      amount: number;
      currency: string;
      paymentToken: string;
    }): Promise<ChargeOutcome> {
      let outcome: ChargeOutcome;
      try {
        const result = await gateway.charge({
          orderId: p.orderId,
          attempt: p.attempt,
          amount: p.amount,
          currency: p.currency,
          paymentToken: p.paymentToken,
          idempotencyKey: chargeIdempotencyKey(p.orderId, p.attempt),
          description: `Altis order ${p.orderId}`,
        });
        outcome = { status: result.status, chargeId: result.chargeId, declineCode: result.declineCode ?? null };
      } catch (err) {
        if (err instanceof GatewayTimeoutError) {
          logger.warn({ order_id: p.orderId, attempt: p.attempt }, 'payment gateway timed out: outcome unknown');
          outcome = { status: 'unknown', chargeId: null, declineCode: null };
        } else if (err instanceof GatewayRequestError) {
          // The provider refused the request itself (e.g. an unknown token): a decline, not a retry.
          outcome = { status: 'failed', chargeId: null, declineCode: err.code };
        } else {
          throw err;
        }
      }
      const status = { succeeded: 'SUCCEEDED', failed: 'FAILED', pending: 'PENDING', unknown: 'PENDING' } as const;
      await db
        .update(payments)
        .set({
          chargeId: outcome.chargeId,
          status: status[outcome.status],
          declineCode: outcome.declineCode,
          updatedAt: new Date(),
        })
        .where(and(eq(payments.orderId, p.orderId), eq(payments.attempt, p.attempt)));
      return outcome;
    },

    /**
     * Gives up on a payment with no outcome: voids whatever the provider holds for this attempt. A charge that
     * succeeded meanwhile wins (reported back as succeeded, never voided).
     */
    async voidPayment(p: { orderId: string; attempt: number; chargeId: string | null }): Promise<ChargeOutcome> {
      const charges = (await gateway.listCharges(p.orderId)).filter(
        (c) => c.id === p.chargeId || c.metadata.attempt === String(p.attempt),
      );
      const succeeded = charges.find((c) => c.status === 'succeeded');
      if (succeeded) return { status: 'succeeded', chargeId: succeeded.id, declineCode: null };
      for (const c of charges.filter((c) => c.status === 'pending')) {
        try {
          await gateway.voidCharge(c.id);
        } catch (err) {
          if (err instanceof GatewayRequestError && err.status === 409) {
            return { status: 'succeeded', chargeId: c.id, declineCode: null };
          }
          throw err;
        }
      }
      await db
        .update(payments)
        .set({ status: 'VOIDED', updatedAt: new Date() })
        .where(and(eq(payments.orderId, p.orderId), eq(payments.attempt, p.attempt)));
      return { status: 'failed', chargeId: charges[0]?.id ?? p.chargeId, declineCode: 'payment_timeout' };
    },

    /** PAYMENT_PENDING → PAID: the held seats become sold, with OrderPaid. */
    async markPaid(p: { orderId: string; attempt: number; chargeId: string; at: string }) {
      const at = new Date(p.at);
      return transitionWith(
        (inTx) => inventory.sell(p.orderId, inTx),
        p.orderId,
        ['PAYMENT_PENDING'],
        'PAID',
        at,
        [event('OrderPaid', p.orderId, at, { attempt: p.attempt, charge_id: p.chargeId })],
        async (tx) => {
          await tx
            .update(payments)
            .set({ status: 'SUCCEEDED', chargeId: p.chargeId, updatedAt: at })
            .where(and(eq(payments.orderId, p.orderId), eq(payments.attempt, p.attempt)));
        },
      );
    },

    /** A declined payment: back to PROPOSED while hold time remains (PaymentFailed). */
    async markPaymentFailed(p: { orderId: string; attempt: number; declineCode: string | null; at: string }) {
      const at = new Date(p.at);
      await recordTransition(p.orderId, ['PAYMENT_PENDING'], 'PROPOSED', at, [
        event('PaymentFailed', p.orderId, at, { attempt: p.attempt, decline_code: p.declineCode }),
      ]);
    },

    /** The hold ran out: EXPIRED, seats and seat locks released, with OrderExpired. */
    async expireOrder(p: { orderId: string; at: string }) {
      const at = new Date(p.at);
      await transitionWith(
        (inTx) => inventory.release(p.orderId, inTx),
        p.orderId,
        ['PROPOSED', 'PAYMENT_PENDING'],
        'EXPIRED',
        at,
        [event('OrderExpired', p.orderId, at)],
      );
    },

    /** Cancels: before payment releases; after payment refunds first (the compensation), then releases. */
    async cancelOrder(p: {
      orderId: string;
      at: string;
      reason: string;
      refund: { chargeId: string; amount: number; currency: string } | null;
    }) {
      const at = new Date(p.at);
      let refundId: string | null = null;
      if (p.refund) {
        const refund = await gateway.refund({ chargeId: p.refund.chargeId, idempotencyKey: `refund-${p.orderId}` });
        refundId = refund.id;
      }
      const events = [event('OrderCancelled', p.orderId, at, { reason: p.reason })];
      if (p.refund) {
        events.push(
          event('RefundIssued', p.orderId, at, {
            refund_id: refundId,
            charge_id: p.refund.chargeId,
            amount: { amount: p.refund.amount, currency: p.refund.currency },
          }),
        );
      }
      await transitionWith(
        (inTx) => inventory.release(p.orderId, inTx),
        p.orderId,
        ['PROPOSED', 'PAYMENT_PENDING', 'PAID', 'FULFILLED'],
        'CANCELLED',
        at,
        events,
        async (tx) => {
          if (p.refund) {
            await tx
              .update(payments)
              .set({ status: 'REFUNDED', refundId, updatedAt: at })
              .where(and(eq(payments.orderId, p.orderId), eq(payments.chargeId, p.refund.chargeId)));
          }
        },
      );
      return { refundId };
    },

    /**
     * PAID → FULFILLED: one 13-digit e-ticket per traveler per flight, an EMD per ancillary, and a BCBP
     * boarding pass per traveler per flight. Idempotent: a retry finds the documents already issued.
     */
    async fulfilOrder(p: { orderId: string; segments: OrderSegment[]; at: string }) {
      const at = new Date(p.at);
      const already = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(tickets)
        .where(eq(tickets.orderId, p.orderId));
      if ((already[0]?.n ?? 0) === 0) {
        const pax = await db
          .select()
          .from(travelers)
          .where(eq(travelers.orderId, p.orderId))
          .orderBy(asc(travelers.position));
        const items = await db.select().from(orderItems).where(eq(orderItems.orderId, p.orderId));
        const ancillaries = items.filter((i) => i.productType !== 'Flight' && i.travelerId !== null);
        const count = pax.length * p.segments.length + ancillaries.length;
        const serials = await db.execute<{ serial: string }>(
          sql`select nextval('ticket_serial')::text as serial from generate_series(1, ${count})`,
        );
        const queue = serials.map((r) => BigInt(r.serial));
        const docs = ticketDocumentsFor({
          prefix: config.orders.airline_ticket_prefix,
          travelers: pax.map((t) => ({ id: t.id, ptc: t.ptc })),
          segments: p.segments.map((s) => ({ id: s.flightId })),
          ancillaries: ancillaries.map((a) => ({
            id: a.id,
            traveler_id: a.travelerId!,
            segment_id: a.flightId,
            product_type: a.productType,
            rfic: 'A',
            rfisc: '0CC',
          })),
          nextSerial: () => queue.shift()!,
        });
        const seats = await db
          .select({
            flightId: seatAssignments.flightId,
            seat: seatAssignments.seatNumber,
            travelerId: seatAssignments.travelerId,
          })
          .from(seatAssignments)
          .where(eq(seatAssignments.orderId, p.orderId));
        const pnr = recordLocator(p.orderId);
        const passes = pax.flatMap((t, index) => {
          const name = { last: pii.decrypt(t.lastName), first: pii.decrypt(t.firstName) };
          return p.segments.map((s) => ({
            orderId: p.orderId,
            travelerId: t.id,
            flightId: s.flightId,
            bcbp: encodeBcbp({
              passengerName: name,
              electronicTicket: true,
              legs: [
                {
                  pnr,
                  from: s.origin,
                  to: s.destination,
                  carrier: s.carrier,
                  flightNumber: s.flightNumber.replace(/^[A-Z]{2}/, ''),
                  flightDate: new Date(s.departureAt),
                  compartment: COMPARTMENT[s.cabin] ?? 'Y',
                  seat: seats.find((x) => x.flightId === s.flightId && x.travelerId === t.id)?.seat ?? null,
                  checkInSequence: index + 1,
                  passengerStatus: '0',
                },
              ],
            }),
          }));
        });
        await db.transaction(async (tx) => {
          const changed = await transition(tx, p.orderId, ['PAID'], 'FULFILLED', at);
          if (!changed) return;
          await tx.insert(tickets).values([
            ...docs.tickets.map((d) => ({
              number: d.number,
              kind: 'TKT' as const,
              orderId: p.orderId,
              travelerId: d.traveler_id,
              flightIds: d.segment_ids,
            })),
            ...docs.emds.map((d) => ({
              number: d.number,
              kind: 'EMD' as const,
              orderId: p.orderId,
              travelerId: d.traveler_id,
              flightIds: d.segment_id ? [d.segment_id] : [],
              orderItemId: d.ancillary_id,
            })),
          ]);
          if (passes.length > 0) await tx.insert(boardingPasses).values(passes);
          await appendEvents(tx, [
            event('OrderFulfilled', p.orderId, at, {
              tickets: docs.tickets.map((d) => ({
                number: d.number,
                traveler_id: d.traveler_id,
                flight_ids: d.segment_ids,
              })),
              emds: docs.emds.map((d) => d.number),
            }),
          ]);
        });
      } else {
        await recordTransition(p.orderId, ['PAID'], 'FULFILLED', at, []);
      }
    },

    /** FULFILLED → ARCHIVED once the last flight has departed. */
    async archiveOrder(p: { orderId: string; at: string }) {
      const at = new Date(p.at);
      await recordTransition(p.orderId, ['FULFILLED'], 'ARCHIVED', at, [event('OrderArchived', p.orderId, at)]);
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
