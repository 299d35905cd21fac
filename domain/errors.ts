/**
 * Typed domain errors. Each knows its code and HTTP status in this one mapping; the API's onError turns any
 * DomainError into `{ error: { code, message, details } }`.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_REQUEST: 400,
  UNAUTHENTICATED: 401,
  PAYMENT_DECLINED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SOLD_OUT: 409,
  SEAT_UNAVAILABLE: 409,
  /** A seat in another cabin than the one the order or trip was priced for. */
  CABIN_MISMATCH: 409,
  INVALID_STATE: 409,
  /** A client has as many unpaid holds (or held seats) open as it may (README, "Abuse limits"). */
  TOO_MANY_HOLDS: 409,
  FLIGHT_CANCELLED: 409,
  /** An answer to an airline-initiated change on an order that has none open (never had, or answered already). */
  NO_OPEN_DISRUPTION: 409,
  FLIGHT_CLOSED: 409,
  /** Check-in for the flight has not opened yet (config check_in.opens_hours_before). */
  CHECK_IN_NOT_OPEN: 409,
  /** Check-in for the flight has closed (config check_in.closes_minutes_before). */
  CHECK_IN_CLOSED: 409,
  /** A gate scan of a boarding pass whose coupon is already boarded (or flown). */
  ALREADY_BOARDED: 409,
  /** A gate scan of a pass that was reissued since (a seat change): only the latest pass boards. */
  BOARDING_PASS_SUPERSEDED: 409,
  /** A gate scan of a traveler who has not checked in on that flight. */
  NOT_CHECKED_IN: 409,
  /** The coupon is not open: its ticket was refunded, voided or exchanged, or the coupon settled as no-show. */
  COUPON_NOT_OPEN: 409,
  REQUEST_TIMEOUT: 408,
  GONE: 410,
  OFFER_EXPIRED: 410,
  OFFER_LOST: 410,
  HOLD_EXPIRED: 410,
  /** A cancellation quote confirmed after its expiry: ask for a new quote. */
  QUOTE_EXPIRED: 410,
  FLIGHT_DEPARTED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  /** The fare conditions sold with the order do not allow this change (`details.condition` names it). */
  CHANGE_NOT_ALLOWED: 422,
  /** More of a service than its limit allows (e.g. bags per traveler per segment). */
  LIMIT_EXCEEDED: 422,
  /** A service whose refund rule gives nothing back now (insurance; a bag within 24 h of departure). */
  NOT_REFUNDABLE: 422,
  /** A gate scan of a boarding pass for another flight or another day than the gate's. */
  WRONG_FLIGHT: 422,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  DEPENDENCY_UNAVAILABLE: 503,
  TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Whether a failure with this code is worth retrying: server-side trouble (5xx) is, a refusal (4xx) is not. */
export const isRetryable = (code: ErrorCode): boolean => ERROR_STATUS[code] >= 500;

/** The codes an activity fails with that must not be retried (the workflow's activity options list them). */
export const NON_RETRYABLE_CODES: ErrorCode[] = (Object.keys(ERROR_STATUS) as ErrorCode[]).filter(
  (c) => !isRetryable(c),
);

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);

/** The generic code of an HTTP status the framework answers by itself (the first code listed with it). */
export function codeForStatus(status: number): ErrorCode | undefined {
  return (Object.keys(ERROR_STATUS) as ErrorCode[]).find((c) => ERROR_STATUS[c] === status);
}

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string, id: string) => new DomainError('NOT_FOUND', `${what} ${id} was not found`);
export const invalid = (message: string, details?: unknown) => new DomainError('VALIDATION_FAILED', message, details);
