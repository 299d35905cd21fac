/**
 * v1 of the order lifecycle, kept unchanged (but for where its error codes and the answers both versions give alike,
 * order-common.ts, come from) so that orders started before
 * the v2 workflow (workflows/order.ts) run to their end on the code that started them. New orders start v2; delete
 * this file once no `orderWorkflow` execution is open (the last archives after its flight has departed), together
 * with its histories in test/histories/orderWorkflow/.
 *
 * The order lifecycle: one durable workflow per order (workflow id `order-<orderId>`).
 *
 *   hold inventory → PROPOSED ──(startPayment: the lock-in)──→ PAYMENT_PENDING ──→ PAID → FULFILLED → ARCHIVED
 *                      │ timer fires → EXPIRED (release)          │ declined: back to PROPOSED while hold time
 *                      │ cancel → CANCELLED (release)             │ remains, else EXPIRED (release); no outcome
 *                                                                 │ within the payment timeout: voided = declined
 * After payment a cancel refunds (the compensation) and releases. Every transition is written to Postgres with
 * its outbox event by an activity; the workflow is the only writer of an order's state.
 */
import {
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities as OrderActivities } from '../activities';
import { workflowNow, workflowNowIso } from './clock';
// The shared views and handlers, then the outcomes both versions answer alike.
import { addToParty, awaitCancelled, current, registerViewHandlers, view } from './order-common';
import { cancelRefund, rejectedProposal } from './order-common';
import { NON_RETRYABLE_CODES, type ErrorCode } from '../domain/errors';
import { isTerminal, type OrderStatus } from '../domain/order';
import {
  addTraveler,
  cancelOrder,
  holdSeat,
  setTravelers,
  paymentNotification,
  startPayment,
  ORDER_STATUS_KEY,
  type OrderView,
  type OrderWorkflowInput,
  type PaymentNotification,
  type PaymentResult,
  type SeatRequest,
  type TravelerToAdd,
  type TravelersUpdate,
  type ProposalResult,
} from './messages';

const NON_RETRYABLE = NON_RETRYABLE_CODES;

const acts = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '20s',
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});
// Longer than the gateway's own timeout (payments.gateway_timeout_ms), so a hung call ends as "unknown" first.
const charging = proxyActivities<Pick<OrderActivities, 'chargePayment'>>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumInterval: '5s', nonRetryableErrorTypes: NON_RETRYABLE },
});
// The caller of accept waits for the hold: a few tries, then the order is given up and nothing stays held.
const holding = proxyActivities<Pick<OrderActivities, 'proposeOrder'>>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '300ms', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

// ---------------------------------------------------------------------------------------------- state
interface Payment {
  attempt: number;
  status: 'CHARGING' | 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'VOIDED' | 'REFUNDED';
  chargeId: string | null;
  declineCode: string | null;
  startedAt: number;
  outcome: 'succeeded' | 'failed' | null;
}

interface State {
  phase: 'HOLDING' | 'ACTIVE' | 'REJECTED';
  /** What payment charges: the offer's total, or a trip's total once its party is set. */
  totalAmount: number;
  travelers: number;
  seated: number;
  seatCount: number;
  status: OrderStatus;
  /** Set while an expiry or a cancel is being written: messages that would race it are refused. */
  closing: 'EXPIRING' | 'CANCELLING' | null;
  proposal: ProposalResult | null;
  proposalsServed: number;
  expiresAt: number;
  payments: Payment[];
  seenEvents: Set<string>;
  cancelRequest: { reason: string } | null;
  history: { status: OrderStatus; at: string }[];
}

function setStatus(s: State, status: OrderStatus): void {
  s.status = status;
  s.history.push({ status, at: workflowNowIso() });
  upsertSearchAttributes([{ key: ORDER_STATUS_KEY, value: status }]);
}

