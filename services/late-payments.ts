/**
 * Late payments: a charge that succeeds after the order stopped waiting for it (an async webhook after the void
 * or the expiry, a void that raced a capture). The policy (README, "Late payments"): while the order is PROPOSED
 * and its hold still runs, the late charge pays it; once the order has EXPIRED (its seats released), it is
 * reinstated on the charge when every seat it held is still free and its flights still sell; otherwise the charge
 * is refunded in full, automatically, and the customer told (LatePaymentRefunded) — never money kept without a
 * ticket.
 *
 * Nothing here trusts the webhook: every decision starts from what the provider says of the charge (it exists,
 * succeeded, belongs to this order). Both steps are idempotent per charge: the refund's idempotency key is the
 * charge's (`late-refund-<chargeId>`), and the payment row moves to REFUNDED, with its event, only once.
 */
import { and, asc, eq, ne, or, sql } from 'drizzle-orm';
import type { AppConfig } from '../config';
import type { Database, DbOrTx } from '../db/client';
import { orderItems, orders, payments, travelers } from '../db/schema';
import { DomainError } from '../domain/errors';
import { REINSTATABLE, REINSTATED_AS } from '../domain/order';
import { assignRefs } from '../domain/travelers';
import type { Logger } from '../lib/logger';
import type { OrderWorkflowInput } from '../workflows/messages';
import type { Inventory } from './inventory';
import * as ledger from './ledger';
import { appendEvents } from './outbox';
import { GatewayRequestError, type Charge, type PaymentGateway, type Refund } from './payment-gateway';
import type { Sellability } from './schedule';

export interface LatePaymentDeps {
  db: Database;
  gateway: PaymentGateway;
  logger: Logger;
  inventory: Inventory;
  sellability: Sellability;
  config: Pick<AppConfig, 'orders'>;
}

export type ReinstateVerdict =
  /** The expired order holds its seats again, PAYMENT_PENDING on the charge: its workflow runs again on `input`. */
  | { verdict: 'reinstated'; input: OrderWorkflowInput; amount: number; currency: string }
  /** The charge is real and succeeded, but cannot pay the order (sold out meanwhile, no longer sold, …): refund. */
  | { verdict: 'refund'; reason: string }
  /** Not a charge of this order that succeeded: nothing to do. */
  | { verdict: 'ignore'; reason: string };

export type LateChargeVerdict =
  /** The provider confirms the charge: it succeeded, for this order, for the amount due. */
  | { verdict: 'pay'; attempt: number }
  /** The charge is real and succeeded, but cannot pay the order (another amount or currency): refund it. */
  | { verdict: 'refund'; reason: string }
  /** Not a charge of this order that succeeded (unknown to the provider, another order, not succeeded). */
  | { verdict: 'ignore'; reason: string };

export interface LateRefundResult {
  outcome: 'refunded' | 'already_refunded' | 'ignored';
  reason: string;
  refundId: string | null;
  amount: number;
  currency: string | null;
}

/** The attempt a charge was made for, as Altis asked the provider to record it (charge metadata). */
const attemptOf = (charge: Charge): number | null => {
  const n = Number(charge.metadata.attempt);
  return Number.isInteger(n) && n > 0 ? n : null;
};

