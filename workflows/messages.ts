/**
 * The order workflow's messages: its input, queries, updates and signals. Side-effect free, imported by both
 * the workflow and the API (which never imports workflow bodies).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderSegment, OrderStatus, TripFare } from '../domain/order';
import type { FareConditions } from '../domain/commercial';

export type { OrderSegment, TripFare };
import type { PassengerType } from '../domain/pricing';

export { orderIdFromWorkflowId, orderWorkflowId } from '../domain/order';

/** The workflow type new orders start (workflows/order.ts); v1 orders in flight keep `orderWorkflow`. */
export const ORDER_WORKFLOW_TYPE = 'orderWorkflowV2';

/** Names and dates of birth arrive encrypted (lib/pii.ts): no passenger data in clear in workflow history. */
export interface OrderTraveler {
  ref: string; // "ADT1", "CHD1", "INF1"
  ptc: PassengerType;
  firstName: string;
  lastName: string;
  dateOfBirth: string | null;
  gender: 'M' | 'F' | 'X' | null;
}

export interface OrderItemInput {
  productType: string;
  productCode: string;
  flightId: string | null;
  passengerRef: string;
  seatNumber?: string;
  amount: number;
  currency: string;
}

export interface OrderWorkflowInput {
  orderId: string;
  customerId: string;
  source: 'OFFER' | 'TRIP';
  offerId: string | null;
  currency: string;
  totalAmount: number;
  segments: OrderSegment[];
  travelers: OrderTraveler[];
  items: OrderItemInput[];
  contact: string | null; // encrypted JSON { email, phone }
  /** The blind index of the contact's email (lib/pii.ts emailIndex); absent on orders started before it. */
  contactEmailIndex?: string | null;
  holdSeconds: number;
  /** Seats held per segment when it differs from the seated travelers (a trip holds seats before names). */
  seatCount?: number;
  /** Trips: the fare per passenger type per segment, priced when the trip was created and honoured at commit. */
  fares?: TripFare[];
  /** The fare conditions the order is sold under (the offer's, or the trip bundle's); absent on older orders. */
  conditions?: FareConditions;
  paymentTimeoutSeconds: number;
  archiveGraceSeconds: number;
  /**
   * A new run for an EXPIRED order that a late payment reinstated (workflows/late-payment.ts): its seats are held
   * again and the order is PAYMENT_PENDING on this charge, which pays it (no hold is taken, nothing is charged).
   */
  reinstated?: { attempt: number; chargeId: string };
}

export interface PaymentView {
  attempt: number;
  status: 'CHARGING' | 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'VOIDED' | 'REFUNDED';
  chargeId: string | null;
  declineCode: string | null;
}

export interface OrderView {
  orderId: string;
  status: OrderStatus;
  expiresAt: string;
  payment: PaymentView | null;
  history: { status: OrderStatus; at: string }[];
}

export type ProposalResult =
  | { outcome: 'PROPOSED'; created: boolean; order: OrderView }
  | { outcome: 'SOLD_OUT'; details: unknown }
  | { outcome: 'FAILED'; reason: string };

/**
 * A payment request. `paymentToken` is a reference to the card token in the payment vault (`pvr_…`,
 * services/payment-vault.ts), never the token itself, so no card token is written to workflow history. (The
 * field keeps its v1 name: v1 orders in flight take the same message, and their charge resolves the reference.)
 */
export interface PaymentRequest {
  paymentToken: string;
}

export interface PaymentResult {
  status: 'PAID' | 'PAYMENT_PENDING' | 'DECLINED';
  declineCode: string | null;
  order: OrderView;
}

/** Trips: a traveler added to the session before commit (names encrypted like OrderTraveler's). */
export type TravelerToAdd = Omit<OrderTraveler, 'ref'>;

export interface SeatRequest {
  flightId: string;
  seatNumber: string;
}

export interface SeatHeld {
  flightId: string;
  seatNumber: string;
  expiresAt: string;
}

/**
 * A seat chosen for one traveler (an order's traveler id) on one flight: while the order is PROPOSED, or on a paid
 * (FULFILLED) order, where a seat the bundle does not cover is charged to `paymentToken` (a vault reference).
 */
export interface SeatChoice extends SeatRequest {
  travelerId: string;
  paymentToken?: string;
}

