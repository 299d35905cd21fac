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
  holdSeconds: number;
  /** Seats held per segment when it differs from the seated travelers (a trip holds seats before names). */
  seatCount?: number;
  /** Trips: the fare per passenger type per segment, priced when the trip was created and honoured at commit. */
  fares?: TripFare[];
  /** The fare conditions the order is sold under (the offer's, or the trip bundle's); absent on older orders. */
  conditions?: FareConditions;
  paymentTimeoutSeconds: number;
  archiveGraceSeconds: number;
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

/** A seat chosen for one traveler (an order's traveler id) on one flight, while the order is PROPOSED. */
export interface SeatChoice extends SeatRequest {
  travelerId: string;
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
}

/** Trips: commit in one message — seats to hold, the final party with its priced items, and the payment. */
export interface TripCommit {
  seats: SeatRequest[];
  party: TravelersUpdate;
  paymentToken: string; // a vault reference, as in PaymentRequest
}

export interface CancelRequest {
  reason: string;
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
export const addTraveler = defineUpdate<{ travelerId: string; ref: string }, [TravelerToAdd]>('addTraveler');
export const holdSeat = defineUpdate<SeatHeld, [SeatRequest]>('holdSeat');
/** Any v2 order: seats one traveler on one flight (the seat rule of holdSeat), priced; replaces their seat there. */
export const chooseSeat = defineUpdate<SeatChosen, [SeatChoice]>('chooseSeat');
export const setTravelers = defineUpdate<OrderView, [TravelersUpdate]>('setTravelers');
/** v2: a trip's commit (seats, party, payment) in one update that answers once the payment has an outcome. */
export const commitTrip = defineUpdate<PaymentResult, [TripCommit]>('commitTrip');
export const paymentNotification = defineSignal<[PaymentNotification]>('paymentNotification');

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
  outcome: 'refunded' | 'already_refunded' | 'ignored';
  reason: string;
  refundId: string | null;
  amount: number;
  currency: string | null;
}
