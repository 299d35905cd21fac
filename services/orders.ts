/**
 * The order store: every write an order's workflow makes, each one idempotent (activities are retried) and each
 * state change written with its outbox event in one transaction. The state machine is domain/order.ts's: a write
 * moves an order only along a transition it allows; the state it already has is a retried write (no-op).
 * Inventory goes through the one facade (services/inventory), money through the payment gateway port.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { AppConfig } from '../config';
import type { Database, DbOrTx } from '../db/client';
import {
  boardingPasses,
  cancellationQuotes,
  checkIns,
  flightSeats,
  orderItems,
  orders,
  payments,
  products,
  seatAssignments,
  tickets,
  travelers,
  type CancellationQuoteLine,
} from '../db/schema';
import { matching } from '../db/where';
import { DomainError } from '../domain/errors';
import { canTransition, orderRoute, pastOnSale, type OrderStatus } from '../domain/order';

import { chosenSeatCharge } from '../domain/seat-pricing';
import { couponStatus } from '../domain/check-in';
import {
  cancellationQuote,
  couponKey,
  splitRefund,
  type CancellationQuote,
  type HeldCharge,
  type PlannedRefund,
  type RefundDocumentItem,
} from '../domain/refund';
import { emdCodesFor } from '../domain/servicing';
import { ticketDocumentsFor } from '../domain/tickets';
import type { Logger } from '../lib/logger';
import type { PiiCipher } from '../lib/pii';
import type {
  OrderSegment,
  OrderWorkflowInput,
  SeatRequest,
  TravelerToAdd,
  TravelersUpdate,
} from '../workflows/messages';
import type { Cabin, HoldItem, Inventory } from './inventory';
import { boardingPassesFor } from './boarding-pass';
import * as ledger from './ledger';
import { moveFlightStatuses, scheduleRules } from './schedule';
import { insertParty } from './order-party';
import { appendEvents, type DomainEvent } from './outbox';
import {
  chargeIdempotencyKey,
  chargeAttempt,
  voidAttempt,
  type ChargeOutcome,
  type PaymentGateway,
} from './payment-gateway';
import type { PaymentVault } from './payment-vault';

export interface OrderServiceDeps {
  config: AppConfig;
  logger: Logger;
  db: Database;
  inventory: Inventory;
  gateway: PaymentGateway;
  pii: PiiCipher;
  vault: PaymentVault;
}

export interface PaymentStep {
  orderId: string;
  attempt: number;
  amount: number;
  currency: string;
  at: string;
}

/** Seats to hold per segment: every traveler but infants, who fly on a lap. */
export function holdItems(input: Pick<OrderWorkflowInput, 'segments' | 'travelers' | 'seatCount'>): HoldItem[] {
  const seated = input.seatCount ?? input.travelers.filter((t) => t.ptc !== 'INF').length;
  return input.segments.map((s) => ({ flightId: s.flightId, cabin: s.cabin as Cabin, quantity: seated }));
}

/** The product code of a seat chosen and paid for on its own (not a bundle's). */
export const SEAT_SELECTED = 'SEAT_SELECTED';

const event = (type: string, orderId: string, at: Date, payload: Record<string, unknown> = {}): DomainEvent => ({
  type,
  aggregateId: orderId,
  occurredAt: at,
  payload: { order_id: orderId, ...payload },
});

/**
 * A step of a sale's payment attempt (the lock-in, the capture): it may be a repeat (domain/order.ts `pastOnSale`)
 * when the attempt is recorded (with `paid`: as succeeded) and the order is already past the step's state.
 */
export interface SaleStep {
  attempt: number;
  paid?: boolean;
}

/**
 * Moves an order to `to` inside the transaction, along domain/order.ts's transitions. Returns false when the order
 * is already in `to` (a retried write: nothing more to do), or, for a sale's `step`, already past it with the step's
 * attempt recorded (a step run again after the ones after it); any other state that cannot go there is INVALID_STATE.
 */
export async function transition(
  tx: DbOrTx,
  orderId: string,
  to: OrderStatus,
  at: Date,
  step?: SaleStep,
): Promise<boolean> {
  const [row] = await tx
    .select({ status: orders.status, payment: payments.status })
    .from(orders)
    .leftJoin(payments, and(eq(payments.orderId, orders.id), eq(payments.attempt, step?.attempt ?? 0)))
    .where(eq(orders.id, orderId))
    .for('update', { of: orders });
  if (!row) throw new DomainError('NOT_FOUND', `order ${orderId} was not found`);
  if (row.status === to) return false;
  const recorded = row.payment !== null && (!step?.paid || row.payment === 'SUCCEEDED');
  if (step && recorded && pastOnSale(row.status, to)) return false;
  if (!canTransition(row.status, to)) {
    throw new DomainError('INVALID_STATE', `order ${orderId} is ${row.status} and cannot become ${to}`, {
      from: row.status,
      to,
    });
  }
  await tx
    .update(orders)
    .set({ status: to, updatedAt: at, version: sql`${orders.version} + 1` })
    .where(eq(orders.id, orderId));
  return true;
}

