import { DomainError } from './errors';
import { flightNumberOnly } from './vocabulary';

/** The order lifecycle (seeds/altis-architecture.md, "Order Lifecycle"). */
export const ORDER_STATUSES = [
  'PROPOSED',
  'PAYMENT_PENDING',
  'PAID',
  'FULFILLED',
  'ARCHIVED',
  'EXPIRED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PROPOSED: ['PAYMENT_PENDING', 'EXPIRED', 'CANCELLED'],
  PAYMENT_PENDING: ['PAID', 'PROPOSED', 'EXPIRED', 'CANCELLED'],
  PAID: ['FULFILLED', 'CANCELLED'],
  FULFILLED: ['ARCHIVED', 'CANCELLED'],
  ARCHIVED: [],
  EXPIRED: [],
  CANCELLED: [],
};

/** Where an order came from: an accepted offer, or a trip hold (seeds/altis-readme.md). */
export const ORDER_SOURCES = ['OFFER', 'TRIP'] as const;
export type OrderSource = (typeof ORDER_SOURCES)[number];

/** A payment attempt as recorded (table `payments`); the live view adds CHARGING while the gateway is asked. */
export const PAYMENT_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'VOIDED', 'REFUNDED'] as const;
export const LIVE_PAYMENT_STATUSES = ['CHARGING', ...PAYMENT_STATUSES] as const;

export const isTerminal = (s: OrderStatus) => TRANSITIONS[s].length === 0;
export const canTransition = (from: OrderStatus, to: OrderStatus) => TRANSITIONS[from].includes(to);

/**
 * The one way out of a terminal state, outside the table above: an EXPIRED order whose late payment (a charge that
 * succeeded after its hold was released) finds its seats still free is reinstated, PAYMENT_PENDING on that charge
 * (services/late-payments.ts; README, "Late payments"). Nothing else leaves EXPIRED; CANCELLED and ARCHIVED never.
 */
export const REINSTATABLE: OrderStatus = 'EXPIRED';
export const REINSTATED_AS: OrderStatus = 'PAYMENT_PENDING';

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError('INVALID_STATE', `an order cannot go from ${from} to ${to}`, { from, to });
  }
}

/** The way of a sale, in order: the lock-in, the money taken, the documents issued. */
const SALE: readonly OrderStatus[] = ['PAYMENT_PENDING', 'PAID', 'FULFILLED'];

/**
 * The order is already past `to` on the way of a sale (FULFILLED is past PAID and PAYMENT_PENDING): a step to `to`
 * that finds it there was taken before and is being run again. Activities run at least once: a local activity runs
 * again when the workflow task that ran it was lost (an Update's task is speculative), after the steps that came
 * after it in that task had committed. With its payment attempt recorded, such a repeat is a no-op, not a failure.
 */
export const pastOnSale = (status: OrderStatus, to: OrderStatus) =>
  SALE.includes(to) && SALE.indexOf(status) > SALE.indexOf(to);

/** Holds inventory (seats counted, not yet sold): the states in which expiry or cancel must release. */
export const holdsInventory = (s: OrderStatus) => s === 'PROPOSED' || s === 'PAYMENT_PENDING';
/** Money was taken: cancelling refunds. */
export const isPaid = (s: OrderStatus) => s === 'PAID' || s === 'FULFILLED';

/**
 * The one rule for "the hold has expired" (the API answers 410): the order expired, is being expired, or is still
 * PROPOSED past its hold time. The workflow's validators and the API's reading of a closed order both ask it.
 */
export function holdExpired(o: { status: OrderStatus; expiresAt: number; expiring?: boolean }, now: number): boolean {
  return o.status === 'EXPIRED' || o.expiring === true || (o.status === 'PROPOSED' && now >= o.expiresAt);
}

/** Workflow ids from domain keys, both ways. */
/** "JFK-LHR" one way, "JFK-LHR-JFK" a return: an order's airports in flying order ("UNKNOWN" without segments). */
export function orderRoute(segments: readonly { origin?: string | null; destination?: string | null }[]): string {
  if (segments.length === 0 || !segments[0]?.origin) return 'UNKNOWN';
  return [segments[0].origin, ...segments.map((s) => s.destination || '?')].join('-');
}

export const orderWorkflowId = (orderId: string) => `order-${orderId}`;
export const orderIdFromWorkflowId = (workflowId: string): string | null =>
  workflowId.startsWith('order-') ? workflowId.slice('order-'.length) : null;

/** A flight of an order, as the order records it. */
export interface OrderSegment {
  flightId: string;
  cabin: string;
  carrier: string;
  flightNumber: string;
  origin: string;
  destination: string;
  departureAt: string; // ISO 8601 UTC
  arrivalAt: string;
}

/** A flight as the schedule or the catalog gives it: its number with or without the carrier, its times as ISO or Date. */
export interface ScheduledFlight {
  id: string;
  carrier: string;
  flight_number: string;
  origin: string;
  destination: string;
  departure_at: string | Date;
  arrival_at: string | Date;
}

/** The order's segment on `flight` in `cabin`: the one mapping of a scheduled flight into an order. */
export function orderSegmentOf(flight: ScheduledFlight, cabin: string): OrderSegment {
  return {
    flightId: flight.id,
    cabin,
    carrier: flight.carrier,
    flightNumber: flightNumberOnly(flight.carrier, flight.flight_number),
    origin: flight.origin,
    destination: flight.destination,
    departureAt: new Date(flight.departure_at).toISOString(),
    arrivalAt: new Date(flight.arrival_at).toISOString(),
  };
}

/** Trips: the fare per passenger type per segment, priced when the trip was created and honoured at commit. */
export interface TripFare {
  flightId: string;
  ADT: number;
  CHD: number;
  INF: number;
}
