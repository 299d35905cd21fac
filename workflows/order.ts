/**
 * The order lifecycle, v2: one durable workflow per order (workflow id `order-<orderId>`, type `orderWorkflowV2`).
 *
 *   hold → PROPOSED ──(payment: the lock-in)──→ PAYMENT_PENDING ──→ PAID → FULFILLED ──(after departure)──→ ARCHIVED
 *            │ timer fires → EXPIRED (release)     │ declined: back to PROPOSED while hold time remains, else EXPIRED;
 *            │ cancel → CANCELLED (release)        │ no outcome within the payment timeout: voided = declined
 *                                                  FULFILLED: cancel → refund (the compensation), CANCELLED
 *
 * Writes of the order's own state go through local activities (one marker event each); what calls the payment
 * provider is a full activity. Payment lives in one place: the handlers only ask for it (`requestPayment`), the
 * PAYMENT_PENDING phase (`pay`) charges, waits, voids and settles. v1 orders in flight keep running
 * workflows/order-v1.ts.
 */
import {
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_CODES, type ErrorCode } from '../domain/errors';
import { holdExpired, isPaid, isTerminal, type OrderStatus } from '../domain/order';
import { workflowNow, workflowNowIso } from './clock';
import {
  activityCause,
  addToParty,
  awaitCancelled,
  cancelRefund,
  current,
  registerViewHandlers,
  rejectedProposal,
  view,
} from './order-common';
import {
  addServices,
  addTraveler,
  answerDisruption,
  cancelOrder,
  changeOrder,
  chooseSeat,
  claimCustomer,
  commitTrip,
  CUSTOMER_ID_KEY,
  DISRUPTION_KEY,
  confirmCancellation,
  flightDisrupted,
  holdSeat,
  paymentNotification,
  quoteCancellation,
  removeService,
  setTravelers,
  startPayment,
  ORDER_STATUS_KEY,
  ORDER_WORKFLOW_TYPE,
  type ChangeConfirm,
  type DisruptionAnswer,
  type FlightDisrupted,
  type OrderSegment,
  type OrderView,
  type OrderWorkflowInput,
  type PaymentResult,
  type ProposalResult,
  type SeatChoice,
  type SeatChosen,
  type SeatRequest,
  type ServiceRemoval,
  type ServicesRequest,
  type TravelerToAdd,
  type TravelersUpdate,
  type TripCommit,
  type PaymentNotification,
} from './messages';

// ---------------------------------------------------------------------------------------------- activities
const retry = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '20s' } as const;
const nonRetryableErrorTypes = NON_RETRYABLE_CODES;

/** Both kinds' defaults: 30 s an attempt, retried with backoff, the domain's refusals not retried. */
const withDefaults = <O extends object>(summary: string, opts: O) => ({
  startToCloseTimeout: '30s',
  retry: { ...retry, nonRetryableErrorTypes },
  summary,
  ...opts,
});
/** Local activities: the order's own records in Postgres (and the seats in Redis), named for the UI. */
const local = (summary: string, opts: Partial<LocalActivityOptions> = {}) =>
  proxyLocalActivities<Activities>(withDefaults(summary, opts));
/** Full activities: the payment provider's other calls (voids, refunds, changes and services charged), on their own slots. */
const remote = (summary: string, opts: Partial<ActivityOptions> = {}) =>
  proxyActivities<Activities>(withDefaults(summary, opts));

// The caller of accept waits for the hold: a few tries, then the order is given up and nothing stays held.
const PROPOSAL_ATTEMPT_TIMEOUT_MS = 15_000;
const { proposeOrder } = local('hold the seats', {
  startToCloseTimeout: PROPOSAL_ATTEMPT_TIMEOUT_MS,
  retry: { initialInterval: '300ms', maximumAttempts: 5, nonRetryableErrorTypes },
});
// Longer than the gateway's own timeout (payments.gateway_timeout_ms), so a hung call ends as "unknown" first.
const CHARGE = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumInterval: '5s', nonRetryableErrorTypes },
} as const;
// The order's charge runs inside the workflow task that took the payment (a local activity: one marker in history
// instead of six events and two more round trips to the server). It is one short call with an idempotency key per
// attempt, so running it again after a worker died mid-call charges once. Orders charged before this change
// (patched 'charge-in-workflow-task') replay their full activity.
const { chargeOrder } = remote('charge the card', CHARGE);
const { chargeOrder: chargeOrderInTask } = local('charge the card', CHARGE);
const { voidPayment } = remote('void the unresolved payment');
const { cancelOrder: refundAndCancel } = remote('refund and cancel');
// Once paid, selling the seats and issuing the documents must succeed: retried until it does (or refunded).
const { completeSale } = local('sell the seats, issue tickets', { retry: { ...retry, maximumInterval: '1 minute' } });
const { markPaymentFailed } = local('record the decline');
const { expireOrder } = local('release the expired hold');
const { cancelOrder: releaseAndCancel } = local('release and cancel');
const { archiveOrder } = local('archive');
const { addTraveler: recordTraveler } = local('add a traveler');
const { holdSeat: lockSeat } = local('hold a seat');
const { chooseSeat: seatTraveler } = local('seat a traveler');
const { replaceTravelers, prepareTripCommit } = local('set the party');
// A voluntary change: hold the new flights first, pay, then exchange (retried until done, or the money goes back).
const { holdChange } = local('hold the new flights');
const { releaseChangeHold } = local('release the new flights');
const { chargeChange } = remote('charge the change', {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumInterval: '5s', nonRetryableErrorTypes },
});
const { applyChange } = local('exchange flights and tickets', { retry: { ...retry, maximumInterval: '1 minute' } });
const { refundChange } = remote('refund the change');
const { quoteCancellation: recordCancellationQuote } = local('quote the cancellation');
// Servicing a paid order: the checks and writes are the order's own records; charges and refunds call the provider.
const { priceServices, priceSeatChange } = local('price the servicing');
const { issueServices } = local('issue the services’ EMDs', { retry: { ...retry, maximumInterval: '1 minute' } });
const { changeSoldSeat } = local('change the seat, reissue the boarding pass');
const { chargeServicing } = remote('charge the servicing', {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumInterval: '5s', nonRetryableErrorTypes },
});
const { refundServicing } = remote('refund the servicing', { retry: { ...retry, maximumInterval: '1 minute' } });
const { removeService: refundAndRemoveService } = remote('refund and remove a service');
// Late payments: the provider is asked about the charge (never the webhook trusted); the refund must happen.
const { confirmLatePayment } = remote('confirm the late payment');
const { markPaymentStarted: recordLatePayment } = local('record the late payment');
const { refundLatePayment } = remote('refund the late payment', { retry: { ...retry, maximumInterval: '1 minute' } });
// Airline-initiated changes: the order's disruption recorded (options held), then the answer carried out.
const { prepareDisruption } = local('record the disruption, hold the options', {
  retry: { ...retry, maximumInterval: '1 minute' },
});
const { resolveDisruption } = local('record the disruption’s answer');