export function createLatePayments(deps: LatePaymentDeps) {
  const { db, gateway, logger, inventory } = deps;

  /** What the provider says of a charge this order did not wait for, or why it is not the order's money. */
  async function confirmed(orderId: string, chargeId: string): Promise<Charge | string> {
    const charge = await gateway.getCharge(chargeId);
    if (!charge) return 'the provider does not know this charge';
    if (charge.orderId !== orderId) return 'the charge belongs to another order';
    if (charge.status !== 'succeeded') return `the charge has not succeeded (${charge.status})`;
    return charge;
  }

  /**
   * The order is PROPOSED with its hold running: may this late charge pay it? Read only: the workflow then locks
   * the order in on the charge's own attempt and sells and issues tickets on it.
   */
  async function confirmLatePayment(p: {
    orderId: string;
    chargeId: string;
    amount: number;
    currency: string;
    at: string;
  }): Promise<LateChargeVerdict> {
    const charge = await confirmed(p.orderId, p.chargeId);
    if (typeof charge === 'string') return { verdict: 'ignore', reason: charge };
    if (charge.amountRefunded > 0) return { verdict: 'ignore', reason: 'the charge has been refunded' };
    if (charge.amount !== p.amount || charge.currency !== p.currency) {
      return {
        verdict: 'refund',
        reason: `the charge is ${charge.amount} ${charge.currency}, the order is due ${p.amount} ${p.currency}`,
      };
    }
    const attempt = attemptOf(charge);
    if (attempt === null) return { verdict: 'refund', reason: 'the charge names no payment attempt of this order' };
    return { verdict: 'pay', attempt };
  }

  /**
   * An EXPIRED order (its workflow closed, its seats released) whose late charge the provider confirms, for the
   * order's total: every seat it held is taken back (all or nothing, Postgres deciding) and the order becomes
   * PAYMENT_PENDING on the charge's own attempt, with OrderReinstated, in one transaction. Its workflow then runs
   * again on the returned input and sells and tickets on the charge, as any late payment. Refused (`refund`) when
   * the order is not EXPIRED, a flight no longer sells, or the seats went to others. A retry after a commit whose
   * answer was lost finds its own reinstatement and answers the same.
   */
  async function reinstateLatePayment(p: { orderId: string; chargeId: string; at: string }): Promise<ReinstateVerdict> {
    const charge = await confirmed(p.orderId, p.chargeId);
    if (typeof charge === 'string') return { verdict: 'ignore', reason: charge };
    const [order] = await db.select().from(orders).where(eq(orders.id, p.orderId));
    if (!order) return { verdict: 'ignore', reason: 'the order does not exist' };
    const attempt = attemptOf(charge);
    const [row] = await db
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, p.orderId), eq(payments.chargeId, charge.id)));
    const segments = order.offer?.segments ?? [];
    const reinstated = async (): Promise<ReinstateVerdict> => ({
      verdict: 'reinstated',
      input: await workflowInput(order, { attempt: attempt!, chargeId: charge.id }),
      amount: charge.amount,
      currency: charge.currency,
    });
    // This charge reinstated the order already (no workflow ran it since): the same answer, the index brought along.
    if (order.status === REINSTATED_AS && row?.status === 'PENDING' && attempt !== null && row.attempt === attempt) {
      await inventory.rebuildIndex(segments.map((s) => s.flightId));
      return reinstated();
    }
    if (order.status !== REINSTATABLE) return { verdict: 'refund', reason: `the order was ${order.status}` };
    if (charge.amountRefunded > 0) return { verdict: 'refund', reason: 'the charge has been refunded in part' };
    if (charge.amount !== order.totalAmount || charge.currency !== order.currency) {
      const due = `${order.totalAmount} ${order.currency}`;
      return {
        verdict: 'refund',
        reason: `the charge is ${charge.amount} ${charge.currency}, the order is due ${due}`,
      };
    }
    if (attempt === null) return { verdict: 'refund', reason: 'the charge names no payment attempt of this order' };
    if (row && (row.status === 'SUCCEEDED' || row.status === 'REFUNDED')) {
      return { verdict: 'refund', reason: `the charge's payment is ${row.status}` };
    }
    try {
      await deps.sellability.assertSellable(segments.map((s) => s.flightId));
      const at = new Date(p.at);
      await inventory.rehold(p.orderId, async (tx) => {
        const moved = await tx
          .update(orders)
          .set({ status: REINSTATED_AS, updatedAt: at, version: sql`${orders.version} + 1` })
          .where(and(eq(orders.id, p.orderId), eq(orders.status, REINSTATABLE)))
          .returning({ id: orders.id });
        if (moved.length === 0) throw new DomainError('INVALID_STATE', 'the order is no longer EXPIRED');
        await recordAttempt(tx, p.orderId, attempt, charge);
        await appendEvents(tx, [
          {
            type: 'OrderReinstated',
            aggregateId: p.orderId,
            occurredAt: at,
            payload: {
              order_id: p.orderId,
              charge_id: charge.id,
              attempt,
              amount: { amount: charge.amount, currency: charge.currency },
            },
          },
        ]);
      });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const reason =
        err.code === 'SOLD_OUT' ? 'the seats the order held were sold meanwhile' : `not reinstated: ${err.message}`;
      return { verdict: 'refund', reason };
    }
    logger.info({ order_id: p.orderId, charge_id: charge.id, attempt }, 'late payment: expired order reinstated');
    return reinstated();
  }

  /** The charge's payment row, PENDING on its attempt (the row the sale then marks SUCCEEDED). */
  async function recordAttempt(tx: DbOrTx, orderId: string, attempt: number, charge: Charge): Promise<void> {
    const values = { status: 'PENDING' as const, chargeId: charge.id, declineCode: null, updatedAt: new Date() };
    const updated = await tx
      .update(payments)
      .set(values)
      .where(and(eq(payments.orderId, orderId), eq(payments.attempt, attempt)))
      .returning({ id: payments.id });
    if (updated.length > 0) return;
    await tx.insert(payments).values({ orderId, attempt, amount: charge.amount, currency: charge.currency, ...values });
  }

  /** The order's workflow input as Postgres records it (names stay encrypted), for the run that reinstates it. */
  async function workflowInput(
    order: typeof orders.$inferSelect,
    reinstated: NonNullable<OrderWorkflowInput['reinstated']>,
  ): Promise<OrderWorkflowInput> {
    const party = await db
      .select()
      .from(travelers)
      .where(eq(travelers.orderId, order.id))
      .orderBy(asc(travelers.position));
    const refs = new Map(assignRefs(party).map((t) => [t.id, t.ref]));
    const items = await db.select().from(orderItems).where(eq(orderItems.orderId, order.id));
    return {
      orderId: order.id,
      customerId: order.customerId,
      source: order.source,
      offerId: order.offerId,
      currency: order.currency,
      totalAmount: order.totalAmount,
      segments: order.offer?.segments ?? [],
      travelers: assignRefs(party).map((t) => ({
        ref: t.ref,
        ptc: t.ptc,
        firstName: t.firstName,
        lastName: t.lastName,
        dateOfBirth: t.dateOfBirth,
        gender: t.gender,
      })),
      items: items.map((i) => ({
        productType: i.productType,
        productCode: i.productCode ?? '',
        flightId: i.flightId,
        passengerRef:
          (i.travelerId ? refs.get(i.travelerId) : undefined) ??
          (i.details as { passenger_ref?: string } | null)?.passenger_ref ??
          '',
        ...(i.seatNumber ? { seatNumber: i.seatNumber } : {}),
        amount: i.amount,
        currency: i.currency,
      })),
      contact: order.contact,
      ...(order.offer?.fares ? { fares: order.offer.fares } : {}),
      ...(order.offer?.conditions ? { conditions: order.offer.conditions } : {}),
      holdSeconds: 0, // no hold time: the order is past the lock-in already
      paymentTimeoutSeconds: deps.config.orders.payment_timeout_seconds,
      archiveGraceSeconds: deps.config.orders.archive_grace_seconds,
      reinstated,
    };
  }

  /**
   * Refunds a late charge in full and records it: the payment row REFUNDED with LatePaymentRefunded (amounts in
   * minor units) in one transaction, once per charge. The charge that paid the order (its row SUCCEEDED) is
   * never refunded here; a charge the provider does not confirm is ignored.
   */
  async function refundLatePayment(p: {
    orderId: string;
    chargeId: string;
    reason: string;
    at: string;
  }): Promise<LateRefundResult> {
    const ignored = (reason: string): LateRefundResult => {
      logger.warn({ order_id: p.orderId, charge_id: p.chargeId, reason }, 'late payment not refunded');
      return { outcome: 'ignored', reason, refundId: null, amount: 0, currency: null };
    };
    const charge = await confirmed(p.orderId, p.chargeId);
    if (typeof charge === 'string') return ignored(charge);
    const [row] = await db
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, p.orderId), eq(payments.chargeId, p.chargeId)));
    if (row?.status === 'SUCCEEDED') return ignored('the charge paid this order');
    if (row?.status === 'REFUNDED') {
      return {
        outcome: 'already_refunded',
        reason: p.reason,
        refundId: row.refundId,
        amount: row.refundedAmount ?? 0,
        currency: charge.currency,
      };
    }
    const refundable = charge.amount - charge.amountRefunded;
    // A refund lost after the provider made it (a crash): the same key replays it, so this never refunds twice.
    let refund: Refund | null = null;
    try {
      refund = await gateway.refund({ chargeId: charge.id, idempotencyKey: `late-refund-${charge.id}` });
    } catch (err) {
      // Nothing left to refund and no refund of ours to replay: refunded in full by another way already.
      if (!(err instanceof GatewayRequestError) || refundable > 0) throw err;
    }
    const amount = refund?.amount ?? charge.amountRefunded;
    const at = new Date(p.at);
    const attempt = attemptOf(charge);
    const recorded = await db.transaction(async (tx) => {
      const values = {
        chargeId: charge.id,
        status: 'REFUNDED' as const,
        refundId: refund?.id ?? null,
        refundedAmount: amount,
        updatedAt: at,
      };
      // The charge's own payment row (by charge id, else by the attempt it was made for), once.
      const match = or(
        eq(payments.chargeId, charge.id),
        attempt === null ? eq(payments.chargeId, charge.id) : eq(payments.attempt, attempt),
      );
      let updated = await tx
        .update(payments)
        .set(values)
        .where(
          and(
            eq(payments.orderId, p.orderId),
            match,
            ne(payments.status, 'REFUNDED'),
            ne(payments.status, 'SUCCEEDED'),
          ),
        )
        .returning({ id: payments.id });
      if (updated.length === 0) {
        const [exists] = await tx
          .select({ id: payments.id })
          .from(payments)
          .where(and(eq(payments.orderId, p.orderId), match));
        if (exists) return false; // refunded already (a retry, a duplicate webhook) or it paid the order
        const [order] = await tx.select({ id: orders.id }).from(orders).where(eq(orders.id, p.orderId));
        if (!order) return false;
        updated = await tx
          .insert(payments)
          .values({
            orderId: p.orderId,
            attempt: attempt ?? 0,
            amount: charge.amount,
            currency: charge.currency,
            ...values,
          })
          .onConflictDoNothing()
          .returning({ id: payments.id });
        if (updated.length === 0) return false;
      }
      await ledger.postRefund(tx, {
        orderId: p.orderId,
        ref: `late-refund-${charge.id}`,
        refundId: refund?.id ?? null,
        amount,
        at,
        capture: { chargeId: charge.id, amount: charge.amount },
      });
      await appendEvents(tx, [
        {
          type: 'LatePaymentRefunded',
          aggregateId: p.orderId,
          occurredAt: at,
          payload: {
            order_id: p.orderId,
            charge_id: charge.id,
            refund_id: refund?.id ?? null,
            amount: { amount, currency: charge.currency },
            charged: { amount: charge.amount, currency: charge.currency },
            reason: p.reason,
          },
        },
      ]);
      return true;
    });
    logger.info(
      { order_id: p.orderId, charge_id: charge.id, amount, recorded, reason: p.reason },
      'late payment refunded',
    );
    return {
      outcome: recorded ? 'refunded' : 'already_refunded',
      reason: p.reason,
      refundId: refund?.id ?? null,
      amount,
      currency: charge.currency,
    };
  }

  return { confirmLatePayment, reinstateLatePayment, refundLatePayment };
}

export type LatePayments = ReturnType<typeof createLatePayments>;
