/**
 * Ticket and EMD numbers, and the documents an order is fulfilled with. Pure: serials come from the caller's
 * sequence (`nextSerial`), so the same sequence always yields the same documents.
 *
 * A document number is 13 digits: the issuing airline's 3-digit accounting prefix (e.g. "157") followed by a
 * 10-digit serial (form code + serial number). Its IATA check digit is printed after it but is not part of it.
 */
import { DomainError, invalid } from './errors';

export type PassengerTypeCode = 'ADT' | 'CHD' | 'INF';

export interface TicketNumberParts {
  prefix: string;
  serial: bigint;
}

const SERIAL_MAX = 9_999_999_999n;
const PREFIX = /^\d{3}$/;
// "1572401234567", "157-2401234567", optionally followed by the check digit ("15724012345673", "157-2401234567 3").
const TICKET_NUMBER = /^(\d{3})-?(\d{10})(?:[ -]?(\d))?$/;

/** The 13-digit e-ticket number for an airline prefix and a serial, zero-padding the serial to 10 digits. */
export function formatTicketNumber(prefix: string, serial: bigint | number): string {
  if (!PREFIX.test(prefix)) throw invalid('Airline accounting prefix must be 3 digits', { prefix });
  return prefix + toSerial(serial).toString().padStart(10, '0');
}

/**
 * The 13-digit EMD number: same form and rules as a ticket number. EMDs are numbered from their own serial range,
 * so the caller passes a serial from its EMD sequence, never one from the ticket sequence.
 */
export function formatEmdNumber(prefix: string, serial: bigint | number): string {
  return formatTicketNumber(prefix, serial);
}

/**
 * The IATA check digit of a ticket (or EMD) number: the 10-digit serial part (airline prefix excluded) modulo 7,
 * so always 0–6. Accepts any form `parseTicketNumber` accepts.
 */
export function ticketCheckDigit(number13: string): number {
  return Number(parseTicketNumber(number13).serial % 7n);
}

/**
 * Splits a ticket or EMD number into prefix and serial. Accepts 13 digits, an optional hyphen after the prefix
 * and an optional trailing check digit (which must then be right). Throws VALIDATION_FAILED otherwise.
 */
export function parseTicketNumber(s: string): TicketNumberParts {
  const match = TICKET_NUMBER.exec(s.trim());
  const [, prefix, serialDigits, checkDigit] = match ?? [];
  if (prefix === undefined || serialDigits === undefined) {
    throw invalid('A ticket number is a 3-digit airline prefix and a 10-digit serial', { ticket_number: s });
  }
  const serial = BigInt(serialDigits);
  if (checkDigit !== undefined && Number(checkDigit) !== Number(serial % 7n)) {
    throw invalid('Ticket number check digit does not match', { ticket_number: s });
  }
  return { prefix, serial };
}

export function isValidTicketNumber(s: string): boolean {
  try {
    parseTicketNumber(s);
    return true;
  } catch {
    return false;
  }
}

export interface TicketingTraveler {
  id: string;
  ptc: PassengerTypeCode;
}

export interface TicketingAncillary {
  id: string;
  traveler_id: string;
  /** The flight segment the service is used on, or null for a service not tied to one flight. */
  segment_id: string | null;
  product_type: string;
  /** Reason For Issuance Code, one letter (e.g. "C" baggage, "A" air transportation). */
  rfic: string;
  /** Reason For Issuance Sub Code, 3 characters (e.g. "0GO"). */
  rfisc: string;
}

export interface TicketingOrder {
  prefix: string;
  travelers: readonly TicketingTraveler[];
  segments: readonly { id: string }[];
  ancillaries: readonly TicketingAncillary[];
  /** The ticket serial sequence. Also used for EMDs when `nextEmdSerial` is not given. */
  nextSerial: () => bigint;
  /** The EMD serial sequence, when EMDs are numbered from their own range. */
  nextEmdSerial?: () => bigint;
}

export interface ETicket {
  number: string;
  traveler_id: string;
  segment_ids: string[];
}

export interface Emd {
  number: string;
  /** EMD-A is associated with the traveler's ticket for the segment; EMD-S stands alone. */
  type: 'EMD-A' | 'EMD-S';
  ancillary_id: string;
  traveler_id: string;
  segment_id: string | null;
  associated_ticket: string | null;
  product_type: string;
  rfic: string;
  rfisc: string;
}

export interface TicketDocuments {
  tickets: ETicket[];
  emds: Emd[];
}

