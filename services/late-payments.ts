/**
 * Late payments: a charge that succeeds after the order stopped waiting for it (an async webhook after the void
 * or the expiry, a void that raced a capture). The policy (README, "Late payments"): while the order is PROPOSED
 * and its hold still runs, the late charge pays it; otherwise it is refunded in full, automatically, and the
 * customer told (LatePaymentRefunded) — never money kept without a ticket.
 *
 * Nothing here trusts the webhook: every decision starts from what the provider says of the charge (it exists,
 * succeeded, belongs to this order). Both steps are idempotent per charge: the refund's idempotency key is the
 * charge's (`late-refund-<chargeId>`), and the payment row moves to REFUNDED, with its event, only once.
 */
import { and, eq, ne, or } from 'drizzle-orm';
import type { Database } from '../db/client';
import { orders, payments } from '../db/schema';
import type { Logger } from '../lib/logger';
import { appendEvents } from './outbox';
import { GatewayRequestError, type Charge, type PaymentGateway, type Refund } from './payment-gateway';

export interface LatePaymentDeps {
  db: Database;
  gateway: PaymentGateway;
  logger: Logger;
}

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
  const { db, gateway, logger } = deps;

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

  return { confirmLatePayment, refundLatePayment };
}

export type LatePayments = ReturnType<typeof createLatePayments>;
