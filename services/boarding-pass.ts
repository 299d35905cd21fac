/**
 * One traveler's IATA BCBP boarding pass for one flight of an order, the one home of how Altis fills it in: issued
 * at fulfilment (services/orders.ts) and reissued when a paid order's seat changes (services/servicing.ts).
 */
import { encodeBcbp } from '../domain/bcbp';
import type { OrderSegment } from '../domain/order';
import { recordLocator } from '../domain/record-locator';
import { flightNumberOnly } from '../domain/vocabulary';
import type { PiiCipher } from '../lib/pii';

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

/**
 * An order's boarding passes for these flights: one per traveler and flight, each traveler's names decrypted, its
 * seat on that flight when it has one, the check-in sequence its place in the order (fulfilment and a change).
 */
export function boardingPassesFor(p: {
  orderId: string;
  travelers: readonly { id: string; firstName: string; lastName: string }[];
  segments: readonly OrderSegment[];
  pii: PiiCipher;
  seatOf: (travelerId: string, flightId: string) => string | null;
}) {
  const pnr = recordLocator(p.orderId);
  return p.travelers.flatMap((t, index) => {
    const name = { last: p.pii.decrypt(t.lastName), first: p.pii.decrypt(t.firstName) };
    return p.segments.map((s) => ({
      orderId: p.orderId,
      travelerId: t.id,
      flightId: s.flightId,
      bcbp: boardingPassBcbp({ pnr, name, segment: s, seat: p.seatOf(t.id, s.flightId), checkInSequence: index + 1 }),
    }));
  });
}