// ---------------------------------------------------------------------------------------------- state
interface Payment {
  attempt: number;
  /** The vault reference of the card token (never the token). */
  ref: string;
  status: 'CHARGING' | 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'VOIDED' | 'REFUNDED';
  chargeId: string | null;
  declineCode: string | null;
  startedAt: number;
  outcome: 'succeeded' | 'failed' | null;
  /** The payment's caller has its answer (PAID / DECLINED once settled, PAYMENT_PENDING while a webhook is due). */
  answered: boolean;
  /** A charge that succeeded after the order stopped waiting for it, paying the order (nothing is charged). */
  late?: boolean;
}

interface State {
  phase: 'HOLDING' | 'OPEN' | 'REJECTED';
  status: OrderStatus;
  /** The status last written to the OrderStatus search attribute. */
  published: OrderStatus;
  /** What payment charges: the offer's total, or a trip's total once its party is set. */
  totalAmount: number;
  travelers: number;
  seated: number;
  /** Seats held per segment (a trip holds seats before it has names). */
  seats: number;
  expiresAt: number;
  /** Set while an expiry or a cancel is being written: messages that would race it are refused. */
  closing: 'EXPIRING' | 'CANCELLING' | null;
  /** `involuntary`: the airline's side ended the sale (the customer is owed everything paid, whatever the fare). */
  cancelRequest: { reason: string; involuntary?: boolean; quoteId?: string } | null;
  /**
   * The servicing action in progress on a paid order ('CHANGE', 'CANCELLATION_QUOTE', …): other servicing and
   * cancels are refused meanwhile.
   */
  servicing: string | null;
  /** The latest cancellation quote and its expiry (workflow clock): only this one confirms, and only before then. */
  quote: { id: string; expiresAt: number } | null;
  payments: Payment[];
  seenEvents: Set<string>;
  proposal: ProposalResult | null;
  proposalsServed: number;
  /** A seat choice is being written: the next one waits (a traveler's change must see their current seat). */
  seating: boolean;
  /** Servicing charges made so far: each has its own idempotency key (order + attempt). */
  servicingAttempts: number;
  history: { status: OrderStatus; at: string }[];
  /** The order's segments: the input's, until a voluntary change replaces some (archive waits for the last). */
  segments: OrderSegment[];
  /** Changes applied (the archive wait starts again after each); change payments tried (their attempt numbers). */
  changes: number;
  changeAttempts: number;
  /** Late payments: the charges seen (each handled once) and those still being decided or refunded. */
  lateCharges: Set<string>;
  lateInFlight: number;
  /** Airline-initiated changes (patched 'airline-disruption'): signalled, not yet handled; seen; the open one. */
  disruptionQueue: FlightDisrupted[];
  disruptionsSeen: Set<string>;
  disruption: { id: string; optionIds: string[] } | null;
  disruptionAnswer: DisruptionAnswer | null;
}

