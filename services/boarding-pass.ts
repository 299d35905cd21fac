/**
 * One traveler's IATA BCBP boarding pass for one flight of an order, the one home of how Altis fills it in: issued
 * at fulfilment (services/orders.ts) and reissued when a paid order's seat changes (services/servicing.ts).
 */
import { encodeBcbp } from '../domain/bcbp';
import type { OrderSegment } from '../domain/order';
import { flightNumberOnly } from '../domain/vocabulary';

const COMPARTMENT: Record<string, string> = { FIRST: 'F', BUSINESS: 'J', PREMIUM_ECONOMY: 'W', ECONOMY: 'Y' };

export function boardingPassBcbp(p: {
  pnr: string;
  name: { last: string; first: string };
  segment: OrderSegment;
  seat: string | null;
  /** The traveler's place in the order, from 1. */
  checkInSequence: number;
}): string {
  const s = p.segment;
  return encodeBcbp({
    passengerName: p.name,
    electronicTicket: true,
    legs: [
      {
        pnr: p.pnr,
        from: s.origin,
        to: s.destination,
        carrier: s.carrier,
        flightNumber: flightNumberOnly(s.carrier, s.flightNumber),
        flightDate: new Date(s.departureAt),
        compartment: COMPARTMENT[s.cabin] ?? 'Y',
        seat: p.seat,
        checkInSequence: p.checkInSequence,
        passengerStatus: '0',
      },
    ],
  });
}