export interface SeatChosen extends SeatHeld {
  travelerId: string;
  /** The order's total once the seat is priced (unchanged when a bundle's seat covers it). */
  totalAmount: number;
}

/** Trips: the final party at commit, with the items and total priced for it, and seats per traveler. */
export interface TravelersUpdate {
  travelers: (OrderTraveler & { seats: SeatRequest[] })[];
  items: OrderItemInput[];
  totalAmount: number;
  contact: string | null;
  contactEmailIndex?: string | null;
}

/** Trips: commit in one message — seats to hold, the final party with its priced items, and the payment. */
export interface TripCommit {
  seats: SeatRequest[];
  party: TravelersUpdate;
  paymentToken: string; // a vault reference, as in PaymentRequest
}

/** Services after booking: the lines asked for (product code, traveler ref or id, segment, quantity). */
export interface ServiceLine {
  id: string;
  traveler_ref: string;
  segment_id?: string | null;
  quantity: number;
}

/** Services after booking, paid with `paymentToken` (a vault reference, as in PaymentRequest). */
export interface ServicesRequest {
  services: ServiceLine[];
  paymentToken: string;
}

export interface ServiceIssued {
  order_item_id: string;
  id: string;
  type: string;
  traveler_id: string;
  segment_id: string | null;
  price: { amount: number; currency: string };
  emd: {
    number: string;
    type: 'EMD-A' | 'EMD-S';
    rfic: string;
    rfisc: string;
    associated_ticket: string | null;
  } | null;
}

export interface ServicesAdded {
  services: ServiceIssued[];
  /** The order's total (the sum of its items) with the services. */
  total: number;
  charged: { amount: number; currency: string };
  chargeId: string | null;
}

export interface ServiceRemoval {
  orderItemId: string;
}

export interface ServiceRemoved {
  order_item_id: string;
  emd: string | null;
  refund: { amount: number; currency: string } | null;
  total: number;
}

export interface CancelRequest {
  reason: string;
}

/** A voluntary change confirmed: the change offer (services/order-changes.ts) and, for a positive total, a payment. */
export interface ChangeConfirm {
  changeOfferId: string;
  /** A vault reference (as in PaymentRequest); required when the change total is positive. */
  paymentToken: string | null;
}

export interface ChangeResult {
  changeOfferId: string;
  changeTotalAmount: number;
  currency: string;
  chargeId: string | null;
  refundId: string | null;
  order: OrderView;
}

/** A cancellation quote asked of the order (its id chosen by the API; its lifetime from config). */
export interface CancellationQuoteRequest {
  quoteId: string;
  ttlSeconds: number;
}

export interface CancellationQuoted {
  quoteId: string;
  expiresAt: string;
}

/** Confirms the order's latest unexpired cancellation quote: refunds what it quoted, → CANCELLED. */
export interface CancellationConfirm {
  quoteId: string;
}

/** A payment provider's webhook, verified by the API and passed on as a signal. */
export interface PaymentNotification {
  eventId: string;
  chargeId: string;
  outcome: 'succeeded' | 'failed';
  declineCode: string | null;
}

/** Registered on the Temporal server by scripts/infra.sh, so operators can filter orders in the Web UI. */
export const ORDER_STATUS_KEY = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CUSTOMER_ID_KEY = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);

