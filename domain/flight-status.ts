/**
 * A flight's status from its schedule, and whether it may be sold: the one rule that flight search, offer search,
 * the accept / trip commit / pay pre-checks, the admin reads and the worker's status moves all apply.
 *
 *   SCHEDULED ──(check-in opens: check_in.opens_hours_before departure)──→ CHECK_IN_OPEN
 *             ──(sales close: orders.sales_close_minutes before departure)──→ CLOSED ──(departure)──→ DEPARTED
 *             ──(arrival)──→ ARRIVED;      CANCELLED (by an admin) at any time before departure, and it stays so.
 *
 * SCHEDULED and CHECK_IN_OPEN sell (a flight keeps selling while its check-in is open, until sales close). The recorded status (flights.status) is what an admin set (CANCELLED) or what the worker
 * last moved; the times decide the rest at the moment asked, so a read between two moves is still right. A
 * recorded DEPARTED or ARRIVED is a fact and stays; a recorded CLOSED is not (a flight retimed later reopens).
 */
import { DomainError, type ErrorCode } from './errors';

export const FLIGHT_STATUSES = ['SCHEDULED', 'CHECK_IN_OPEN', 'CLOSED', 'DEPARTED', 'ARRIVED', 'CANCELLED'] as const;
export type FlightStatus = (typeof FLIGHT_STATUSES)[number];

/** The statuses in which a flight is sold (and listed by search). */
export const SELLING_STATUSES = ['SCHEDULED', 'CHECK_IN_OPEN'] as const satisfies readonly FlightStatus[];
type Unsellable = Exclude<FlightStatus, (typeof SELLING_STATUSES)[number]>;
export const isSelling = (s: FlightStatus): s is (typeof SELLING_STATUSES)[number] =>
  (SELLING_STATUSES as readonly FlightStatus[]).includes(s);

/**
 * The times that move a flight's status: sales close `salesCloseMinutes` before departure; check-in opens
 * `checkInOpensHours` before it (config `check_in.opens_hours_before`; without it the flight shows SCHEDULED until
 * sales close).
 */
export interface ScheduleRules {
  salesCloseMinutes: number;
  checkInOpensHours?: number;
}
const rulesOf = (r: number | ScheduleRules): ScheduleRules => (typeof r === 'number' ? { salesCloseMinutes: r } : r);

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

/** The flight's status at `nowMs` (rules: the sales close in minutes, or the sales close and check-in opening). */
export function flightStatusAt(f: FlightSchedule, nowMs: number, rules: number | ScheduleRules): FlightStatus {
  const { salesCloseMinutes, checkInOpensHours } = rulesOf(rules);
  if (f.status === 'CANCELLED') return 'CANCELLED';
  if (f.status === 'ARRIVED' || nowMs >= f.arrivalMs) return 'ARRIVED';
  if (f.status === 'DEPARTED' || nowMs >= f.departureMs) return 'DEPARTED';
  if (nowMs >= salesCloseAt(f.departureMs, salesCloseMinutes)) return 'CLOSED';
  if (checkInOpensHours !== undefined && nowMs >= f.departureMs - checkInOpensHours * 3_600_000) {
    return 'CHECK_IN_OPEN';
  }
  return 'SCHEDULED';
}

export const isSellable = (f: FlightSchedule, nowMs: number, rules: number | ScheduleRules) =>
  isSelling(flightStatusAt(f, nowMs, rules));

/** The refusal for a flight that cannot be sold, by its status; ARRIVED is a departed flight too. */
export const UNSELLABLE_CODE: Record<Unsellable, ErrorCode> = {
  CANCELLED: 'FLIGHT_CANCELLED',
  CLOSED: 'FLIGHT_CLOSED',
  DEPARTED: 'FLIGHT_DEPARTED',
  ARRIVED: 'FLIGHT_DEPARTED',
};

const REASON: Record<Unsellable, string> = {
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
  rules: number | ScheduleRules,
): void {
  const { salesCloseMinutes } = rulesOf(rules);
  for (const f of flights) {
    const status = flightStatusAt(f, nowMs, rules);
    if (isSelling(status)) continue;
    throw new DomainError(UNSELLABLE_CODE[status], `flight ${f.label ?? f.id} ${REASON[status]}: it cannot be sold`, {
      flight_id: f.id,
      status,
      departure_at: new Date(f.departureMs).toISOString(),
      sales_close_at: new Date(salesCloseAt(f.departureMs, salesCloseMinutes)).toISOString(),
    });
  }
}