const nowIso = workflowNowIso;
const reject = (type: ErrorCode, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

// ---------------------------------------------------------------------------------------------- workflow
export async function orderWorkflowV2(input: OrderWorkflowInput): Promise<OrderView> {
  const seated = input.travelers.filter((t) => t.ptc !== 'INF').length;
  const s: State = {
    phase: 'HOLDING',
    status: 'PROPOSED',
    published: 'PROPOSED', // set at start by the API
    totalAmount: input.totalAmount,
    travelers: input.travelers.length,
    seated,
    seats: input.seatCount ?? seated,
    expiresAt: workflowNow() + input.holdSeconds * 1000,
    closing: null,
    cancelRequest: null,
    servicing: null,
    quote: null,
    payments: [],
    seenEvents: new Set(),
    proposal: null,
    proposalsServed: 0,
    seating: false,
    servicingAttempts: 0,
    history: [],
    segments: input.segments,
    changes: 0,
    changeAttempts: 0,
    lateCharges: new Set(),
    lateInFlight: 0,
    disruptionQueue: [],
    disruptionsSeen: new Set(),
    disruption: null,
    disruptionAnswer: null,
  };
  registerHandlers(input, s);

  if (input.reinstated) reinstate(input, s, input.reinstated);
  else if (!(await hold(input, s))) return view(input, s);
  while (!isTerminal(s.status)) {
    if (s.status === 'PROPOSED') await whileProposed(input, s);
    else if (s.status === 'PAYMENT_PENDING') await pay(input, s);
    else await untilArchived(input, s); // FULFILLED
  }
  await condition(() => s.lateInFlight === 0); // a late payment's refund finishes before the workflow closes
  publish(input, s);
  return view(input, s);
}

// ---------------------------------------------------------------------------------------------- handlers
function registerHandlers(input: OrderWorkflowInput, s: State): void {
  registerViewHandlers(input, s);
  registerDisruptionHandlers(input, s);

  setHandler(startPayment, ({ paymentToken }) => answerOf(input, s, requestPayment(input, s, paymentToken)), {
    validator: ({ paymentToken }) => {
      if (typeof paymentToken !== 'string' || paymentToken.length === 0) {
        throw reject('VALIDATION_FAILED', 'a payment token is required');
      }
      assertPayable(input, s);
    },
  });

  // Trips (the README's trip-hold API): the party and seats are chosen while the hold runs, then committed.
  setHandler(
    addTraveler,
    (traveler: TravelerToAdd) =>
      addToParty(s, traveler, (position) => recordTraveler({ orderId: input.orderId, position, traveler })),
    {
      validator: (traveler: TravelerToAdd) => {
        assertOpenForChanges(input, s, 'party');
        if (traveler.ptc !== 'INF' && s.seated >= s.seats) {
          throw reject('VALIDATION_FAILED', `this trip holds ${s.seats} seat(s): no room for another traveler`);
        }
      },
    },
  );

  setHandler(
    holdSeat,
    async (seat: SeatRequest) => {
      await lockSeat({ orderId: input.orderId, seat, ttlMs: seatLockTtl(s), maxSeats: s.seats });
      return { ...seat, expiresAt: new Date(s.expiresAt).toISOString() };
    },
    { validator: (seat: SeatRequest) => assertSeatOfOrder(input, s, seat) },
  );

  setHandler(
    chooseSeat,
    async (choice: SeatChoice) => {
      // Marks the histories of orders that chose seats this way (a message v2 orders did not take before).
      patched('seat-choice');
      if (s.status === 'FULFILLED' && patched('seat-after-booking')) return changePaidSeat(input, s, choice);
      await condition(() => !s.seating);
      s.seating = true;
      try {
        assertSeatOfOrder(input, s, choice); // again: the order may have moved on while this choice waited
        const { totalAmount } = await seatTraveler({
          orderId: input.orderId,
          travelerId: choice.travelerId,
          seat: { flightId: choice.flightId, seatNumber: choice.seatNumber },
          ttlMs: seatLockTtl(s),
          maxSeats: s.seats,
        });
        s.totalAmount = totalAmount;
        return { ...choice, totalAmount, expiresAt: new Date(s.expiresAt).toISOString() };
      } finally {
        s.seating = false;
      }
    },
    {
      validator: (choice: SeatChoice) => {
        if (typeof choice.travelerId !== 'string' || choice.travelerId.length === 0) {
          throw reject('VALIDATION_FAILED', 'a traveler id is required');
        }
        if (s.status === 'FULFILLED') {
          assertServiceable(s);
          if (!input.segments.some((seg) => seg.flightId === choice.flightId)) {
            throw reject('VALIDATION_FAILED', `flight ${choice.flightId} is not part of this order`);
          }
          return;
        }
        assertSeatOfOrder(input, s, choice);
      },
    },
  );

  setHandler(
    setTravelers,
    async (update: TravelersUpdate) => {
      await replaceTravelers({ orderId: input.orderId, update });
      setParty(s, update);
      return view(input, s);
    },
    { validator: (update: TravelersUpdate) => assertParty(input, s, update) },
  );

  setHandler(
    commitTrip,
    async ({ seats, party, paymentToken }) => {
      await prepareTripCommit({
        orderId: input.orderId,
        seats,
        ttlMs: seatLockTtl(s),
        maxSeats: s.seats,
        update: party,
      });
      setParty(s, party);
      assertPayable(input, s); // the hold may have run out while the seats were taken
      return answerOf(input, s, requestPayment(input, s, paymentToken));
    },
    {
      validator: ({ seats, party, paymentToken }: TripCommit) => {
        if (typeof paymentToken !== 'string' || paymentToken.length === 0) {
          throw reject('VALIDATION_FAILED', 'a payment token is required');
        }
        assertParty(input, s, party);
        for (const seat of seats) assertSeatOfOrder(input, s, seat);
        assertPayable(input, s, { partyComing: true });
      },
    },
  );

  // The order's owner in Postgres moved to the account that claimed its guest: operators find it by the account.
  setHandler(claimCustomer, ({ customerId }) => {
    if (!patched('claim-customer')) return;
    if (typeof customerId !== 'string' || customerId.length === 0) return;
    upsertSearchAttributes([{ key: CUSTOMER_ID_KEY, value: customerId }]);
  });
  setHandler(
    changeOrder,
    async (req: ChangeConfirm) => {
      patched('voluntary-change');
      s.servicing = 'CHANGE';
      try {
        return await change(input, s, req);
      } finally {
        s.servicing = null;
      }
    },
    {
      validator: (req: ChangeConfirm) => {
        if (typeof req.changeOfferId !== 'string' || req.changeOfferId.length === 0) {
          throw reject('VALIDATION_FAILED', 'a change offer id is required');
        }
        if (s.phase !== 'OPEN' || s.status !== 'FULFILLED') {
          throw reject('INVALID_STATE', `an order in state ${s.status} cannot be changed`);
        }
        if (s.servicing !== null || s.cancelRequest !== null || s.closing !== null) {
          throw reject(
            'INVALID_STATE',
            'another action on this order is in progress; try again once it has an outcome',
          );
        }
      },
    },
  );

  setHandler(
    addServices,
    (request: ServicesRequest) =>
      servicing(s, 'ADDING_SERVICES', async () => {
        patched('services-after-booking');
        const priced = await priceServices({ orderId: input.orderId, services: request.services });
        let chargeId: string | null = null;
        const attempt = ++s.servicingAttempts;
        if (priced.amount > 0) chargeId = await chargeOrRefuse(input, attempt, priced.amount, request.paymentToken);
        try {
          const issued = await issueServices({
            orderId: input.orderId,
            attempt,
            chargeId,
            lines: priced.lines,
            at: nowIso(),
          });
          return {
            services: issued.services,
            total: issued.total,
            charged: { amount: priced.amount, currency: input.currency },
            chargeId,
          };
        } catch (err) {
          // Money has moved but the services could not be issued: give it back, then answer with the failure.
          if (chargeId) await refundServicing(refundOf(input, chargeId, priced.amount, `servicing-refund-${attempt}`));
          throw err;
        }
      }),
    {
      validator: (request: ServicesRequest) => {
        if (typeof request.paymentToken !== 'string' || request.paymentToken.length === 0) {
          throw reject('VALIDATION_FAILED', 'a payment token is required');
        }
        assertServiceable(s);
      },
    },
  );

  setHandler(
    removeService,
    ({ orderItemId }: ServiceRemoval) =>
      servicing(s, 'REMOVING_SERVICE', async () => {
        patched('services-after-booking');
        return refundAndRemoveService({ orderId: input.orderId, orderItemId, at: nowIso() });
      }),
    { validator: (_removal: ServiceRemoval) => assertServiceable(s) },
  );

  setHandler(paymentNotification, (n) => {
    if (s.seenEvents.has(n.eventId)) return; // a provider may deliver an event more than once
    s.seenEvents.add(n.eventId);
    const p = current(s);
    // Only the charge this order is waiting for settles it: an event naming another charge changes nothing.
    if (
      !p ||
      s.status !== 'PAYMENT_PENDING' ||
      p.outcome !== null ||
      p.chargeId === null ||
      p.chargeId !== n.chargeId
    ) {
      // A success for a charge this order does not wait for: it pays the order or is refunded, never kept.
      if (n.outcome === 'succeeded' && patched('late-payment')) {
        void latePayment(input, s, n);
        return;
      }
      log.warn('payment event ignored: not the charge this order waits for', {
        eventId: n.eventId,
        chargeId: n.chargeId,
      });
      return;
    }
    settle(p, n.outcome, n.declineCode);
  });

  setHandler(cancelOrder, awaitCancelled(input, s), {
    validator: (_request) => {
      if (s.phase !== 'OPEN' || isTerminal(s.status) || s.closing !== null || s.cancelRequest !== null) {
        throw reject('INVALID_STATE', `an order in state ${s.status} cannot be cancelled`);
      }
      if (s.servicing !== null) {
        throw reject('INVALID_STATE', 'the order is being changed or serviced; cancel once that has an answer');
      }
      if (s.status === 'PAYMENT_PENDING') {
        throw reject('INVALID_STATE', 'a payment is in progress; cancel once it has an outcome');
      }
    },
  });

  // Cancellation after the sale: a quote (refund per the fare conditions, with an expiry), then its confirm.
  setHandler(
    quoteCancellation,
    async ({ quoteId, ttlSeconds }) => {
      patched('cancellation-quote');
      s.servicing = 'CANCELLATION_QUOTE';
      try {
        const expiresAt = workflowNow() + ttlSeconds * 1000;
        const quoted = await recordCancellationQuote({
          orderId: input.orderId,
          quoteId,
          at: nowIso(),
          expiresAt: new Date(expiresAt).toISOString(),
          charge: paidCharge(s),
        });
        s.quote = { id: quoteId, expiresAt };
        return quoted;
      } finally {
        s.servicing = null;
      }
    },
    {
      validator: ({ quoteId, ttlSeconds }) => {
        if (typeof quoteId !== 'string' || quoteId.length === 0 || !(ttlSeconds > 0)) {
          throw reject('VALIDATION_FAILED', 'a quote id and a positive lifetime are required');
        }
        assertCancellable(s, 'quoted for cancellation');
      },
    },
  );

  setHandler(
    confirmCancellation,
    async ({ quoteId }) => {
      patched('cancellation-quote');
      s.cancelRequest ??= { reason: 'customer request (cancellation quote)', quoteId };
      await condition(() => s.status === 'CANCELLED');
      return view(input, s);
    },
    {
      validator: ({ quoteId }) => {
        if (s.cancelRequest?.quoteId === quoteId) return; // the same confirm again while it runs: the same answer
        assertCancellable(s, 'cancelled');
        if (s.quote === null || s.quote.id !== quoteId) {
          throw reject('INVALID_STATE', 'this is not the order’s latest cancellation quote: confirm the latest one');
        }
        if (workflowNow() >= s.quote.expiresAt) {
          throw reject('QUOTE_EXPIRED', 'this cancellation quote has expired: ask for a new quote');
        }
      },
    },
  );
}

// ---------------------------------------------------------------------------------------------- disruptions
/**
 * Airline-initiated changes (issue #15, patched 'airline-disruption'): the fan-out (workflows/flight-disruption.ts)
 * signals `flightDisrupted`; the FULFILLED phase handles it (`onDisruption`); `answerDisruption` is the customer's
 * accept or refund while it is open.
 */
function registerDisruptionHandlers(input: OrderWorkflowInput, s: State): void {
  setHandler(flightDisrupted, (d: FlightDisrupted) => {
    if (!patched('airline-disruption')) return;
    if (typeof d?.disruptionId !== 'string' || s.disruptionsSeen.has(d.disruptionId)) return;
    s.disruptionsSeen.add(d.disruptionId);
    s.disruptionQueue.push(d);
  });
  setHandler(
    answerDisruption,
    async (answer: DisruptionAnswer) => {
      const id = s.disruption!.id;
      s.disruptionAnswer = answer;
      // A refund answers once the order is CANCELLED (its refund done), an accept once the move is.
      await condition(() => s.disruption?.id !== id && (answer.action !== 'refund' || s.status === 'CANCELLED'));
      return view(input, s);
    },
    {
      validator: (answer: DisruptionAnswer) => {
        if (s.disruption === null || s.disruptionAnswer !== null) {
          throw reject('NO_OPEN_DISRUPTION', 'this order has no open disruption to answer');
        }
        if (answer?.action !== 'accept' && answer?.action !== 'refund') {
          throw reject('VALIDATION_FAILED', 'the action is accept or refund');
        }
        if (answer.action === 'accept' && !s.disruption.optionIds.includes(answer.optionId ?? '')) {
          throw reject('VALIDATION_FAILED', 'option_id is not one of this disruption’s options');
        }
      },
    },
  );
}

/** A disruption is handled when nothing else runs on the order. */
const disruptionDue = (s: State) => s.disruptionQueue.length > 0 && s.servicing === null && s.closing === null;

/**
 * One disruption: recorded with its options held (a retime within the tolerance is accepted there and then), then
 * the customer's answer or, at `respond_by`, the configured default: accept an option (a change of total 0:
 * tickets reissued, no charge, the other options' holds given back), keep a retimed flight, or a full refund
 * (involuntary: everything paid, whatever the fare).
 */
async function onDisruption(input: OrderWorkflowInput, s: State): Promise<void> {
  const { orderId } = input;
  const d = s.disruptionQueue.shift()!;
  s.servicing = 'DISRUPTION';
  try {
    let prepared: Awaited<ReturnType<typeof prepareDisruption>>;
    try {
      prepared = await prepareDisruption({ orderId, disruptionId: d.disruptionId, at: nowIso() });
    } catch (err) {
      // Refused for good (bad data): the order stays as it is rather than failing its workflow.
      log.error('disruption could not be recorded', { disruptionId: d.disruptionId, error: String(err) });
      return;
    }
    if (!prepared) return;
    upsertSearchAttributes([{ key: DISRUPTION_KEY, value: prepared.kind }]);
    s.segments = prepared.segments;
    s.changes++; // the archive wait starts again from the (new) last departure
    if (prepared.status !== 'OPEN' || prepared.respondBy === null) return;
    s.disruption = { id: prepared.disruptionId, optionIds: prepared.optionIds };
    publish(input, s, `the answer to ${prepared.kind} (${prepared.defaultAction} by default)`);
    const remaining = prepared.respondBy - workflowNow();
    if (remaining > 0) {
      await condition(() => s.disruptionAnswer !== null, remaining, { summary: 'disruption response window' });
    }
    const by = s.disruptionAnswer ? ('customer' as const) : ('default' as const);
    const first = prepared.optionIds[0];
    const answer: DisruptionAnswer =
      s.disruptionAnswer ??
      (prepared.defaultAction === 'protect' && first ? { action: 'accept', optionId: first } : { action: 'refund' });
    const at = nowIso();
    if (answer.action === 'refund') {
      await resolveDisruption({ orderId, disruptionId: d.disruptionId, action: 'refunded', by, optionId: null, at });
      // The options' holds go with the order's other seats (the cancel releases everything the order has).
      s.cancelRequest = { reason: `airline-initiated change (${prepared.kind}): refunded`, involuntary: true };
      return;
    }
    if (prepared.kind === 'FLIGHT_CANCELLED') {
      let applied: Awaited<ReturnType<typeof applyChange>>;
      try {
        applied = await applyChange({ orderId, changeOfferId: answer.optionId!, chargeId: null, at });
      } catch (err) {
        // The move was refused for good: the customer is owed the refund instead (never left on a cancelled flight).
        log.error('re-accommodation could not be applied: refunded', { optionId: answer.optionId, error: String(err) });
        await resolveDisruption({ orderId, disruptionId: d.disruptionId, action: 'refunded', by, optionId: null, at });
        s.cancelRequest = { reason: `airline-initiated change (${prepared.kind}): refunded`, involuntary: true };
        return;
      }
      s.segments = applied.segments;
      s.totalAmount = applied.totalAmount;
      for (const other of prepared.optionIds.filter((id) => id !== answer.optionId)) {
        await releaseChangeHold({ orderId, changeOfferId: other });
      }
      s.changes++;
    }
    await resolveDisruption({
      orderId,
      disruptionId: d.disruptionId,
      action: 'accepted',
      by,
      optionId: answer.optionId ?? null,
      at,
    });
  } finally {
    s.servicing = null;
    s.disruption = null;
    s.disruptionAnswer = null;
  }
}

/** A cancellation can be quoted and confirmed before payment (PROPOSED, refunds 0) and once sold (FULFILLED). */
function assertCancellable(s: State, what: string): void {
  if (s.phase !== 'OPEN' || (s.status !== 'PROPOSED' && s.status !== 'FULFILLED')) {
    throw reject('INVALID_STATE', `an order in state ${s.status} cannot be ${what}`);
  }
  if (s.servicing !== null || s.cancelRequest !== null || s.closing !== null || s.seating) {
    throw reject('INVALID_STATE', 'another change to this order is in progress; try again once it has an answer');
  }
  if (s.status === 'PROPOSED' && holdExpired({ ...s, expiring: false }, workflowNow())) {
    throw reject('HOLD_EXPIRED', 'the hold on this order has expired');
  }
}

/** The charge a cancellation gives back against: the order's successful payment, once sold. */
function paidCharge(s: State): { chargeId: string; amount: number } | null {
  const p = current(s);
  return isPaid(s.status) && p?.chargeId ? { chargeId: p.chargeId, amount: s.totalAmount } : null;
}

/**
 * A voluntary change of a paid order (patched 'voluntary-change'): the new flights are held first (SOLD_OUT or an
 * expired change offer: nothing changes), a positive total is charged (declined: the new hold is given back, the
 * order exactly as it was), then one transaction sells the new flights, gives back the old and reissues the
 * tickets; a negative total is refunded. Money taken for a change that then cannot be applied goes back.
 */
async function change(input: OrderWorkflowInput, s: State, req: ChangeConfirm) {
  const { orderId } = input;
  const { changeOfferId } = req;
  const held = await holdChange({ orderId, changeOfferId, at: nowIso() });
  let chargeId: string | null = null;
  if (held.changeTotalAmount > 0) {
    if (!req.paymentToken) {
      await releaseChangeHold({ orderId, changeOfferId });
      throw reject('VALIDATION_FAILED', 'this change costs more: a payment token is required');
    }
    const attempt = 1000 + ++s.changeAttempts;
    const charged = await chargeChange({
      orderId,
      changeOfferId,
      attempt,
      amount: held.changeTotalAmount,
      currency: held.currency,
      payment: req.paymentToken,
    });
    if (charged.status !== 'succeeded') {
      await releaseChangeHold({ orderId, changeOfferId });
      throw ApplicationFailure.create({
        type: 'PAYMENT_DECLINED',
        message: 'the payment for the change was declined; the order is unchanged',
        nonRetryable: true,
        details: [{ decline_code: charged.declineCode }],
      });
    }
    chargeId = charged.chargeId;
  }
  try {
    const applied = await applyChange({ orderId, changeOfferId, chargeId, at: nowIso() });
    s.segments = applied.segments;
    s.totalAmount = applied.totalAmount;
    s.changes++;
  } catch (err) {
    // Refused for good (bad data): never keep the money of a change that did not happen.
    if (chargeId) await refundChange({ orderId, changeOfferId, amount: held.changeTotalAmount, chargeId });
    await releaseChangeHold({ orderId, changeOfferId });
    throw err;
  }
  const refundId =
    held.changeTotalAmount < 0
      ? (await refundChange({ orderId, changeOfferId, amount: -held.changeTotalAmount })).refundId
      : null;
  return {
    changeOfferId,
    changeTotalAmount: held.changeTotalAmount,
    currency: held.currency,
    chargeId,
    refundId,
    order: view(input, s),
  };
}

/** Servicing (services, seats) on a paid order: FULFILLED, nothing else in progress, not closing. */
function assertServiceable(s: State): void {
  if (s.phase !== 'OPEN' || s.status !== 'FULFILLED') {
    throw reject('INVALID_STATE', `an order in state ${s.status} cannot be serviced; pay for it first`);
  }
  if (s.servicing !== null || s.cancelRequest !== null || s.closing !== null) {
    throw reject('INVALID_STATE', 'another change to this order is in progress; try again once it has an answer');
  }
}

/** Runs one servicing action: marked before its first await (validators refuse others meanwhile), cleared after. */
async function servicing<T>(s: State, action: string, run: () => Promise<T>): Promise<T> {
  s.servicing = action;
  try {
    return await run();
  } finally {
    s.servicing = null;
  }
}

/** Charges a servicing amount once; a decline answers 402 (PAYMENT_DECLINED) with nothing changed. */
async function chargeOrRefuse(input: OrderWorkflowInput, attempt: number, amount: number, ref: string) {
  const charge = await chargeServicing({
    orderId: input.orderId,
    attempt,
    amount,
    currency: input.currency,
    payment: ref,
  });
  if (charge.status !== 'succeeded' || charge.chargeId === null) {
    throw ApplicationFailure.create({
      type: 'PAYMENT_DECLINED',
      message: 'the payment was declined; nothing was changed',
      nonRetryable: true,
      details: [{ decline_code: charge.declineCode }],
    });
  }
  return charge.chargeId;
}

const refundOf = (input: OrderWorkflowInput, chargeId: string, amount: number, key: string) => ({
  orderId: input.orderId,
  chargeId,
  amount,
  key,
});

/**
 * A paid order's seat change (behind patched('seat-after-booking')): priced (free when the bundle's seat covers
 * it), charged when it costs something, then the seat moved (the old one freed in the same transaction) and the
 * boarding pass reissued. A seat lost to someone else after the charge is refunded and answered 409.
 */
function changePaidSeat(input: OrderWorkflowInput, s: State, choice: SeatChoice): Promise<SeatChosen> {
  return servicing(s, 'CHANGING_SEAT', async () => {
    const target = {
      orderId: input.orderId,
      travelerId: choice.travelerId,
      flightId: choice.flightId,
      seatNumber: choice.seatNumber,
    };
    const quote = await priceSeatChange(target);
    const answer = (totalAmount: number): SeatChosen => ({
      travelerId: choice.travelerId,
      flightId: choice.flightId,
      seatNumber: choice.seatNumber,
      totalAmount,
      expiresAt: new Date(s.expiresAt).toISOString(),
    });
    if (quote.unchanged) return answer(s.totalAmount);
    let chargeId: string | null = null;
    let attempt: number | null = null;
    if (quote.amount > 0) {
      if (typeof choice.paymentToken !== 'string' || choice.paymentToken.length === 0) {
        throw ApplicationFailure.create({
          type: 'VALIDATION_FAILED',
          message: `this seat costs ${quote.amount} ${quote.currency} (minor units): a payment_token is required`,
          nonRetryable: true,
          details: [{ amount: { amount: quote.amount, currency: quote.currency } }],
        });
      }
      attempt = ++s.servicingAttempts;
      chargeId = await chargeOrRefuse(input, attempt, quote.amount, choice.paymentToken);
    }
    try {
      const moved = await changeSoldSeat({ ...target, attempt, chargeId, amount: quote.amount, at: nowIso() });
      return answer(moved.totalAmount);
    } catch (err) {
      if (chargeId) await refundServicing(refundOf(input, chargeId, quote.amount, `seat-refund-${attempt}`));
      throw err;
    }
  });
}

/** Whether the order can take a payment now: open, PROPOSED, its hold running, with travelers to ticket. */
function assertPayable(input: OrderWorkflowInput, s: State, opts: { partyComing?: boolean } = {}): void {
  if (s.phase !== 'OPEN') throw reject('INVALID_STATE', 'the order is not open for payment');
  if (holdExpired({ ...s, expiring: s.closing === 'EXPIRING' }, workflowNow())) {
    throw reject('HOLD_EXPIRED', 'the hold on this order has expired');
  }
  if (s.status !== 'PROPOSED' || s.closing !== null || s.cancelRequest !== null) {
    throw reject('INVALID_STATE', `an order in state ${s.status} cannot be paid`);
  }
  if (s.travelers === 0 && !opts.partyComing) {
    throw reject('INVALID_STATE', 'add the travelers before paying: nothing could be ticketed');
  }
  if (s.seating) throw reject('INVALID_STATE', 'a seat is being chosen; pay once it has an answer');
}

/** Changes to the party or seats: only while PROPOSED and the hold runs; party changes only on trips. */
function assertOpenForChanges(input: OrderWorkflowInput, s: State, what: 'party' | 'seats'): void {
  if (s.phase !== 'OPEN') throw reject('INVALID_STATE', 'the order is not open for changes');
  if (holdExpired({ ...s, expiring: s.closing === 'EXPIRING' }, workflowNow())) {
    throw reject('HOLD_EXPIRED', 'the hold on this order has expired');
  }
  if (s.status !== 'PROPOSED' || s.closing !== null || s.cancelRequest !== null) {
    throw reject('INVALID_STATE', `an order in state ${s.status} cannot be changed`);
  }
  if (what === 'party' && input.source !== 'TRIP') {
    throw reject('INVALID_STATE', 'the travelers of an accepted offer are fixed; only trips take changes');
  }
}

function assertSeatOfOrder(input: OrderWorkflowInput, s: State, seat: SeatRequest): void {
  assertOpenForChanges(input, s, 'seats');
  if (!input.segments.some((seg) => seg.flightId === seat.flightId)) {
    throw reject('VALIDATION_FAILED', `flight ${seat.flightId} is not part of this order`);
  }
}

function assertParty(input: OrderWorkflowInput, s: State, update: TravelersUpdate): void {
  assertOpenForChanges(input, s, 'party');
  const seated = update.travelers.filter((t) => t.ptc !== 'INF').length;
  if (update.travelers.length === 0 || seated > s.seats) {
    throw reject('VALIDATION_FAILED', `this trip holds ${s.seats} seat(s) for ${seated} seated traveler(s)`);
  }
}

function setParty(s: State, update: TravelersUpdate): void {
  s.totalAmount = update.totalAmount;
  s.travelers = update.travelers.length;
  s.seated = update.travelers.filter((t) => t.ptc !== 'INF').length;
}

/** A seat lock lives as long as the hold (plus a margin); the workflow releases it on expiry or cancel. */
const seatLockTtl = (s: State) => Math.max(s.expiresAt - workflowNow(), 0) + 60_000;

// ---------------------------------------------------------------------------------------------- payment
/** The lock-in: from here the expiry timer can no longer release this order's inventory. */
function requestPayment(input: OrderWorkflowInput, s: State, ref: string): Payment {
  const p: Payment = {
    attempt: s.payments.length + 1,
    ref,
    status: 'CHARGING',
    chargeId: null,
    declineCode: null,
    startedAt: workflowNow(),
    outcome: null,
    answered: false,
  };
  s.payments.push(p);
  setStatus(input, s, 'PAYMENT_PENDING');
  return p;
}

function settle(p: Payment, outcome: 'succeeded' | 'failed', declineCode: string | null): void {
  p.outcome = outcome;
  p.status = outcome === 'succeeded' ? 'SUCCEEDED' : 'FAILED';
  p.declineCode = declineCode;
}

/** The answer to the payment's caller, once the PAYMENT_PENDING phase has given one. */
async function answerOf(input: OrderWorkflowInput, s: State, p: Payment): Promise<PaymentResult> {
  await condition(() => p.answered);
  const status = p.outcome === 'succeeded' ? 'PAID' : p.outcome === 'failed' ? 'DECLINED' : 'PAYMENT_PENDING';
  return { status, declineCode: p.declineCode, order: view(input, s) };
}

/**
 * PAYMENT_PENDING: charge; a pending charge answers its caller at once and waits for the webhook until the
 * payment timeout, then voids. Paid: sell and issue the documents (FULFILLED). Declined: PROPOSED while hold time
 * remains, else EXPIRED.
 */
async function pay(input: OrderWorkflowInput, s: State): Promise<void> {
  const p = current(s)!;
  if (p.late) {
    await payLate(input, s, p);
    p.answered = true;
    return;
  }
  const amount = { amount: s.totalAmount, currency: input.currency };
  const charge = await (patched('charge-in-workflow-task') ? chargeOrderInTask : chargeOrder)({
    orderId: input.orderId,
    attempt: p.attempt,
    ...amount,
    payment: p.ref,
    at: nowIso(),
  });
  p.chargeId ??= charge.chargeId;
  if (charge.status === 'succeeded' || charge.status === 'failed') {
    settle(p, charge.status, charge.declineCode);
  } else if (p.outcome === null) {
    p.status = 'PENDING';
    p.answered = true; // 202: the outcome arrives by webhook
    publish(input, s, 'the payment provider’s webhook');
    const deadline = p.startedAt + input.paymentTimeoutSeconds * 1000;
    const resolved = await condition(() => p.outcome !== null, Math.max(deadline - workflowNow(), 1), {
      summary: 'payment timeout',
    });
    if (!resolved) {
      const voided = await voidPayment({ orderId: input.orderId, attempt: p.attempt, chargeId: p.chargeId });
      if (p.outcome === null) {
        p.chargeId ??= voided.chargeId;
        settle(p, voided.status === 'succeeded' ? 'succeeded' : 'failed', voided.declineCode);
        if (voided.status !== 'succeeded') p.status = 'VOIDED';
      }
    }
  }

  if (p.outcome === 'succeeded') {
    await sell(input, s, p);
  } else if (workflowNow() < s.expiresAt) {
    await markPaymentFailed({ orderId: input.orderId, attempt: p.attempt, declineCode: p.declineCode, at: nowIso() });
    setStatus(input, s, 'PROPOSED');
  } else {
    await expireOrder({ orderId: input.orderId, at: nowIso() });
    setStatus(input, s, 'EXPIRED');
  }
  p.answered = true;
}

/** Paid: the seats become sold and the documents are issued. A sale that cannot be completed is refunded. */
async function sell(input: OrderWorkflowInput, s: State, p: Payment): Promise<void> {
  try {
    await completeSale({
      orderId: input.orderId,
      attempt: p.attempt,
      chargeId: p.chargeId!,
      segments: input.segments,
      at: nowIso(),
    });
    setStatus(input, s, 'FULFILLED');
  } catch (err) {
    // Money has moved: never end holding it. A sale refused for good (bad data) is refunded and cancelled.
    const failure = activityCause(err);
    log.error('the sale could not be completed: refunding', {
      error: failure instanceof Error ? failure.message : String(failure),
    });
    s.cancelRequest = { reason: 'the sale could not be completed; refunded', involuntary: true };
    setStatus(input, s, 'PAID');
    await cancel(input, s);
  }
}

// ---------------------------------------------------------------------------------------------- late payments
/**
 * A `charge.succeeded` for a charge the order is not waiting for (an earlier attempt's, voided or timed out, whose
 * capture won after all). Decided once the order is not mid-payment or mid-change (a charge in flight may turn out
 * to be this one): PROPOSED with the hold running → it pays the order (the lock-in now, the sale in `payLate`);
 * otherwise (paid by another charge, past the hold, closing, cancelled) → refunded in full and the customer told.
 */
async function latePayment(input: OrderWorkflowInput, s: State, n: PaymentNotification): Promise<void> {
  if (s.lateCharges.has(n.chargeId)) return; // another event for a charge already handled
  s.lateCharges.add(n.chargeId);
  s.lateInFlight++;
  try {
    const settled = () =>
      s.phase === 'REJECTED' ||
      (s.phase === 'OPEN' &&
        s.status !== 'PAYMENT_PENDING' &&
        s.closing === null &&
        !s.seating &&
        !(s.status === 'PROPOSED' && s.cancelRequest !== null));
    await condition(settled);
    if (s.payments.some((x) => x.outcome === 'succeeded' && x.chargeId === n.chargeId)) return; // it paid the order
    let reason = `the order was ${s.status} when the payment succeeded`;
    if (latePayable(s)) {
      // Asked of the provider before anything moves: an event naming a charge it never issued changes nothing.
      const amount = s.totalAmount;
      const verdict = await confirmLatePayment({
        orderId: input.orderId,
        chargeId: n.chargeId,
        amount,
        currency: input.currency,
        at: nowIso(),
      });
      if (verdict.verdict === 'ignore') {
        log.warn('late payment event ignored', { chargeId: n.chargeId, reason: verdict.reason });
        return;
      }
      await condition(settled); // the order may have moved on while the provider answered
      if (verdict.verdict === 'pay' && latePayable(s) && s.totalAmount === amount) {
        s.payments.push({
          attempt: verdict.attempt, // the charge's own attempt: its payment row becomes the paying one
          ref: '',
          status: 'PENDING',
          chargeId: n.chargeId,
          declineCode: null,
          startedAt: workflowNow(),
          outcome: null,
          answered: true, // nobody waits for an answer
          late: true,
        });
        setStatus(input, s, 'PAYMENT_PENDING'); // the lock-in: the expiry can no longer release the seats
        return;
      }
      reason = verdict.verdict === 'refund' ? verdict.reason : `the order was ${s.status} when it was confirmed`;
    }
    await refundLate(input, n.chargeId, reason);
  } finally {
    s.lateInFlight--;
  }
}

/** A late charge pays the order only while it is PROPOSED, open to payment, with its hold running. */
const latePayable = (s: State) =>
  s.phase === 'OPEN' &&
  s.status === 'PROPOSED' &&
  s.cancelRequest === null &&
  s.travelers > 0 &&
  workflowNow() < s.expiresAt;

/** The late charge, confirmed by the provider, locked the order in: recorded, then sold and ticketed on it. */
async function payLate(input: OrderWorkflowInput, s: State, p: Payment): Promise<void> {
  await recordLatePayment({
    orderId: input.orderId,
    attempt: p.attempt,
    amount: s.totalAmount,
    currency: input.currency,
    at: nowIso(),
  });
  settle(p, 'succeeded', null);
  await sell(input, s, p);
}

/** Refunds a late charge (idempotent per charge). A refund refused for good is logged, never fails the order. */
async function refundLate(input: OrderWorkflowInput, chargeId: string, reason: string): Promise<boolean> {
  try {
    const result = await refundLatePayment({ orderId: input.orderId, chargeId, reason, at: nowIso() });
    return result.outcome !== 'ignored';
  } catch (err) {
    const failure = activityCause(err);
    log.error('a late payment could not be refunded', {
      chargeId,
      error: failure instanceof Error ? failure.message : String(failure),
    });
    return false;
  }
}

// ---------------------------------------------------------------------------------------------- phases
/** The first step: hold every leg for every seated traveler and record the order, or reject it. */
async function hold(input: OrderWorkflowInput, s: State): Promise<boolean> {
  try {
    await proposeOrder(input, new Date(s.expiresAt).toISOString(), ORDER_WORKFLOW_TYPE);
    s.phase = 'OPEN';
    s.history.push({ status: 'PROPOSED', at: nowIso() });
    s.proposal = { outcome: 'PROPOSED', created: true, order: view(input, s) };
    return true;
  } catch (err) {
    s.phase = 'REJECTED';
    s.proposal = rejectedProposal(err);
    // Let the caller of accept read the answer before the workflow closes.
    await condition(() => s.proposalsServed > 0, '1 minute');
    // A hold that failed for another reason (Postgres away through every attempt) may have been recorded by an
    // attempt whose answer was lost: give back whatever it holds (none is a no-op), so that no seat stays held and
    // no order PROPOSED under a closed workflow (found by the fault matrix's Postgres restart).
    if (s.proposal.outcome !== 'SOLD_OUT' && patched('release-failed-proposal')) await releaseFailedProposal(input);
    return false;
  }
}

/**
 * A new run for an EXPIRED order that a late payment reinstated (workflows/late-payment.ts): its seats are held
 * again and it is PAYMENT_PENDING on that charge, which pays it as any late payment does (`payLate`: recorded,
 * sold, ticketed; a sale that cannot be completed is refunded). No hold is taken and nothing is charged.
 */
function reinstate(input: OrderWorkflowInput, s: State, by: { attempt: number; chargeId: string }): void {
  s.phase = 'OPEN';
  s.status = 'PAYMENT_PENDING';
  s.published = 'PAYMENT_PENDING'; // set at start by the late payment's workflow
  s.history.push({ status: 'PAYMENT_PENDING', at: nowIso() });
  s.lateCharges.add(by.chargeId);
  s.payments.push({
    attempt: by.attempt,
    ref: '',
    status: 'PENDING',
    chargeId: by.chargeId,
    declineCode: null,
    startedAt: workflowNow(),
    outcome: null,
    answered: true, // nobody waits for an answer
    late: true,
  });
  // A repeated accept of the order's offer reaches this run: it answers with the order, never as created.
  s.proposal = { outcome: 'PROPOSED', created: false, order: view(input, s) };
  s.proposalsServed = 1;
}

/**
 * Gives back what a failed proposal may have recorded. An attempt that timed out can still commit after the
 * workflow gave up (its query was queued while Postgres restarted): wait out the attempt's timeout first, and take
 * "no such order" as nothing to release instead of failing the workflow (both found by the fault matrix).
 */
async function releaseFailedProposal(input: OrderWorkflowInput): Promise<void> {
  if (!patched('failed-proposal-settles')) return expireOrder({ orderId: input.orderId, at: nowIso() });
  await sleep(PROPOSAL_ATTEMPT_TIMEOUT_MS + 1_000, { summary: 'let a late proposal attempt settle' });
  try {
    await expireOrder({ orderId: input.orderId, at: nowIso() });
  } catch (err) {
    const failure = activityCause(err);
    if (!(failure instanceof ApplicationFailure && failure.type === 'NOT_FOUND')) throw err;
  }
}

/** PROPOSED: the durable hold timer races payment and cancel. */
async function whileProposed(input: OrderWorkflowInput, s: State): Promise<void> {
  publish(input, s, 'payment or the hold’s expiry');
  const remaining = s.expiresAt - workflowNow();
  if (remaining > 0) {
    await condition(() => s.status !== 'PROPOSED' || s.cancelRequest !== null, remaining, { summary: 'hold expires' });
  }
  if (s.status !== 'PROPOSED') return; // payment started: the lock-in won
  if (s.cancelRequest) return cancel(input, s);
  s.closing = 'EXPIRING';
  await expireOrder({ orderId: input.orderId, at: nowIso() });
  s.closing = null;
  setStatus(input, s, 'EXPIRED');
}

/** FULFILLED: archive once the last flight has arrived, unless cancelled first (refund). */
async function untilArchived(input: OrderWorkflowInput, s: State): Promise<void> {
  // Archived once the last flight has arrived (its coupons flown or not by then); orders whose histories waited for
  // the last departure keep doing so.
  const byArrival = patched('archive-after-arrival');
  publish(input, s, byArrival ? 'arrival of the last flight' : 'departure of the last flight');
  const lastFlight = Math.max(...s.segments.map((seg) => Date.parse(byArrival ? seg.arrivalAt : seg.departureAt)));
  const wait = lastFlight + input.archiveGraceSeconds * 1000 - workflowNow();
  const changes = s.changes;
  // A change moves the last departure: the wait starts again (orders never changed wait exactly as before). Only a
  // change wakes it (other servicing — quotes, services, seats — leaves the timer running, as their histories
  // were recorded with); an archive due while any servicing runs waits for it below.
  const woken =
    wait > 0
      ? await condition(
          () => s.cancelRequest !== null || s.changes !== changes || s.servicing === 'CHANGE' || disruptionDue(s),
          wait,
          { summary: byArrival ? 'archive after arrival' : 'archive after departure' },
        )
      : s.cancelRequest !== null;
  if (s.cancelRequest !== null) return cancel(input, s);
  if (disruptionDue(s)) return onDisruption(input, s); // FULFILLED still, or a refund asked (cancelled next round)
  if (woken) {
    await condition(() => s.servicing === null);
    return; // FULFILLED still: the next round waits for the (new) last departure
  }
  if (s.servicing !== null) await condition(() => s.servicing === null);
  if (s.changes !== changes) return;
  await archiveOrder({ orderId: input.orderId, at: nowIso() });
  setStatus(input, s, 'ARCHIVED');
}

/** Before payment: release. After payment: refund (the compensation for the charge), then release. */
async function cancel(input: OrderWorkflowInput, s: State): Promise<void> {
  const paid = current(s);
  const refund = cancelRefund(input, s);
  s.closing = 'CANCELLING';
  // A sale that could not be completed is refunded in full, never by the fare's conditions (money kept, no ticket).
  const involuntary = s.cancelRequest!.involuntary === true && patched('full-refund-unsold');
  const request = {
    orderId: input.orderId,
    at: nowIso(),
    reason: s.cancelRequest!.reason,
    refund,
    ...(involuntary ? { involuntary } : {}),
    ...(s.cancelRequest!.quoteId ? { quoteId: s.cancelRequest!.quoteId } : {}),
  };
  await (refund ? refundAndCancel(request) : releaseAndCancel(request));
  if (refund && paid) paid.status = 'REFUNDED';
  s.closing = null;
  setStatus(input, s, 'CANCELLED');
}

// ---------------------------------------------------------------------------------------------- helpers
function setStatus(input: OrderWorkflowInput, s: State, status: OrderStatus): void {
  s.status = status;
  s.history.push({ status, at: nowIso() });
}

/**
 * Before each wait: the OrderStatus search attribute (only when it changed, so a happy path writes it once) and
 * the current details operators read in the Temporal UI.
 */
function publish(input: OrderWorkflowInput, s: State, waitingFor?: string): void {
  if (s.published !== s.status) {
    upsertSearchAttributes([{ key: ORDER_STATUS_KEY, value: s.status }]);
    s.published = s.status;
  }
  const money = `${s.totalAmount} ${input.currency} (minor units)`;
  setCurrentDetails(
    [`**${s.status}** · ${input.source.toLowerCase()} order · ${money}`, waitingFor ? `waiting for ${waitingFor}` : '']
      .filter(Boolean)
      .join('\n\n'),
  );
}
