/**
 * One traveler's IATA BCBP boarding pass for one flight of an order, the one home of how Altis fills it in: issued
 * at fulfilment (services/orders.ts: passenger status 0, not checked in), issued again at check-in
 * (services/check-in.ts: status 1, the flight's check-in sequence, the seat, the conditional items) and reissued
 * when a paid order's seat changes (services/servicing.ts).
 */
import { toBuffer } from 'bwip-js/node';
import { encodeBcbp } from '../domain/bcbp';
import type { OrderSegment } from '../domain/order';
import { recordLocator } from '../domain/record-locator';
import { flightNumberOnly } from '../domain/vocabulary';
import type { PiiCipher } from '../lib/pii';

// IATA compartment codes of the cabin sold: F first, J business, W premium economy, Y economy.
const COMPARTMENT: Record<string, string> = { FIRST: 'F', BUSINESS: 'J', PREMIUM_ECONOMY: 'W', ECONOMY: 'Y' };

/** The compartment code a pass carries for a cabin sold. */
export const compartmentOf = (cabin: string) => COMPARTMENT[cabin] ?? 'Y';

/** A BCBP leg's flight: the record locator and the segment flown (route, carrier, flight, date, compartment). */
const legOf = (pnr: string, s: OrderSegment) => ({
  pnr,
  from: s.origin,
  to: s.destination,
  carrier: s.carrier,
  flightNumber: flightNumberOnly(s.carrier, s.flightNumber),
  flightDate: new Date(s.departureAt),
  compartment: compartmentOf(s.cabin),
});

/**
 * The pass issued at check-in: passenger status 1 (checked in), the check-in sequence unique on the flight, the
 * seat ('INF' for a lap infant, who has none), and the conditional items: passenger description (4 infant, 3 child,
 * 0 adult), where check-in was made (W web, A agent), the date of issue, the issuer, the e-ticket number and
 * whether travel documents were checked (2, an international flight) or not required (0).
 */
export function checkedInBoardingPassBcbp(p: {
  pnr: string;
  name: { last: string; first: string };
  segment: OrderSegment;
  seat: string | null;
  checkInSequence: number;
  ptc: string;
  ticketNumber: string;
  documentsChecked: boolean;
  source: 'W' | 'A';
  issuer: string;
  issuedAt: Date;
}): string {
  const s = p.segment;
  const infant = p.ptc === 'INF';
  return encodeBcbp({
    passengerName: p.name,
    electronicTicket: true,
    conditional: {
      passengerDescription: infant ? '4' : p.ptc === 'CHD' ? '3' : '0',
      sourceOfCheckIn: p.source,
      sourceOfIssuance: p.source,
      issuedAt: p.issuedAt,
      issuer: p.issuer,
    },
    legs: [
      {
        ...legOf(p.pnr, s),
        seat: infant ? 'INF' : p.seat,
        checkInSequence: p.checkInSequence,
        passengerStatus: '1',
        ticketNumber: p.ticketNumber,
        documentVerification: p.documentsChecked ? '2' : '0',
      },
    ],
  });
}

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
        ...legOf(p.pnr, s),
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
  /** The order's seat assignments: a traveler's seat on a flight, none when it has no row. */
  seats: readonly { flightId: string; travelerId: string | null; seatNumber: string }[];
}) {
  const pnr = recordLocator(p.orderId);
  const seatOf = (travelerId: string, flightId: string) =>
    p.seats.find((x) => x.flightId === flightId && x.travelerId === travelerId)?.seatNumber ?? null;
  return p.travelers.flatMap((t, index) => {
    const name = { last: p.pii.decrypt(t.lastName), first: p.pii.decrypt(t.firstName) };
    return p.segments.map((s) => ({
      orderId: p.orderId,
      travelerId: t.id,
      flightId: s.flightId,
      bcbp: boardingPassBcbp({ pnr, name, segment: s, seat: seatOf(t.id, s.flightId), checkInSequence: index + 1 }),
    }));
  });
}

/** The pass as a PDF417 barcode image (PNG), the symbology IATA Resolution 792 names for printed passes. */
export async function boardingPassPng(bcbp: string): Promise<Buffer> {
  return toBuffer({ bcid: 'pdf417', text: bcbp, scale: 2, height: 12, includetext: false });
}
