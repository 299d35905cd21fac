/**
 * Analytics: counts and money per day, route and currency in `analytics_daily`, incremented in the same
 * transaction that records the event as processed, so each event counts exactly once.
 *
 * Offers shown, rejected and expired have no events (offers live in Redis): the offer engine counts those into
 * the same rows (services/analytics.ts `createOfferCounts`).
 *
 * An event names only its order; the route, currency and total come from the order row, which was written in
 * the same transaction as the order's first event and so always exists by the time the event is read.
 */
import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { analyticsDaily, orders, type OrderOfferRecord } from '../db/schema';
import { orderRoute } from '../domain/order';
import type { EventEnvelope } from '../lib/order-events';
import type { EventHandler } from './runner';

type Counter =
  | 'offersAccepted'
  | 'ordersProposed'
  | 'ordersPaid'
  | 'ordersExpired'
  | 'ordersCancelled'
  | 'revenueAmount'
  | 'refundedAmount';

const COLUMN: Record<Counter, string> = {
  offersAccepted: 'offers_accepted',
  ordersProposed: 'orders_proposed',
  ordersPaid: 'orders_paid',
  ordersExpired: 'orders_expired',
  ordersCancelled: 'orders_cancelled',
  revenueAmount: 'revenue_amount',
  refundedAmount: 'refunded_amount',
};

/** "JFK-LHR" one way, "JFK-LHR-JFK" a return: the order's airports in flying order. */
export function routeOf(offer: OrderOfferRecord | null): string {
  return orderRoute(offer?.segments ?? []);
}

export const ANALYTICS_EVENTS = [
  'OfferAccepted',
  'OrderProposed',
  'OrderPaid',
  'OrderExpired',
  'OrderCancelled',
  'RefundIssued',
] as const;

function increments(
  event: EventEnvelope,
  order: { offerId: string | null; totalAmount: number },
): Partial<Record<Counter, number>> {
  switch (event.type) {
    case 'OfferAccepted':
      return { offersAccepted: 1 };
    case 'OrderProposed':
      return { ordersProposed: 1 };
    case 'OrderPaid':
      return { ordersPaid: 1, revenueAmount: order.totalAmount };
    case 'OrderExpired':
      // An accepted offer stays accepted; offers that lapse unaccepted are counted by the offer engine.
      return { ordersExpired: 1 };
    case 'OrderCancelled':
      return { ordersCancelled: 1 };
    case 'RefundIssued': {
      const amount = (event.payload as { amount?: { amount?: unknown } }).amount?.amount;
      if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
        throw new Error(`RefundIssued ${event.id} has no amount in minor units`);
      }
      return { refundedAmount: amount };
    }
    default:
      return {};
  }
}

export function analyticsHandler(opts: { name?: string } = {}): EventHandler {
  return {
    name: opts.name ?? 'analytics',
    types: ANALYTICS_EVENTS,
    async handle(event: EventEnvelope, tx: Tx) {
      const [order] = await tx
        .select({
          offerId: orders.offerId,
          currency: orders.currency,
          totalAmount: orders.totalAmount,
          offer: orders.offer,
        })
        .from(orders)
        .where(eq(orders.id, event.order_id));
      if (!order) throw new Error(`order ${event.order_id} is not in the orders table`);
      const inc = increments(event, order);
      const columns = Object.keys(inc) as Counter[];
      if (columns.length === 0) return;
      const day = new Date(event.occurred_at).toISOString().slice(0, 10);
      await tx
        .insert(analyticsDaily)
        .values({ day, route: routeOf(order.offer), currency: order.currency, ...inc })
        .onConflictDoUpdate({
          target: [analyticsDaily.day, analyticsDaily.route, analyticsDaily.currency],
          set: {
            ...Object.fromEntries(
              columns.map((c) => [c, sql`${analyticsDaily[c]} + ${sql.raw(`excluded.${COLUMN[c]}`)}`]),
            ),
            updatedAt: sql`now()`,
          },
        });
    },
  };
}
