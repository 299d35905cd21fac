/**
 * Analytics: counts and money per day, route and currency in `analytics_daily`, incremented in the same
 * transaction that records the event as processed, so each event counts exactly once.
 *
 * Offers shown, rejected and expired have no events (offers live in Redis): the offer engine counts those into
 * the same rows (services/analytics.ts `createOfferCounts`).
 *
 * After the sale, every OrderChanged, OrderServicesAdded, SeatChanged and OrderCancelled (of a sold order) counts as
 * a modification, and the order itself once among `orders_modified` (order_modifications keeps which orders have
 * been): the modification rate per route is orders_modified / orders_paid.
 *
 * An event names only its order; the route, currency and total come from the order row, which was written in
 * the same transaction as the order's first event and so always exists by the time the event is read.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { analyticsDaily, orderModifications, outbox, payments, type OrderOfferRecord } from '../db/schema';
import { orderRoute } from '../domain/order';
import { ORDER_OUTCOME_EVENTS, type EventEnvelope } from '../lib/order-events';
import { orderOfEvent, type EventHandler } from './runner';

type Counter =
  | 'offersAccepted'
  | 'ordersProposed'
  | 'ordersPaid'
  | 'ordersExpired'
  | 'ordersCancelled'
  | 'revenueAmount'
  | 'refundedAmount'
  | 'modifications'
  | 'ordersModified';

const COLUMN: Record<Counter, string> = {
  offersAccepted: 'offers_accepted',
  ordersProposed: 'orders_proposed',
  ordersPaid: 'orders_paid',
  ordersExpired: 'orders_expired',
  ordersCancelled: 'orders_cancelled',
  revenueAmount: 'revenue_amount',
  refundedAmount: 'refunded_amount',
  modifications: 'modifications',
  ordersModified: 'orders_modified',
};

/** "JFK-LHR" one way, "JFK-LHR-JFK" a return: the order's airports in flying order. */
export function routeOf(offer: OrderOfferRecord | null): string {
  return orderRoute(offer?.segments ?? []);
}

export const ANALYTICS_EVENTS = ['OfferAccepted', 'OrderProposed', 'OrderPaid', ...ORDER_OUTCOME_EVENTS] as const;

/** What changes a sold order (the seed's "order modification rate"): these events, once the order was sold. */
export const MODIFICATION_EVENTS: readonly string[] = [
  'OrderChanged',
  'OrderServicesAdded',
  'SeatChanged',
  'OrderCancelled',
];

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

/**
 * Whether the event changes an order after its sale: OrderCancelled says so (`after_sale`; a cancel before payment
 * is no modification); the servicing events come only after the sale, and an event without the field asks the
 * order's payments.
 */
async function soldBefore(tx: Tx, event: EventEnvelope): Promise<boolean> {
  const flag = (event.payload as { after_sale?: unknown }).after_sale;
  if (typeof flag === 'boolean') return flag;
  if (event.type !== 'OrderCancelled') return true;
  // A payment that succeeded (or was refunded since), or the order's OrderPaid still in the outbox.
  const [paid] = await tx.execute<{ sold: boolean }>(sql`
    SELECT EXISTS (SELECT 1 FROM ${payments} WHERE ${payments.orderId} = ${event.order_id}
                     AND ${payments.status} IN ('SUCCEEDED', 'REFUNDED'))
        OR EXISTS (SELECT 1 FROM ${outbox} WHERE ${outbox.aggregateId} = ${event.order_id}
                     AND ${outbox.type} = 'OrderPaid') AS sold`);
  return paid?.sold === true;
}

export function analyticsHandler(opts: { name?: string } = {}): EventHandler {
  return {
    name: opts.name ?? 'analytics',
    types: ANALYTICS_EVENTS,
    async handle(event: EventEnvelope, tx: Tx) {
      const order = await orderOfEvent(tx, event);
      const inc = increments(event, order);
      const day = new Date(event.occurred_at).toISOString().slice(0, 10);
      const route = routeOf(order.offer);
      if (MODIFICATION_EVENTS.includes(event.type) && (await soldBefore(tx, event))) {
        // Each order counts once among the modified, on the day of its first modification.
        const first = await tx
          .insert(orderModifications)
          .values({ orderId: event.order_id, route, day, firstEventType: event.type })
          .onConflictDoNothing()
          .returning({ orderId: orderModifications.orderId });
        inc.modifications = 1;
        if (first.length > 0) inc.ordersModified = 1;
      }
      const columns = Object.keys(inc) as Counter[];
      if (columns.length === 0) return;
      await tx
        .insert(analyticsDaily)
        .values({ day, route, currency: order.currency, ...inc })
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
