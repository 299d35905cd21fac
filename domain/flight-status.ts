/**
 * A flight's status from its schedule, and whether it may be sold: the one rule that flight search, offer search,
 * the accept / trip commit / pay pre-checks, the admin reads and the worker's status moves all apply.
 *
 *   SCHEDULED ──(sales close: orders.sales_close_minutes before departure)──→ CLOSED ──(departure)──→ DEPARTED
 *             ──(arrival)──→ ARRIVED;      CANCELLED (by an admin) at any time before departure, and it stays so.
 *
 * Only SCHEDULED sells. The recorded status (flights.status) is what an admin set (CANCELLED) or what the worker
 * last moved; the times decide the rest at the moment asked, so a read between two moves is still right. A
 * recorded DEPARTED or ARRIVED is a fact and stays; a recorded CLOSED is not (a flight retimed later reopens).
 */
import { DomainError, type ErrorCode } from './errors';

export const FLIGHT_STATUSES = ['SCHEDULED', 'CLOSED', 'DEPARTED', 'ARRIVED', 'CANCELLED'] as const;
export type FlightStatus = (typeof FLIGHT_STATUSES)[number];

export interface FlightSchedule {
  /** The recorded status. */
  status: FlightStatus;
  /** Epoch milliseconds. */
  departureMs: number;
  arrivalMs: number;
}

/** When sales of a flight close (epoch ms). */
export const salesCloseAt = (departureMs: number, salesCloseMinutes: number) =>
  departureMs - salesCloseMinutes * 60_000;

/** The flight's status at `nowMs`. */
export function flightStatusAt(f: FlightSchedule, nowMs: number, salesCloseMinutes: number): FlightStatus {
  if (f.status === 'CANCELLED') return 'CANCELLED';
  if (f.status === 'ARRIVED' || nowMs >= f.arrivalMs) return 'ARRIVED';
  if (f.status === 'DEPARTED' || nowMs >= f.departureMs) return 'DEPARTED';
  if (nowMs >= salesCloseAt(f.departureMs, salesCloseMinutes)) return 'CLOSED';
  return 'SCHEDULED';
}

export const isSellable = (f: FlightSchedule, nowMs: number, salesCloseMinutes: number) =>
  flightStatusAt(f, nowMs, salesCloseMinutes) === 'SCHEDULED';

/** The refusal for a flight that cannot be sold, by its status; ARRIVED is a departed flight too. */
export const UNSELLABLE_CODE: Record<Exclude<FlightStatus, 'SCHEDULED'>, ErrorCode> = {
  CANCELLED: 'FLIGHT_CANCELLED',
  CLOSED: 'FLIGHT_CLOSED',
  DEPARTED: 'FLIGHT_DEPARTED',
  ARRIVED: 'FLIGHT_DEPARTED',
};

const REASON: Record<Exclude<FlightStatus, 'SCHEDULED'>, string> = {
  CANCELLED: 'has been cancelled',
  CLOSED: 'is closed for sale',
  DEPARTED: 'has departed',
  ARRIVED: 'has departed',
};

/**
 * Throws FLIGHT_CANCELLED (409), FLIGHT_CLOSED (409) or FLIGHT_DEPARTED (410) for the first flight that cannot be
 * sold at `nowMs`, naming it, its status and when its sales closed.
 */
export function assertSellable(
  flights: readonly (FlightSchedule & { id: string; label?: string })[],
  nowMs: number,
  salesCloseMinutes: number,
): void {
  for (const f of flights) {
    const status = flightStatusAt(f, nowMs, salesCloseMinutes);
    if (status === 'SCHEDULED') continue;
    throw new DomainError(UNSELLABLE_CODE[status], `flight ${f.label ?? f.id} ${REASON[status]}: it cannot be sold`, {
      flight_id: f.id,
      status,
      departure_at: new Date(f.departureMs).toISOString(),
      sales_close_at: new Date(salesCloseAt(f.departureMs, salesCloseMinutes)).toISOString(),
    });
  }
}
