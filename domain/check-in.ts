/**
 * Day of travel (issue #15): the check-in window, travel documents (APIS) and the one rule of what a coupon's
 * status is. A coupon is one traveler's ticket on one flight. Its ticket carries one status for all its coupons
 * (domain/tickets.ts COUPON_STATUSES: OPEN, REFUNDED, VOIDED, EXCHANGED); what happens to an OPEN coupon on the
 * day of travel is a check-in record per traveler and flight (CHECKED_IN → BOARDED → FLOWN, or NO_SHOW), which
 * exists only once the traveler checked in (or the flight departed without them). Pure.
 */
import type { CouponStatus } from './tickets';

export const CHECK_IN_STATUSES = ['CHECKED_IN', 'BOARDED', 'FLOWN', 'NO_SHOW'] as const;
export type CheckInStatus = (typeof CHECK_IN_STATUSES)[number];

/** Every status a coupon can show: the ticket's own, or the day of travel's once the ticket is OPEN. */
export const COUPON_USE_STATUSES = ['OPEN', ...CHECK_IN_STATUSES, 'REFUNDED', 'VOIDED', 'EXCHANGED'] as const;
export type CouponUseStatus = (typeof COUPON_USE_STATUSES)[number];

/**
 * What this coupon's status is: a refunded, voided or exchanged ticket wins over any check-in record (a pass of
 * a cancelled order never boards); an OPEN ticket shows its check-in record's status, or OPEN without one.
 */
export function couponStatus(ticketStatus: CouponStatus, checkIn: CheckInStatus | null | undefined): CouponUseStatus {
  if (ticketStatus !== 'OPEN') return ticketStatus;
  return checkIn ?? 'OPEN';
}

/** A coupon that has been used up by its flight: flown, or lost by not showing up. */
export const isUsedCoupon = (s: CouponUseStatus) => s === 'FLOWN' || s === 'NO_SHOW';

export interface CheckInWindow {
  opensHoursBefore: number;
  closesMinutesBefore: number;
}

/** Where `nowMs` falls in a flight's check-in window: before it opens, inside it, or after it closed. */
export function checkInWindowState(
  departureMs: number,
  nowMs: number,
  w: CheckInWindow,
): 'NOT_OPEN' | 'OPEN' | 'CLOSED' {
  if (nowMs < departureMs - w.opensHoursBefore * 3_600_000) return 'NOT_OPEN';
  if (nowMs >= departureMs - w.closesMinutesBefore * 60_000) return 'CLOSED';
  return 'OPEN';
}

/** A flight between airports of two countries: its travelers must give a travel document (APIS) at check-in. */
export const isInternational = (originCountry: string, destinationCountry: string) =>
  originCountry.toUpperCase() !== destinationCountry.toUpperCase();

export const TRAVEL_DOCUMENT_TYPES = ['P', 'I'] as const; // passport, national identity card (ICAO Doc 9303)

export interface TravelDocument {
  type: string;
  number: string;
  nationality: string;
  /** YYYY-MM-DD */
  expiry: string;
}

export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * Checks a travel document for a flight arriving at `arrivalMs`: type P or I, number 5–20 letters or digits,
 * nationality an ISO 3166-1 alpha-3 code (three letters), expiry a calendar date after the arrival day. Returns
 * one issue per bad field under `path` (empty when valid).
 */
export function travelDocumentIssues(doc: TravelDocument, arrivalMs: number, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!(TRAVEL_DOCUMENT_TYPES as readonly string[]).includes(doc.type)) {
    issues.push({ path: `${path}.type`, message: 'document type must be P (passport) or I (national identity card)' });
  }
  if (!/^[A-Z0-9]{5,20}$/.test(doc.number)) {
    issues.push({ path: `${path}.number`, message: 'document number must be 5 to 20 upper-case letters or digits' });
  }
  if (!/^[A-Z]{3}$/.test(doc.nationality)) {
    issues.push({ path: `${path}.nationality`, message: 'nationality must be an ISO 3166-1 alpha-3 code, e.g. FRA' });
  }
  const expiry = /^(\d{4})-(\d{2})-(\d{2})$/.exec(doc.expiry);
  const expiryMs = expiry ? Date.UTC(Number(expiry[1]), Number(expiry[2]) - 1, Number(expiry[3])) : NaN;
  const real = expiry !== null && new Date(expiryMs).toISOString().slice(0, 10) === doc.expiry;
  if (!real) {
    issues.push({ path: `${path}.expiry`, message: 'expiry must be a date YYYY-MM-DD' });
  } else if (expiryMs + 86_400_000 <= arrivalMs) {
    issues.push({ path: `${path}.expiry`, message: 'the document expires before the flight arrives' });
  }
  return issues;
}
