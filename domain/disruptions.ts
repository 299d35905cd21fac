/**
 * Airline-initiated changes (issue #15): what an admin's change of a flight is for its orders. Pure rules; the
 * writes are services/disruptions.ts, the fan-out workflows/flight-disruption.ts.
 */
import { cabinRank, CABINS, type Cabin } from './cabins';

export type DisruptionKind = 'FLIGHT_CANCELLED' | 'FLIGHT_RETIMED' | 'FLIGHT_DELAYED';
export type DisruptionAction = 'accept' | 'refund';

export interface FlightState {
  status: string;
  departureAt: string;
  arrivalAt: string;
}

/** The Flight* event of each kind. */
export const FLIGHT_EVENT: Record<DisruptionKind, string> = {
  FLIGHT_CANCELLED: 'FlightCancelled',
  FLIGHT_RETIMED: 'FlightRetimed',
  FLIGHT_DELAYED: 'FlightDelayed',
};

/**
 * What a change of a flight is for the orders on it: a cancel (a flight not cancelled before), a delay (departure
 * later), a retime (any other move of its times), or nothing (a reinstatement, the same times: no disruption).
 */
export function disruptionKind(before: FlightState, after: FlightState): DisruptionKind | null {
  if (after.status === 'CANCELLED' && before.status !== 'CANCELLED') return 'FLIGHT_CANCELLED';
  if (after.status === 'CANCELLED') return null;
  const dep = Date.parse(after.departureAt) - Date.parse(before.departureAt);
  const arr = Date.parse(after.arrivalAt) - Date.parse(before.arrivalAt);
  if (dep === 0 && arr === 0) return null;
  return dep > 0 ? 'FLIGHT_DELAYED' : 'FLIGHT_RETIMED';
}

/** A retime the customer is deemed to accept: departure and arrival each move by at most the tolerance. */
export function withinTolerance(before: FlightState, after: FlightState, toleranceMinutes: number): boolean {
  const limit = toleranceMinutes * 60_000;
  return (
    Math.abs(Date.parse(after.departureAt) - Date.parse(before.departureAt)) <= limit &&
    Math.abs(Date.parse(after.arrivalAt) - Date.parse(before.arrivalAt)) <= limit
  );
}

/** The cabins a re-accommodation may use for a traveler sold `cabin`: the same first, then the better ones. */
export const protectCabins = (cabin: Cabin): Cabin[] => CABINS.filter((c) => cabinRank(c) >= cabinRank(cabin));
