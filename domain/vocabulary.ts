/**
 * The one vocabulary of the API (README "Vocabulary"): the rules that both API styles — the offer/order API and the
 * seed README's trip-hold API — format their fields by, each with its one home here.
 */
import type { OrderStatus } from './order';
import type { PassengerType } from './pricing';

/**
 * A flight's number as every answer and event shows it: carrier and number, "AL318" (IATA designator style).
 * Accepts a number kept with or without its carrier ("318" or "AL318"), so records written either way read alike.
 */
export function flightDesignator(carrier: string, flightNumber: string): string {
  return flightNumber.startsWith(carrier) ? flightNumber : `${carrier}${flightNumber}`;
}

/** The number without its carrier ("318" from "AL318" or "318"), as the schedule stores it. */
export function flightNumberOnly(carrier: string, flightNumber: string): string {
  return flightNumber.startsWith(carrier) ? flightNumber.slice(carrier.length) : flightNumber;
}

/**
 * The one pattern of `flight_number`: the two-character airline designator (letters, or a letter and a digit:
 * "AL", "9W"), then 1 to 4 digits and an optional suffix letter. A bare number ("318") does not match.
 */
export const FLIGHT_DESIGNATOR = /^([A-Z]{2}|[A-Z]\d|\d[A-Z])\d{1,4}[A-Z]?$/;

/**
 * Passenger types are ADT, CHD and INF everywhere. The seed README's trip API wrote ADULT, CHILD and INFANT: still
 * accepted as input (a compatibility alias), never answered.
 */
export const PASSENGER_TYPE_ALIASES = { ADULT: 'ADT', CHILD: 'CHD', INFANT: 'INF' } as const satisfies Record<
  string,
  PassengerType
>;
export type PassengerTypeAlias = keyof typeof PASSENGER_TYPE_ALIASES;

export function passengerTypeOf(value: PassengerType | PassengerTypeAlias): PassengerType {
  return value in PASSENGER_TYPE_ALIASES
    ? PASSENGER_TYPE_ALIASES[value as PassengerTypeAlias]
    : (value as PassengerType);
}

/** A passenger reference: its type and its place among the passengers of that type, from 1 ("ADT1", "INF1"). */
export const PASSENGER_REF = /^(ADT|CHD|INF)[1-9]\d*$/;

/**
 * The trip API's booking status words (the seed README's `CONFIRMED`, `PENDING`) and the order states they stand
 * for. A trip is an order: every trip answer also carries `order_status`, the order's own state.
 */
export const TRIP_BOOKING_STATUSES = [
  { booking: 'HELD', orders: ['PROPOSED'], meaning: 'held, not yet committed (the trip hold)' },
  { booking: 'PENDING', orders: ['PAYMENT_PENDING'], meaning: 'committed, the payment awaits its webhook' },
  { booking: 'CONFIRMED', orders: ['PAID', 'FULFILLED', 'ARCHIVED'], meaning: 'paid and ticketed' },
  { booking: 'EXPIRED', orders: ['EXPIRED'], meaning: 'the hold ran out before payment' },
  { booking: 'CANCELLED', orders: ['CANCELLED'], meaning: 'cancelled (refunded per its conditions when paid)' },
] as const satisfies readonly { booking: string; orders: readonly OrderStatus[]; meaning: string }[];
export type TripBookingStatus = (typeof TRIP_BOOKING_STATUSES)[number]['booking'];

/** The trip word for an order state (total: every order state has one). */
export function tripBookingStatus(status: OrderStatus): TripBookingStatus {
  const row = TRIP_BOOKING_STATUSES.find((r) => (r.orders as readonly OrderStatus[]).includes(status));
  if (!row) throw new Error(`no trip booking status for order status ${status}`);
  return row.booking;
}

/** A flight's schedule as the API writes it: what every flight and segment view carries, ISO times in UTC. */
export interface FlightScheduleView {
  carrier: string;
  /** Carrier code and number, as printed on a ticket: "AL100". */
  flight_number: string;
  origin: string;
  destination: string;
  departure_at: string;
  arrival_at: string;
}
