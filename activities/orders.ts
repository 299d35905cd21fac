/**
 * The order workflows' activities: thin functions over the order service (services/orders.ts), which does the
 * work. The v2 workflow (workflows/order.ts) calls merged steps (`chargeOrder`, `completeSale`,
 * `prepareTripCommit`) to keep its history short; the v1 workflow (workflows/order-v1.ts) keeps calling the steps
 * one by one until its last order has drained.
 */
import type { OrderChangeSteps } from '../services/order-changes';
import type { OrderService, PaymentStep } from '../services/orders';
import type { OrderSegment, OrderWorkflowInput, SeatRequest, TravelersUpdate } from '../workflows/messages';

export function orderActivities(orders: OrderService, changes: OrderChangeSteps) {
  return {
    /** Holds the seats and records the order as PROPOSED (v1 and v2; v1 does not name its workflow type). */
    proposeOrder: (input: OrderWorkflowInput, expiresAt: string, workflowType = 'orderWorkflow') =>
      orders.propose({ input, expiresAt, workflowType }),

    /** v2: the lock-in recorded (PAYMENT_PENDING with the attempt), then the charge, in one activity. */
    async chargeOrder(p: PaymentStep & { payment: string }) {
      await orders.startPayment(p);
      return orders.charge(p);
    },

    /** v2: paid → the seats sold, then the documents issued (FULFILLED), in one activity. */
    async completeSale(p: {
      orderId: string;
      attempt: number;
      chargeId: string;
      segments: OrderSegment[];
      at: string;
    }) {
      await orders.markPaid(p);
      await orders.fulfil(p);
    },

    /** v2: a trip's commit: the seats it names held (a seat already held is a no-op), then its final party. */
    async prepareTripCommit(p: {
      orderId: string;
      seats: SeatRequest[];
      ttlMs: number;
      maxSeats: number;
      update: TravelersUpdate;
    }) {
      for (const seat of p.seats)
        await orders.holdSeat({ orderId: p.orderId, seat, ttlMs: p.ttlMs, maxSeats: p.maxSeats });
      await orders.replaceTravelers({ orderId: p.orderId, update: p.update });
    },

    // v2, voluntary change (services/order-changes.ts): hold the new flights, charge, exchange, refund.
    holdChange: changes.hold,
    releaseChangeHold: changes.releaseHold,
    chargeChange: changes.charge,
    applyChange: changes.apply,
    refundChange: changes.refund,

    voidPayment: orders.voidPayment,
    markPaymentFailed: orders.markPaymentFailed,
    expireOrder: orders.expire,
    quoteCancellation: orders.quoteCancellation,
    cancelOrder: orders.cancel,
    archiveOrder: orders.archive,
    addTraveler: orders.addTraveler,
    holdSeat: orders.holdSeat,
    chooseSeat: orders.chooseSeat,
    replaceTravelers: orders.replaceTravelers,

    // v1 only: the steps the v2 activities merge.
    markPaymentStarted: orders.startPayment,
    chargePayment: (p: Omit<PaymentStep, 'at'> & { paymentToken: string }) =>
      orders.charge({ ...p, payment: p.paymentToken }),
    markPaid: orders.markPaid,
    fulfilOrder: orders.fulfil,
  };
}