/**
 * The documents an order is fulfilled with: one e-ticket per traveler per flight segment (infants included; the
 * design issues "a 13-digit e-ticket number per traveler per flight", so each ticket carries one coupon), then
 * one EMD per ancillary item. Serials are drawn in that order (travelers, then segments within a traveler, then
 * ancillaries), so the result is deterministic given the sequence. The caller keeps the result keyed by order so
 * that a retried fulfilment does not draw new numbers.
 */
export function ticketDocumentsFor(order: TicketingOrder): TicketDocuments {
  validateOrder(order);
  const issued = new Set<string>();
  const unique = (number: string): string => {
    // A sequence that repeats itself is a bug in the caller's store, not bad input.
    if (issued.has(number)) throw new DomainError('INTERNAL', `Serial sequence issued ${number} twice`);
    issued.add(number);
    return number;
  };

  const tickets: ETicket[] = [];
  const ticketFor = new Map<string, string>();
  for (const traveler of order.travelers) {
    for (const segment of order.segments) {
      const number = unique(formatTicketNumber(order.prefix, order.nextSerial()));
      tickets.push({ number, traveler_id: traveler.id, segment_ids: [segment.id] });
      ticketFor.set(couponKey(traveler.id, segment.id), number);
    }
  }

  const nextEmdSerial = order.nextEmdSerial ?? order.nextSerial;
  const emds = order.ancillaries.map((item): Emd => {
    const associated =
      item.segment_id === null ? null : (ticketFor.get(couponKey(item.traveler_id, item.segment_id)) ?? null);
    return {
      number: unique(formatEmdNumber(order.prefix, nextEmdSerial())),
      type: associated === null ? 'EMD-S' : 'EMD-A',
      ancillary_id: item.id,
      traveler_id: item.traveler_id,
      segment_id: item.segment_id,
      associated_ticket: associated,
      product_type: item.product_type,
      rfic: item.rfic,
      rfisc: item.rfisc,
    };
  });

  return { tickets, emds };
}

function validateOrder(order: TicketingOrder): void {
  if (!PREFIX.test(order.prefix)) throw invalid('Airline accounting prefix must be 3 digits', { prefix: order.prefix });
  if (order.travelers.length === 0) throw invalid('An order needs at least one traveler to be ticketed');
  if (order.segments.length === 0) throw invalid('An order needs at least one flight segment to be ticketed');
  const travelerIds = distinctIds('traveler', order.travelers);
  const segmentIds = distinctIds('segment', order.segments);
  distinctIds('ancillary', order.ancillaries);
  for (const item of order.ancillaries) {
    if (!travelerIds.has(item.traveler_id)) {
      throw invalid(`Ancillary ${item.id} names unknown traveler ${item.traveler_id}`, { ancillary_id: item.id });
    }
    if (item.segment_id !== null && !segmentIds.has(item.segment_id)) {
      throw invalid(`Ancillary ${item.id} names unknown segment ${item.segment_id}`, { ancillary_id: item.id });
    }
    if (!/^[A-Z]$/.test(item.rfic) || !/^[0-9A-Z]{3}$/.test(item.rfisc)) {
      throw invalid(`Ancillary ${item.id} needs a 1-letter RFIC and a 3-character RFISC`, {
        ancillary_id: item.id,
        rfic: item.rfic,
        rfisc: item.rfisc,
      });
    }
  }
}

function distinctIds(what: string, items: readonly { id: string }[]): Set<string> {
  const ids = new Set<string>();
  for (const { id } of items) {
    if (ids.has(id)) throw invalid(`Duplicate ${what} id ${id}`, { [`${what}_id`]: id });
    ids.add(id);
  }
  return ids;
}

function toSerial(serial: bigint | number): bigint {
  if (typeof serial === 'number' && !Number.isSafeInteger(serial)) {
    throw invalid('Ticket serial must be an integer', { serial });
  }
  const value = BigInt(serial);
  if (value < 0n || value > SERIAL_MAX) {
    throw invalid('Ticket serial must be between 0 and 9999999999', { serial: value.toString() });
  }
  return value;
}

const couponKey = (travelerId: string, segmentId: string) => `${travelerId}\u0000${segmentId}`;

/**
 * A document's coupon status: OPEN until used or given back; REFUNDED when a cancellation refunded its value,
 * VOIDED when it was cancelled with nothing refunded (a non-refundable fare); EXCHANGED when reissued.
 */
export const COUPON_STATUSES = ['OPEN', 'REFUNDED', 'VOIDED', 'EXCHANGED'] as const;
export type CouponStatus = (typeof COUPON_STATUSES)[number];