/** The id of the quote a one-step cancel (POST /cancel) records: one per order (an order is cancelled once). */
function oneStepQuoteId(orderId: string): string {
  const h = createHash('sha256').update(`cancel-${orderId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createOrderService(deps: OrderServiceDeps) {
  const { db, inventory, gateway, pii, vault, config, logger } = deps;

  /** A transition and its events (written only when the state changed), plus the caller's writes, in `tx`. */
  async function move(
    tx: DbOrTx,
    orderId: string,
    to: OrderStatus,
    at: Date,
    events: DomainEvent[],
    extra?: (tx: DbOrTx) => Promise<void>,
    step?: SaleStep,
  ): Promise<boolean> {
    const changed = await transition(tx, orderId, to, at, step);
    if (changed) {
      if (extra) await extra(tx);
      await appendEvents(tx, events);
    }
    return changed;
  }

  const setPayment = (tx: DbOrTx, orderId: string, attempt: number, values: Partial<typeof payments.$inferInsert>) =>
    tx
      .update(payments)
      .set({ ...values, updatedAt: new Date() })
      .where(and(eq(payments.orderId, orderId), eq(payments.attempt, attempt)));

  // ------------------------------------------------------------------------------------------------ proposal
  /**
   * Holds seats on every segment for every seated traveler (all or nothing) and records the order as PROPOSED
   * with its travelers and items, in one transaction with OrderProposed. Idempotent: an order that exists is kept.
   */
  async function propose(p: { input: OrderWorkflowInput; expiresAt: string; workflowType: string }) {
    const { input } = p;
    const [existing] = await db.select({ id: orders.id }).from(orders).where(eq(orders.id, input.orderId));
    if (existing) return { created: false };
    const at = new Date();
    await inventory.hold(input.orderId, holdItems(input), async (tx) => {
      await tx.insert(orders).values({
        id: input.orderId,
        offerId: input.offerId,
        customerId: input.customerId,
        source: input.source,
        status: 'PROPOSED',
        currency: input.currency,
        totalAmount: input.totalAmount,
        expiresAt: new Date(p.expiresAt),
        contact: input.contact,
        contactEmailIndex: input.contactEmailIndex ?? null,
        offer: { segments: input.segments, fares: input.fares ?? null, conditions: input.conditions ?? null },
        workflowType: p.workflowType,
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
          expires_at: p.expiresAt,
          segments: input.segments.map((s) => ({ flight_id: s.flightId, cabin: s.cabin })),
          travelers: input.travelers.map((t) => ({ ref: t.ref, passenger_ref: t.ref, ptc: t.ptc })),
        }),
      ];
      if (input.offerId) events.unshift(event('OfferAccepted', input.orderId, at, { offer_id: input.offerId }));
      await appendEvents(tx, events);
    });
    return { created: true };
  }

  // ------------------------------------------------------------------------------------------------ payment
  /** PROPOSED → PAYMENT_PENDING (the lock-in) with the payment attempt recorded. */
  async function startPayment(p: PaymentStep): Promise<void> {
    const at = new Date(p.at);
    await db.transaction((tx) =>
      move(
        tx,
        p.orderId,
        'PAYMENT_PENDING',
        at,
        [
          event('PaymentStarted', p.orderId, at, {
            attempt: p.attempt,
            amount: { amount: p.amount, currency: p.currency },
          }),
        ],
        async (t) => {
          await t
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
        { attempt: p.attempt }, // locked in before: paid, maybe ticketed since
      ),
    );
  }

  /**
   * Charges through the gateway with the attempt's idempotency key, so a retry never charges twice. `payment` is
   * a vault reference (services/payment-vault.ts) or, for orders recorded before the vault, the token itself.
   */
  async function charge(p: Omit<PaymentStep, 'at'> & { payment: string }): Promise<ChargeOutcome> {
    const outcome = await chargeAttempt(gateway, (ref) => vault.resolve(ref), p, {
      idempotencyKey: chargeIdempotencyKey(p.orderId, p.attempt),
      description: `Altis order ${p.orderId}`,
    });
    if (outcome.status === 'unknown') {
      logger.warn({ order_id: p.orderId, attempt: p.attempt }, 'payment gateway timed out: outcome unknown');
    }
    const status = { succeeded: 'SUCCEEDED', failed: 'FAILED', pending: 'PENDING', unknown: 'PENDING' } as const;
    await setPayment(db, p.orderId, p.attempt, {
      chargeId: outcome.chargeId,
      status: status[outcome.status],
      declineCode: outcome.declineCode,
    });
    return outcome;
  }

  /**
   * Gives up on a payment with no outcome: voids whatever the provider holds for this attempt. A charge that
   * succeeded meanwhile wins (reported back as succeeded, never voided); a void the provider refuses is settled by
   * what the provider then says the charge is.
   */
  async function voidPayment(p: { orderId: string; attempt: number; chargeId: string | null }): Promise<ChargeOutcome> {
    // Only "voided" is the void having happened; any other 409 is settled by the charge's real outcome, or retried.
    const result = await voidAttempt(gateway, p, async (chargeId, now, err) => {
      if (now?.status === 'failed') {
        const declineCode = now.declineCode ?? err.code;
        await setPayment(db, p.orderId, p.attempt, { status: 'FAILED', chargeId, declineCode });
        return { status: 'failed', chargeId, declineCode };
      }
      if (now?.status !== 'voided') throw err; // still pending, or unknown: try again (the activity is retried)
      return undefined;
    });
    if (result.status !== 'voided') return result;
    const { chargeId } = result;
    await setPayment(db, p.orderId, p.attempt, { status: 'VOIDED', chargeId, declineCode: 'payment_timeout' });
    return { status: 'failed', chargeId, declineCode: 'payment_timeout' };
  }

  /** PAYMENT_PENDING → PAID: the held seats become sold, with OrderPaid. */
  async function markPaid(p: { orderId: string; attempt: number; chargeId: string; at: string }): Promise<boolean> {
    const at = new Date(p.at);
    let changed = false;
    await inventory.sell(p.orderId, async (tx) => {
      changed = await move(
        tx,
        p.orderId,
        'PAID',
        at,
        [event('OrderPaid', p.orderId, at, { attempt: p.attempt, charge_id: p.chargeId })],
        async (t) => {
          await setPayment(t, p.orderId, p.attempt, { status: 'SUCCEEDED', chargeId: p.chargeId });
          await ledger.postPaymentCaptured(t, { orderId: p.orderId, attempt: p.attempt, chargeId: p.chargeId, at });
        },
        { attempt: p.attempt, paid: true }, // paid before, and ticketed since
      );
    });
    return changed;
  }

  /** A declined payment: back to PROPOSED while hold time remains (PaymentFailed). */
  async function markPaymentFailed(p: { orderId: string; attempt: number; declineCode: string | null; at: string }) {
    const at = new Date(p.at);
    await db.transaction((tx) =>
      move(tx, p.orderId, 'PROPOSED', at, [
        event('PaymentFailed', p.orderId, at, { attempt: p.attempt, decline_code: p.declineCode }),
      ]),
    );
  }

  // ------------------------------------------------------------------------------------------------ endings
  /** The hold ran out: EXPIRED, seats and seat locks released, with OrderExpired. */
  async function expire(p: { orderId: string; at: string }): Promise<void> {
    const at = new Date(p.at);
    await inventory.release(p.orderId, async (tx) => {
      await move(tx, p.orderId, 'EXPIRED', at, [event('OrderExpired', p.orderId, at)]);
    });
  }

  // ------------------------------------------------------------------------------------------------ cancellation
  /**
   * What cancelling at `at` gives back of the charge, per ticket and EMD: the order's items under the fare
   * conditions it was sold with (domain/refund.ts: flown coupons never; the rest per refund_before_departure or
   * no_show). An order without items (recorded before every payment path wrote them) counts its charge as one
   * order-level item. Unpaid (`charged` null): nothing to give back.
   */
  /**
   * The money the order holds at the provider: each succeeded charge of the order (the sale's first, then a change's
   * or services' bought after booking, oldest first), less what was refunded of it.
   */
  async function heldCharges(orderId: string, primary: string | null): Promise<(HeldCharge & { amount: number })[]> {
    const listed = (await gateway.listCharges(orderId)).filter((c) => c.status === 'succeeded');
    listed.sort((a, b) => (a.id === primary ? -1 : b.id === primary ? 1 : a.created - b.created));
    return listed.map((c) => ({ chargeId: c.id, remaining: c.amount - c.amountRefunded, amount: c.amount }));
  }
  const heldTotal = (held: readonly HeldCharge[]) => held.reduce((n, c) => n + Math.max(0, c.remaining), 0);

  async function quoteNow(orderId: string, charged: number | null, at: Date) {
    const [row] = await db
      .select({ offer: orders.offer, currency: orders.currency })
      .from(orders)
      .where(eq(orders.id, orderId));
    if (!row) throw new DomainError('NOT_FOUND', `order ${orderId} was not found`);
    const segments = row.offer?.segments ?? [];
    const route = orderRoute(segments);
    if (charged === null) {
      const none: CancellationQuote = { amount: 0, penalty: 0, kept: 0, flown: 0, rule: 'as_sold', lines: [] };
      return { quote: none, rule: 'unpaid', route, currency: row.currency };
    }
    const list = await db
      .select({
        id: orderItems.id,
        travelerId: orderItems.travelerId,
        flightId: orderItems.flightId,
        amount: orderItems.amount,
        productType: orderItems.productType,
      })
      .from(orderItems)
      .where(eq(orderItems.orderId, orderId));
    const docs = await db
      .select({
        number: tickets.number,
        kind: tickets.kind,
        travelerId: tickets.travelerId,
        itemId: tickets.orderItemId,
      })
      .from(tickets)
      .where(eq(tickets.orderId, orderId));
    // A flight item is on its traveler's e-ticket; any other traveler's item on the EMD issued for it.
    const documentOf = (i: (typeof list)[number]) =>
      (i.productType === 'Flight'
        ? docs.find((d) => d.kind === 'TKT' && d.travelerId === i.travelerId)
        : docs.find((d) => d.kind === 'EMD' && d.itemId === i.id)) ?? null;
    const departed = new Set(
      segments.filter((seg) => Date.parse(seg.departureAt) <= at.getTime()).map((seg) => seg.flightId),
    );
    const items: RefundDocumentItem[] =
      list.length > 0
        ? list.map((i) => {
            const doc = documentOf(i);
            return {
              travelerId: i.travelerId,
              flightId: i.flightId,
              amount: i.amount,
              documentNumber: doc?.number ?? null,
              documentType: doc?.kind ?? null,
            };
          })
        : [{ travelerId: null, flightId: null, amount: charged, documentNumber: null, documentType: null }];
    // The coupons' day-of-travel statuses (flown, no-show): the fare conditions' no-show rule reads them.
    const settled = await db
      .select({ travelerId: checkIns.travelerId, flightId: checkIns.flightId, status: checkIns.status })
      .from(checkIns)
      .where(eq(checkIns.orderId, orderId));
    const coupons = new Map(settled.map((c) => [couponKey(c.travelerId, c.flightId), couponStatus('OPEN', c.status)]));
    const quote = cancellationQuote({
      conditions: row.offer?.conditions ?? null,
      items,
      departedFlightIds: departed,
      charged,
      coupons,
    });
    return { quote, rule: quote.rule as string, route, currency: row.currency };
  }

  const quoteLines = (q: CancellationQuote): CancellationQuoteLine[] =>
    q.lines.map((l) => ({
      document_number: l.documentNumber,
      document_type: l.documentType,
      traveler_id: l.travelerId,
      amount: l.amount,
      refundable: l.refundable,
      penalty: l.penalty,
      flown: l.flown,
    }));

  /**
   * A cancellation quote (the order's workflow asks, Update `quoteCancellation`): computed now, stored QUOTED with
   * its expiry, with OrderCancellationQuoted in the same transaction. Idempotent per quote id (a retried activity).
   */
  async function quoteCancellation(p: {
    orderId: string;
    quoteId: string;
    at: string;
    expiresAt: string;
    charge: { chargeId: string; amount: number } | null;
  }): Promise<{ quoteId: string; expiresAt: string }> {
    const [existing] = await db
      .select({ id: cancellationQuotes.id, expiresAt: cancellationQuotes.expiresAt })
      .from(cancellationQuotes)
      .where(eq(cancellationQuotes.id, p.quoteId));
    if (existing) return { quoteId: existing.id, expiresAt: existing.expiresAt.toISOString() };
    const at = new Date(p.at);
    // The ceiling: all the order holds (its sale's charge and any charged after booking), not the sale alone.
    const charged = p.charge ? heldTotal(await heldCharges(p.orderId, p.charge.chargeId)) : null;
    const { quote, rule, route, currency } = await quoteNow(p.orderId, charged, at);
    await db.transaction(async (tx) => {
      await tx.insert(cancellationQuotes).values({
        id: p.quoteId,
        orderId: p.orderId,
        status: 'QUOTED',
        refundAmount: quote.amount,
        penaltyAmount: quote.penalty,
        currency,
        rule,
        chargeId: p.charge?.chargeId ?? null,
        breakdown: quoteLines(quote),
        expiresAt: new Date(p.expiresAt),
        createdAt: at,
      });
      await appendEvents(tx, [
        event('OrderCancellationQuoted', p.orderId, at, {
          quote_id: p.quoteId,
          route,
          refund_amount: { amount: quote.amount, currency },
          penalty_amount: { amount: quote.penalty, currency },
          expires_at: p.expiresAt,
        }),
      ]);
    });
    return { quoteId: p.quoteId, expiresAt: p.expiresAt };
  }

  /**
   * Cancels: before payment releases; after payment refunds first (the compensation), then releases. A confirmed
   * quote (`quoteId`) refunds exactly what it quoted; a cancel without one (POST /cancel) is a quote and its confirm
   * in one step: computed now by the same rule, recorded CONFIRMED. `refund.amount` from the workflow is the
   * charge, the ceiling. Nothing due: no refund is asked of the gateway. Each ticket and EMD given back becomes
   * REFUNDED (something refunded) or VOIDED (nothing); flown coupons stay as they are.
   */
  async function cancel(p: {
    orderId: string;
    at: string;
    reason: string;
    refund: { chargeId: string; amount: number; currency: string } | null;
    /** The airline's side ended the sale (it could not be completed): everything paid comes back. */
    involuntary?: boolean;
    /** The confirmed cancellation quote (the order's latest, checked by its workflow). */
    quoteId?: string;
  }): Promise<{ refundId: string | null }> {
    const at = new Date(p.at);
    const [confirmed] = p.quoteId
      ? await db.select().from(cancellationQuotes).where(eq(cancellationQuotes.id, p.quoteId))
      : [];
    if (p.quoteId && !confirmed) throw new DomainError('NOT_FOUND', `cancellation quote ${p.quoteId} was not found`);
    // A cancel without a quote (POST /cancel) records one under an id of its own order: a retried activity finds the
    // row (and its refund plan) an earlier attempt wrote, and asks the same refunds again, never new ones.
    const quoteId = confirmed?.id ?? oneStepQuoteId(p.orderId);
    const [earlier] = confirmed
      ? []
      : await db.select().from(cancellationQuotes).where(eq(cancellationQuotes.id, quoteId));
    const stored = confirmed ?? earlier;
    const held = p.refund ? await heldCharges(p.orderId, p.refund.chargeId) : [];
    const computed = stored ? null : await quoteNow(p.orderId, p.refund ? heldTotal(held) : null, at);
    const currency = stored?.currency ?? computed!.currency;
    const route = computed?.route ?? orderRoute(await orderSegments(p.orderId));
    const due = stored
      ? { amount: stored.refundAmount, penalty: stored.penaltyAmount, rule: stored.rule, lines: stored.breakdown }
      : p.refund && p.involuntary
        ? { amount: heldTotal(held), penalty: 0, rule: 'as_sold', lines: [] as CancellationQuoteLine[] }
        : {
            amount: computed!.quote.amount,
            penalty: computed!.quote.penalty,
            rule: computed!.rule,
            lines: quoteLines(computed!.quote),
          };
    const refunding = p.refund !== null && due.amount > 0;
    // The refund split over the charges the order holds money on, written down before the first is asked.
    let plan: PlannedRefund[] = stored?.refundPlan ?? [];
    if (refunding && !stored?.refundPlan) {
      plan = splitRefund(p.orderId, due.amount, held, p.refund!.chargeId);
      if (stored) {
        await db.update(cancellationQuotes).set({ refundPlan: plan }).where(eq(cancellationQuotes.id, stored.id));
      } else {
        await db
          .insert(cancellationQuotes)
          .values({
            id: quoteId,
            orderId: p.orderId,
            status: 'QUOTED',
            refundAmount: due.amount,
            penaltyAmount: due.penalty,
            currency,
            rule: due.rule,
            chargeId: p.refund!.chargeId,
            breakdown: due.lines,
            expiresAt: at,
            createdAt: at,
            refundPlan: plan,
          })
          .onConflictDoNothing();
      }
    }
    const refunds: { id: string; planned: PlannedRefund }[] = [];
    for (const planned of refunding ? plan : []) {
      const refund = await gateway.refund({
        chargeId: planned.chargeId,
        amount: planned.amount,
        idempotencyKey: planned.key,
      });
      refunds.push({ id: refund.id, planned });
    }
    const refundId = refunds[0]?.id ?? null;
    const onSale = (chargeId: string) => refunds.find((r) => r.planned.chargeId === chargeId)?.planned.amount ?? 0;
    const events = [
      event('OrderCancelled', p.orderId, at, {
        reason: p.reason,
        route,
        quote_id: quoteId,
        after_sale: p.refund !== null,
        refund_amount: { amount: p.refund ? due.amount : 0, currency },
        penalty_amount: { amount: p.refund ? due.penalty : 0, currency },
      }),
    ];
    // Nothing due (a non-refundable fare, every coupon flown): the cancellation only, no refund to announce.
    for (const { id, planned } of refunds) {
      events.push(
        event('RefundIssued', p.orderId, at, {
          refund_id: id,
          charge_id: planned.chargeId,
          amount: { amount: planned.amount, currency: p.refund!.currency },
          charged: { amount: p.refund!.amount, currency: p.refund!.currency },
          rule: due.rule,
        }),
      );
    }
    await inventory.release(p.orderId, async (tx) => {
      await move(tx, p.orderId, 'CANCELLED', at, events, async (t) => {
        if (p.refund) {
          await t
            .update(payments)
            .set({
              ...(onSale(p.refund.chargeId) > 0
                ? {
                    status: 'REFUNDED' as const,
                    refundId: refunds.find((r) => r.planned.chargeId === p.refund!.chargeId)!.id,
                  }
                : {}),
              refundedAmount: onSale(p.refund.chargeId),
              updatedAt: at,
            })
            .where(and(eq(payments.orderId, p.orderId), eq(payments.chargeId, p.refund.chargeId)));
        }
        if (stored) {
          await t
            .update(cancellationQuotes)
            .set({ status: 'CONFIRMED', confirmedAt: at, refundId })
            .where(eq(cancellationQuotes.id, stored.id));
        } else if (p.refund) {
          await t
            .insert(cancellationQuotes)
            .values({
              id: quoteId,
              orderId: p.orderId,
              status: 'CONFIRMED',
              refundAmount: due.amount,
              penaltyAmount: due.penalty,
              currency,
              rule: due.rule,
              chargeId: p.refund.chargeId,
              breakdown: due.lines,
              expiresAt: at,
              createdAt: at,
              confirmedAt: at,
              refundId,
              refundPlan: plan,
            })
            // The row a first attempt wrote (QUOTED, with its plan) before it asked the refunds.
            .onConflictDoUpdate({
              target: cancellationQuotes.id,
              set: { status: 'CONFIRMED', confirmedAt: at, refundId },
            });
        }
        await ledger.postCancellation(t, {
          orderId: p.orderId,
          at,
          charges: held.map((c) => ({ chargeId: c.chargeId, amount: c.amount })),
          refunds: refunds.map((r) => ({ refundId: r.id, amount: r.planned.amount })),
          flown: due.lines.flatMap((l) => (l.flown && l.document_number ? [l.document_number] : [])),
        });
        for (const line of due.lines) {
          if (line.document_number === null || line.flown) continue;
          await t
            .update(tickets)
            .set({ status: line.refundable > 0 ? 'REFUNDED' : 'VOIDED' })
            .where(and(eq(tickets.number, line.document_number), eq(tickets.orderId, p.orderId)));
        }
      });
    });
    return { refundId };
  }

  async function orderSegments(orderId: string) {
    const [row] = await db.select({ offer: orders.offer }).from(orders).where(eq(orders.id, orderId));
    return row?.offer?.segments ?? [];
  }

  /** FULFILLED → ARCHIVED once the last flight has arrived (older orders: departed). */
  async function archive(p: { orderId: string; at: string }): Promise<void> {
    const at = new Date(p.at);
    // Every coupon is FLOWN, NO_SHOW, REFUNDED or EXCHANGED when the order is archived: the departures of its
    // flights (and their coupons' settlement) are recorded now if the worker's status move has not come yet.
    const flightIds = (await orderSegments(p.orderId)).map((s) => s.flightId);
    if (flightIds.length > 0) await moveFlightStatuses({ db }, scheduleRules(config), at, flightIds);
    await db.transaction((tx) => move(tx, p.orderId, 'ARCHIVED', at, [event('OrderArchived', p.orderId, at)]));
  }

  // ------------------------------------------------------------------------------------------------ documents
  /**
   * PAID → FULFILLED: one 13-digit e-ticket per traveler per flight, an EMD per ancillary, and a BCBP boarding
   * pass per traveler per flight. Idempotent: a retry finds the documents already issued.
   */
  async function fulfil(p: { orderId: string; segments: OrderSegment[]; at: string }): Promise<void> {
    const at = new Date(p.at);
    const [issued] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(tickets)
      .where(eq(tickets.orderId, p.orderId));
    if ((issued?.n ?? 0) > 0) {
      await db.transaction((tx) => move(tx, p.orderId, 'FULFILLED', at, []));
      return;
    }
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
        ...emdCodesFor(a.productCode, a.productType),
      })),
      nextSerial: () => queue.shift()!,
    });
    const seats = await db
      .select({
        flightId: seatAssignments.flightId,
        seatNumber: seatAssignments.seatNumber,
        travelerId: seatAssignments.travelerId,
      })
      .from(seatAssignments)
      .where(eq(seatAssignments.orderId, p.orderId));
    const passes = boardingPassesFor({ orderId: p.orderId, travelers: pax, segments: p.segments, pii, seats });
    await db.transaction(async (tx) => {
      const changed = await transition(tx, p.orderId, 'FULFILLED', at);
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
          emdType: d.type,
          rfic: d.rfic,
          rfisc: d.rfisc,
          associatedTicket: d.associated_ticket,
        })),
      ]);
      if (passes.length > 0) await tx.insert(boardingPasses).values(passes);
      await ledger.postDocumentsIssued(tx, { orderId: p.orderId, key: `issue:${p.orderId}:order`, at });
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
  }

  // ------------------------------------------------------------------------------------------------ trips
  /** Adds a traveler to a trip; idempotent per (order, position). */
  async function addTraveler(p: { orderId: string; position: number; traveler: TravelerToAdd }) {
    const inserted = await db
      .insert(travelers)
      .values({ orderId: p.orderId, position: p.position, ...p.traveler })
      .onConflictDoNothing()
      .returning({ id: travelers.id });
    if (inserted[0]) return { travelerId: inserted[0].id };
    const [existing] = await db
      .select({ id: travelers.id })
      .from(travelers)
      .where(and(eq(travelers.orderId, p.orderId), eq(travelers.position, p.position)));
    return { travelerId: existing!.id };
  }

  /** The cabin the order was priced for on a flight: its segment's, as recorded with the order. */
  async function pricedCabin(orderId: string, flightId: string): Promise<Cabin> {
    const [row] = await db.select({ offer: orders.offer }).from(orders).where(eq(orders.id, orderId));
    if (!row) throw new DomainError('NOT_FOUND', `order ${orderId} was not found`);
    const segment = row.offer?.segments.find((s) => s.flightId === flightId);
    if (!segment) throw new DomainError('VALIDATION_FAILED', `flight ${flightId} is not part of this order`);
    return segment.cabin as Cabin;
  }

  /**
   * The seat rule, one home for trips and offer orders: locks one seat for the order, only in the cabin the order
   * was priced for on that flight and while it holds that cabin, at most `maxSeats` per flight, one owner per seat.
   */
  async function holdSeat(p: { orderId: string; seat: SeatRequest; ttlMs: number; maxSeats: number }) {
    const cabin = await pricedCabin(p.orderId, p.seat.flightId);
    const { seatNumber, flightId } = p.seat;
    const result = await inventory.lockSeat({
      ownerId: p.orderId,
      flightId,
      seatNumber,
      ttlMs: p.ttlMs,
      maxPerFlight: p.maxSeats,
      cabin,
    });
    if (result.ok) return;
    switch (result.reason) {
      case 'TAKEN':
        throw new DomainError('SEAT_UNAVAILABLE', `seat ${seatNumber} is not available`);
      case 'BLOCKED':
        throw new DomainError('VALIDATION_FAILED', `seat ${seatNumber} cannot be sold`);
      case 'LIMIT':
        throw new DomainError(
          'VALIDATION_FAILED',
          `this order holds ${p.maxSeats} seat(s) on the flight; release one first`,
        );
      case 'CABIN_MISMATCH':
        throw new DomainError(
          'CABIN_MISMATCH',
          `seat ${seatNumber} is in ${result.seatCabin}; this order was priced for ${cabin} on flight ${flightId}`,
          { flight_id: flightId, seat_number: seatNumber, seat_cabin: result.seatCabin, order_cabin: cabin },
        );
      case 'NOT_HELD':
        throw new DomainError('INVALID_STATE', `this order no longer holds ${cabin} seats on flight ${flightId}`);
      default:
        throw new DomainError('NOT_FOUND', `flight ${flightId} has no seat ${seatNumber}`);
    }
  }

  /**
   * Seats one traveler of the order on one flight (the seat rule of holdSeat), letting the traveler's previous
   * seat there go in the same transaction. An offer's order pays for it (domain/seat-pricing.ts): a Seat product it
   * bought for that traveler and flight (a bundle's) covers it up to the product's list price, the rest — or the
   * seat-map price without one — is a SEAT_SELECTED item; the order's total stays the sum of its items. A trip's seats are priced at commit. Idempotent. Returns the order's total.
   */
  async function chooseSeat(p: {
    orderId: string;
    travelerId: string;
    seat: SeatRequest;
    ttlMs: number;
    maxSeats: number;
  }): Promise<{ totalAmount: number }> {
    const { orderId, travelerId } = p;
    const { flightId, seatNumber } = p.seat;
    const [order] = await db
      .select({ source: orders.source, totalAmount: orders.totalAmount, currency: orders.currency })
      .from(orders)
      .where(eq(orders.id, orderId));
    if (!order) throw new DomainError('NOT_FOUND', `order ${orderId} was not found`);
    const [traveler] = await db
      .select({ ptc: travelers.ptc })
      .from(travelers)
      .where(and(eq(travelers.orderId, orderId), eq(travelers.id, travelerId)));
    if (!traveler) throw new DomainError('NOT_FOUND', `traveler ${travelerId} is not on this order`);
    if (traveler.ptc === 'INF') {
      throw new DomainError('VALIDATION_FAILED', 'an infant travels on an adult’s lap and has no seat of its own');
    }
    const ofTraveler = matching(seatAssignments, { orderId, flightId, travelerId });
    const [current] = await db.select({ seat: seatAssignments.seatNumber }).from(seatAssignments).where(ofTraveler);
    if (current?.seat === seatNumber) return { totalAmount: order.totalAmount };
    // A change holds the new seat before letting the old one go: one more than the party's seats for a moment.
    await holdSeat({ orderId, seat: p.seat, ttlMs: p.ttlMs, maxSeats: p.maxSeats + (current ? 1 : 0) });
    const [mapSeat] = await db
      .select({ price: flightSeats.price })
      .from(flightSeats)
      .where(and(eq(flightSeats.flightId, flightId), eq(flightSeats.seatNumber, seatNumber)));

    let totalAmount = order.totalAmount;
    const seatIt = async (tx: DbOrTx) => {
      await tx
        .update(seatAssignments)
        .set({ travelerId })
        .where(matching(seatAssignments, { orderId, flightId, seatNumber }));
      if (order.source !== 'OFFER') return;
      const seatItems = matching(orderItems, { orderId, travelerId, flightId, productType: 'Seat' });
      const existing = await tx.select().from(orderItems).where(seatItems);
      const bundled = existing.find((i) => i.productCode !== SEAT_SELECTED);
      // A bundle's seat covers seats up to its product's list price (the whole seat when it is not in the catalog
      // in this currency); what is left, or the seat-map price without one, is a SEAT_SELECTED item.
      let coveredUpTo: number | null = null;
      if (bundled) {
        await tx.update(orderItems).set({ seatNumber }).where(eq(orderItems.id, bundled.id));
        const [product] = bundled.productCode
          ? await tx
              .select({ price: products.price, currency: products.currency })
              .from(products)
              .where(eq(products.code, bundled.productCode))
          : [];
        coveredUpTo = product && product.currency === order.currency ? product.price : Number.MAX_SAFE_INTEGER;
      }
      await tx.delete(orderItems).where(and(seatItems, eq(orderItems.productCode, SEAT_SELECTED)));
      const charge = chosenSeatCharge(mapSeat?.price ?? 0, coveredUpTo);
      if (!bundled || charge > 0) {
        const [segment] = await tx.select({ offer: orders.offer }).from(orders).where(eq(orders.id, orderId));
        await tx.insert(orderItems).values({
          orderId,
          productType: 'Seat',
          productCode: SEAT_SELECTED,
          flightId,
          travelerId,
          cabin: segment?.offer?.segments.find((s) => s.flightId === flightId)?.cabin ?? null,
          seatNumber,
          amount: charge,
          currency: order.currency,
          details: bundled ? { upgrade_from: bundled.productCode } : { chosen_after_acceptance: true },
        });
      }
      const [sum] = await tx
        .select({ total: sql<number>`coalesce(sum(${orderItems.amount}), 0)::int` })
        .from(orderItems)
        .where(eq(orderItems.orderId, orderId));
      totalAmount = sum?.total ?? 0;
      await tx
        .update(orders)
        .set({ totalAmount, updatedAt: new Date(), version: sql`${orders.version} + 1` })
        .where(eq(orders.id, orderId));
    };
    if (current) await inventory.unlockSeat({ ownerId: orderId, flightId, seatNumber: current.seat }, seatIt);
    else await db.transaction(seatIt);
    return { totalAmount };
  }

  /**
   * Sets a trip's final party at commit: travelers, their flight and seat items, the total, and which traveler
   * sits in which held seat. One transaction; repeating it with the same input leaves the same result.
   */
  async function replaceTravelers(p: { orderId: string; update: TravelersUpdate }) {
    const { update } = p;
    const wanted = update.travelers.flatMap((t) => t.seats);
    const held = await db
      .select({ flightId: seatAssignments.flightId, seat: seatAssignments.seatNumber })
      .from(seatAssignments)
      .where(eq(seatAssignments.orderId, p.orderId));
    const missing = wanted.filter((w) => !held.some((h) => h.flightId === w.flightId && h.seat === w.seatNumber));
    if (missing.length > 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `seats not held by this trip: ${missing.map((m) => `${m.seatNumber} on ${m.flightId}`).join(', ')}`,
      );
    }
    await db.transaction(async (tx) => {
      await tx.update(seatAssignments).set({ travelerId: null }).where(eq(seatAssignments.orderId, p.orderId));
      await tx.delete(orderItems).where(eq(orderItems.orderId, p.orderId));
      await tx.delete(travelers).where(eq(travelers.orderId, p.orderId));
      const idOf = await insertParty(tx, p.orderId, update.travelers, update.items);
      for (const t of update.travelers) {
        for (const seat of t.seats) {
          await tx
            .update(seatAssignments)
            .set({ travelerId: idOf.get(t.ref)! })
            .where(
              and(
                eq(seatAssignments.orderId, p.orderId),
                eq(seatAssignments.flightId, seat.flightId),
                inArray(seatAssignments.seatNumber, [seat.seatNumber]),
              ),
            );
        }
      }
      await tx
        .update(orders)
        .set({
          totalAmount: update.totalAmount,
          contact: update.contact,
          ...(update.contactEmailIndex !== undefined ? { contactEmailIndex: update.contactEmailIndex } : {}),
          updatedAt: new Date(),
          version: sql`${orders.version} + 1`,
        })
        .where(eq(orders.id, p.orderId));
    });
  }

  return {
    propose,
    startPayment,
    charge,
    voidPayment,
    markPaid,
    markPaymentFailed,
    expire,
    quoteCancellation,
    cancel,
    archive,
    fulfil,
    addTraveler,
    holdSeat,
    chooseSeat,
    replaceTravelers,
  };
}

export type OrderService = ReturnType<typeof createOrderService>;