export const getOrderState = defineQuery<OrderView>('getOrderState');
/** Sent with the workflow's start (update-with-start): answers once the hold has succeeded or failed. */
export const confirmProposal = defineUpdate<ProposalResult>('confirmProposal');
export const startPayment = defineUpdate<PaymentResult, [PaymentRequest]>('startPayment');
export const cancelOrder = defineUpdate<OrderView, [CancelRequest]>('cancelOrder');
/** v2: a cancellation quote (PROPOSED: 0; FULFILLED: per the fare conditions); the workflow keeps the latest. */
export const quoteCancellation = defineUpdate<CancellationQuoted, [CancellationQuoteRequest]>('quoteCancellation');
export const confirmCancellation = defineUpdate<OrderView, [CancellationConfirm]>('confirmCancellation');
export const addTraveler = defineUpdate<{ travelerId: string; ref: string }, [TravelerToAdd]>('addTraveler');
export const holdSeat = defineUpdate<SeatHeld, [SeatRequest]>('holdSeat');
/** Any v2 order: seats one traveler on one flight (the seat rule of holdSeat), priced; replaces their seat there. */
export const chooseSeat = defineUpdate<SeatChosen, [SeatChoice]>('chooseSeat');
export const setTravelers = defineUpdate<OrderView, [TravelersUpdate]>('setTravelers');
/** v2: a trip's commit (seats, party, payment) in one update that answers once the payment has an outcome. */
export const commitTrip = defineUpdate<PaymentResult, [TripCommit]>('commitTrip');
/** v2, a paid order: a voluntary change (hold the new flights, pay the difference, exchange the tickets). */
export const changeOrder = defineUpdate<ChangeResult, [ChangeConfirm]>('changeOrder');
/** v2, paid orders: services after booking, charged once, each on an EMD. */
export const addServices = defineUpdate<ServicesAdded, [ServicesRequest]>('addServices');
/** v2, paid orders: an unused service removed, refunded by its rule, its EMD voided. */
export const removeService = defineUpdate<ServiceRemoved, [ServiceRemoval]>('removeService');
export const paymentNotification = defineSignal<[PaymentNotification]>('paymentNotification');
/** An account claimed the order's guest (sign-up or sign-in): the CustomerId search attribute follows the order. */
export interface CustomerClaim {
  customerId: string;
}
export const claimCustomer = defineSignal<[CustomerClaim]>('claimCustomer');

/**
 * Late payments whose order's workflow has closed (EXPIRED, CANCELLED, ARCHIVED): one short workflow per charge
 * (workflows/late-payment.ts), id `late-payment-<chargeId>`, so a duplicate webhook cannot start it twice.
 */
export const LATE_PAYMENT_WORKFLOW_TYPE = 'latePaymentWorkflow';
export const latePaymentWorkflowId = (chargeId: string) => `late-payment-${chargeId}`;

export interface LatePaymentInput {
  orderId: string;
  chargeId: string;
  eventId: string;
}

export interface LatePaymentOutcome {
  orderId: string;
  chargeId: string;
  /** `reinstated`: the expired order's seats were free again and the charge pays it (a new run of its workflow). */
  outcome: 'reinstated' | 'refunded' | 'already_refunded' | 'ignored';
  reason: string;
  refundId: string | null;
  amount: number;
  currency: string | null;
}

// ---------------------------------------------------------------------------------------------- disruptions
/**
 * Airline-initiated changes (issue #15). An admin's retime, delay or cancel of a flight runs one fan-out workflow
 * (workflows/flight-disruption.ts) whose first activity applies the change with its Flight* event; it then signals
 * every affected order's workflow (`flightDisrupted`), page by page. The id is derived from the flight and the
 * change, so a retried PATCH joins the same workflow instead of starting a second.
 */
export const FLIGHT_DISRUPTION_WORKFLOW_TYPE = 'flightDisruptionWorkflow';

export interface FlightDisruptionChange {
  status?: 'SCHEDULED' | 'CANCELLED' | undefined;
  departure_at?: string | undefined;
  arrival_at?: string | undefined;
}

export interface FlightDisruptionInput {
  flightId: string;
  change: FlightDisruptionChange;
  /** After continueAsNew: what the first run applied, and the last order signalled. */
  applied?: { disruptionId: string; kind: string };
  after?: string | null;
  signalled?: number;
}

export interface FlightChangeApplied {
  disruptionId: string | null;
  kind: string | null;
}

/** Answers once the fan-out's first activity has applied the flight's change (or failed: the same failure). */
export const flightChangeApplied = defineUpdate<FlightChangeApplied>('flightChangeApplied');

/** Sent by the fan-out to each affected order (v2, behind patched('airline-disruption')). */
export interface FlightDisrupted {
  disruptionId: string;
  flightId: string;
  kind: string;
}
export const flightDisrupted = defineSignal<[FlightDisrupted]>('flightDisrupted');

/** The customer's answer to an open disruption: accept an option (`optionId`), or a full refund. */
export interface DisruptionAnswer {
  action: 'accept' | 'refund';
  optionId?: string;
}
export const answerDisruption = defineUpdate<OrderView, [DisruptionAnswer]>('answerDisruption');

/** An order with an airline-initiated change: its kind (FLIGHT_CANCELLED, …), for the Temporal UI. */
export const DISRUPTION_KEY = defineSearchAttributeKey('Disruption', SearchAttributeType.KEYWORD);