const reject = (type: ErrorCode, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

// ---------------------------------------------------------------------------------------------- workflow
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderView> {
  const s: State = {
    phase: 'HOLDING',
    totalAmount: input.totalAmount,
    travelers: input.travelers.length,
    seated: input.travelers.filter((t) => t.ptc !== 'INF').length,
    seatCount: input.seatCount ?? input.travelers.filter((t) => t.ptc !== 'INF').length,
    status: 'PROPOSED',
    closing: null,
    proposal: null,
    proposalsServed: 0,
    expiresAt: workflowNow() + input.holdSeconds * 1000,
    payments: [],
    seenEvents: new Set(),
    cancelRequest: null,
    history: [],
  };
  registerHandlers(input, s);

  if (!(await hold(input, s))) return view(input, s);
  while (!isTerminal(s.status)) {
    switch (s.status) {
      case 'PROPOSED':
        await whileProposed(input, s);
        break;
      case 'PAYMENT_PENDING':
        await whilePaymentPending(input, s);
        break;
      case 'PAID':
        await acts.fulfilOrder({ orderId: input.orderId, segments: input.segments, at: nowIso() });
        setStatus(s, 'FULFILLED');
        break;
      case 'FULFILLED':
        await untilDeparted(input, s);
        break;
    }
  }
  return view(input, s);
}

// ---------------------------------------------------------------------------------------------- handlers
function registerHandlers(input: OrderWorkflowInput, s: State): void {
  registerViewHandlers(input, s);

  setHandler(
    startPayment,
    async ({ paymentToken }): Promise<PaymentResult> => {
      // The lock-in: from here the expiry timer can no longer release this order's inventory.
      const payment: Payment = {
        attempt: s.payments.length + 1,
        status: 'CHARGING',
        chargeId: null,
        declineCode: null,
        startedAt: workflowNow(),
        outcome: null,
      };
      s.payments.push(payment);
      setStatus(s, 'PAYMENT_PENDING');
      const amount = { amount: s.totalAmount, currency: input.currency };
      await acts.markPaymentStarted({ orderId: input.orderId, attempt: payment.attempt, ...amount, at: nowIso() });
      const charge = await charging.chargePayment({
        orderId: input.orderId,
        attempt: payment.attempt,
        ...amount,
        paymentToken,
      });
      payment.chargeId ??= charge.chargeId;
      if (charge.status === 'succeeded' || charge.status === 'failed') {
        resolvePayment(payment, charge.status, charge.declineCode);
      } else if (payment.outcome === null) {
        payment.status = 'PENDING';
      }
      // A known outcome is answered once the main loop has acted on it (PAID, or back to PROPOSED / EXPIRED).
      if (payment.outcome !== null) await condition(() => s.status !== 'PAYMENT_PENDING');
      const result =
        payment.outcome === 'succeeded' ? 'PAID' : payment.outcome === 'failed' ? 'DECLINED' : 'PAYMENT_PENDING';
      return { status: result, declineCode: payment.declineCode, order: view(input, s) };
    },
    {
      validator: ({ paymentToken }) => {
        if (typeof paymentToken !== 'string' || paymentToken.length === 0) {
          throw reject('INVALID_STATE', 'a payment token is required');
        }
        if (s.phase !== 'ACTIVE') throw reject('INVALID_STATE', 'the order is not open for payment');
        if (
          s.status === 'EXPIRED' ||
          s.closing === 'EXPIRING' ||
          (s.status === 'PROPOSED' && workflowNow() >= s.expiresAt)
        ) {
          throw reject('HOLD_EXPIRED', 'the hold on this order has expired');
        }
        if (s.status !== 'PROPOSED' || s.closing !== null || s.cancelRequest !== null) {
          throw reject('INVALID_STATE', `an order in state ${s.status} cannot be paid`);
        }
        if (s.travelers === 0) {
          throw reject('INVALID_STATE', 'add the travelers before paying: nothing could be ticketed');
        }
      },
    },
  );

  // Trips (the README's trip-hold API): the party and seats are chosen while the hold runs.
  setHandler(
    addTraveler,
    (traveler: TravelerToAdd) =>
      addToParty(s, traveler, (position) => acts.addTraveler({ orderId: input.orderId, position, traveler })),
    {
      validator: (traveler: TravelerToAdd) => {
        assertOpenForChanges(input, s);
        if (traveler.ptc !== 'INF' && s.seated >= s.seatCount) {
          throw reject('VALIDATION_FAILED', `this trip holds ${s.seatCount} seat(s): no room for another traveler`);
        }
      },
    },
  );

  setHandler(
    holdSeat,
    async (seat: SeatRequest) => {
      // The lock lives as long as the hold (plus a margin); the workflow releases it on expiry or cancel.
      const ttlMs = Math.max(s.expiresAt - workflowNow(), 0) + 60_000;
      await acts.holdSeat({ orderId: input.orderId, seat, ttlMs, maxSeats: s.seatCount });
      return { ...seat, expiresAt: new Date(s.expiresAt).toISOString() };
    },
    {
      validator: (seat: SeatRequest) => {
        assertOpenForChanges(input, s, { offersToo: true });
        if (!input.segments.some((seg) => seg.flightId === seat.flightId)) {
          throw reject('VALIDATION_FAILED', `flight ${seat.flightId} is not part of this order`);
        }
      },
    },
  );

  setHandler(
    setTravelers,
    async (update: TravelersUpdate) => {
      await acts.replaceTravelers({ orderId: input.orderId, update });
      s.totalAmount = update.totalAmount;
      s.travelers = update.travelers.length;
      s.seated = update.travelers.filter((t) => t.ptc !== 'INF').length;
      return view(input, s);
    },
    {
      validator: (update: TravelersUpdate) => {
        assertOpenForChanges(input, s);
        const seated = update.travelers.filter((t) => t.ptc !== 'INF').length;
        if (update.travelers.length === 0 || seated > s.seatCount) {
          throw reject('VALIDATION_FAILED', `this trip holds ${s.seatCount} seat(s) for ${seated} seated traveler(s)`);
        }
      },
    },
  );

  setHandler(paymentNotification, (n: PaymentNotification) => {
    if (s.seenEvents.has(n.eventId)) return; // a provider may deliver an event more than once
    s.seenEvents.add(n.eventId);
    const payment = s.payments.find((p) => p.chargeId === n.chargeId) ?? current(s);
    if (!payment || payment !== current(s) || s.status !== 'PAYMENT_PENDING' || payment.outcome !== null) return;
    payment.chargeId ??= n.chargeId;
    resolvePayment(payment, n.outcome, n.declineCode);
  });

  setHandler(cancelOrder, awaitCancelled(input, s), {
    validator: (_request) => {
      if (s.phase !== 'ACTIVE' || isTerminal(s.status) || s.closing !== null || s.cancelRequest !== null) {
        throw reject('INVALID_STATE', `an order in state ${s.status} cannot be cancelled`);
      }
      if (s.status === 'PAYMENT_PENDING') {
        throw reject('INVALID_STATE', 'a payment is in progress; cancel once it has an outcome');
      }
    },
  });
}

/** Changes to the party or seats: only while PROPOSED and the hold runs; party changes only on trips. */
function assertOpenForChanges(input: OrderWorkflowInput, s: State, opts: { offersToo?: boolean } = {}): void {
  if (s.phase !== 'ACTIVE') throw reject('INVALID_STATE', 'the order is not open for changes');
  if (s.status === 'EXPIRED' || s.closing === 'EXPIRING' || (s.status === 'PROPOSED' && workflowNow() >= s.expiresAt)) {
    throw reject('HOLD_EXPIRED', 'the hold on this trip has expired');
  }
  if (s.status !== 'PROPOSED' || s.closing !== null || s.cancelRequest !== null) {
    throw reject('INVALID_STATE', `an order in state ${s.status} cannot be changed`);
  }
  if (!opts.offersToo && input.source !== 'TRIP') {
    throw reject('INVALID_STATE', 'the travelers of an accepted offer are fixed; only trips take changes');
  }
}

function resolvePayment(p: Payment, outcome: 'succeeded' | 'failed', declineCode: string | null): void {
  p.outcome = outcome;
  p.status = outcome === 'succeeded' ? 'SUCCEEDED' : 'FAILED';
  p.declineCode = declineCode;
}

// ---------------------------------------------------------------------------------------------- phases
/** The first activity: hold every leg for every seated traveler and record the order, or reject it. */
async function hold(input: OrderWorkflowInput, s: State): Promise<boolean> {
  try {
    await holding.proposeOrder(input, new Date(s.expiresAt).toISOString());
    s.phase = 'ACTIVE';
    s.proposal = { outcome: 'PROPOSED', created: true, order: view(input, s) };
    setStatus(s, 'PROPOSED');
    return true;
  } catch (err) {
    s.phase = 'REJECTED';
    s.proposal = rejectedProposal(err);
    // Let the caller of accept read the answer before the workflow closes.
    await condition(() => s.proposalsServed > 0, '1 minute');
    return false;
  }
}

/** PROPOSED: the durable hold timer races payment and cancel. */
async function whileProposed(input: OrderWorkflowInput, s: State): Promise<void> {
  const remaining = s.expiresAt - workflowNow();
  if (remaining > 0) {
    await condition(() => s.status !== 'PROPOSED' || s.cancelRequest !== null, remaining);
  }
  if (s.status !== 'PROPOSED') return; // payment started: the lock-in won
  if (s.cancelRequest) return cancel(input, s);
  s.closing = 'EXPIRING';
  await acts.expireOrder({ orderId: input.orderId, at: nowIso() });
  s.closing = null;
  setStatus(s, 'EXPIRED');
}

/** PAYMENT_PENDING: wait for the outcome (gateway answer or webhook), void it when it never comes. */
async function whilePaymentPending(input: OrderWorkflowInput, s: State): Promise<void> {
  const payment = current(s)!;
  const deadline = payment.startedAt + input.paymentTimeoutSeconds * 1000;
  const resolved = await condition(() => payment.outcome !== null, Math.max(deadline - workflowNow(), 1));
  if (!resolved) {
    const voided = await acts.voidPayment({
      orderId: input.orderId,
      attempt: payment.attempt,
      chargeId: payment.chargeId,
    });
    if (payment.outcome === null) {
      payment.chargeId ??= voided.chargeId;
      resolvePayment(payment, voided.status === 'succeeded' ? 'succeeded' : 'failed', voided.declineCode);
      if (voided.status !== 'succeeded') payment.status = 'VOIDED';
    }
  }
  if (payment.outcome === 'succeeded') {
    await acts.markPaid({
      orderId: input.orderId,
      attempt: payment.attempt,
      chargeId: payment.chargeId!,
      at: nowIso(),
    });
    setStatus(s, 'PAID');
  } else if (workflowNow() < s.expiresAt) {
    await acts.markPaymentFailed({
      orderId: input.orderId,
      attempt: payment.attempt,
      declineCode: payment.declineCode,
      at: nowIso(),
    });
    setStatus(s, 'PROPOSED');
  } else {
    await acts.expireOrder({ orderId: input.orderId, at: nowIso() });
    setStatus(s, 'EXPIRED');
  }
}

/** FULFILLED: archive once the last flight has departed, unless cancelled first (refund). */
async function untilDeparted(input: OrderWorkflowInput, s: State): Promise<void> {
  const lastDeparture = Math.max(...input.segments.map((seg) => Date.parse(seg.departureAt)));
  const wait = lastDeparture + input.archiveGraceSeconds * 1000 - workflowNow();
  const cancelled = wait > 0 ? await condition(() => s.cancelRequest !== null, wait) : s.cancelRequest !== null;
  if (cancelled) return cancel(input, s);
  await acts.archiveOrder({ orderId: input.orderId, at: nowIso() });
  setStatus(s, 'ARCHIVED');
}

/** Before payment: release. After payment: refund (the compensation for the charge), then release. */
async function cancel(input: OrderWorkflowInput, s: State): Promise<void> {
  const paid = current(s);
  const refund = cancelRefund(input, s);
  s.closing = 'CANCELLING';
  await acts.cancelOrder({ orderId: input.orderId, at: nowIso(), reason: s.cancelRequest!.reason, refund });
  if (refund && paid) paid.status = 'REFUNDED';
  s.closing = null;
  setStatus(s, 'CANCELLED');
}

const nowIso = workflowNowIso;
