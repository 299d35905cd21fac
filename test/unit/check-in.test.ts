import { describe, expect, it } from 'vitest';
import { decodeBcbp, decodeBcbpConditional, encodeBcbp } from '../../domain/bcbp';
import {
  checkInWindowState,
  couponStatus,
  isInternational,
  travelDocumentIssues,
  type CouponUseStatus,
} from '../../domain/check-in';
import type { FareConditions } from '../../domain/commercial';
import { couponKey, refundQuote } from '../../domain/refund';

describe('couponStatus (the one rule of a coupon’s status)', () => {
  it('shows the day of travel’s status on an OPEN ticket, OPEN without a check-in', () => {
    expect(couponStatus('OPEN', null)).toBe('OPEN');
    expect(couponStatus('OPEN', undefined)).toBe('OPEN');
    for (const s of ['CHECKED_IN', 'BOARDED', 'FLOWN', 'NO_SHOW'] as const) expect(couponStatus('OPEN', s)).toBe(s);
  });

  it('lets a refunded, voided or exchanged ticket win over any check-in', () => {
    for (const t of ['REFUNDED', 'VOIDED', 'EXCHANGED'] as const) {
      expect(couponStatus(t, 'CHECKED_IN')).toBe(t);
      expect(couponStatus(t, 'BOARDED')).toBe(t);
      expect(couponStatus(t, null)).toBe(t);
    }
  });
});

describe('the check-in window', () => {
  const departure = Date.UTC(2026, 11, 3, 12, 0);
  const w = { opensHoursBefore: 24, closesMinutesBefore: 60 };
  it('is not open before 24 h, open until 60 min before, closed after', () => {
    expect(checkInWindowState(departure, departure - 24 * 3_600_000 - 1, w)).toBe('NOT_OPEN');
    expect(checkInWindowState(departure, departure - 24 * 3_600_000, w)).toBe('OPEN');
    expect(checkInWindowState(departure, departure - 60 * 60_000 - 1, w)).toBe('OPEN');
    expect(checkInWindowState(departure, departure - 60 * 60_000, w)).toBe('CLOSED');
    expect(checkInWindowState(departure, departure + 1, w)).toBe('CLOSED');
  });
  it('calls a flight between two countries international', () => {
    expect(isInternational('FR', 'fr')).toBe(false);
    expect(isInternational('FR', 'GB')).toBe(true);
  });
});

describe('travel documents (APIS)', () => {
  const arrival = Date.UTC(2026, 11, 3, 14, 0);
  const good = { type: 'P', number: 'X1234567', nationality: 'FRA', expiry: '2026-12-03' };
  it('accepts a passport or identity card valid on the arrival day', () => {
    expect(travelDocumentIssues(good, arrival, 'd')).toEqual([]);
    expect(travelDocumentIssues({ ...good, type: 'I' }, arrival, 'd')).toEqual([]);
  });
  it('names every bad field', () => {
    const issues = travelDocumentIssues(
      { type: 'V', number: 'x1', nationality: 'FR', expiry: '2026-02-30' },
      arrival,
      'travelers.0.document',
    );
    expect(issues.map((i) => i.path)).toEqual([
      'travelers.0.document.type',
      'travelers.0.document.number',
      'travelers.0.document.nationality',
      'travelers.0.document.expiry',
    ]);
    expect(travelDocumentIssues({ ...good, expiry: '2026-12-02' }, arrival, 'd')).toEqual([
      { path: 'd.expiry', message: 'the document expires before the flight arrives' },
    ]);
    expect(travelDocumentIssues({ ...good, number: 'A'.repeat(21) }, arrival, 'd')).toHaveLength(1);
  });
});

describe('BCBP conditional items (a pass issued at check-in)', () => {
  it('round-trips the seat, sequence, infant indicator, ticket and issuer', () => {
    const encoded = encodeBcbp({
      passengerName: { last: 'Doe', first: 'Baby' },
      electronicTicket: true,
      conditional: {
        passengerDescription: '4',
        sourceOfCheckIn: 'W',
        sourceOfIssuance: 'W',
        issuedAt: new Date('2026-12-03T08:00:00Z'),
        issuer: 'AL',
      },
      legs: [
        {
          pnr: 'ABC234',
          from: 'CDG',
          to: 'LHR',
          carrier: 'AL',
          flightNumber: '318',
          flightDate: new Date('2026-12-03T10:00:00Z'),
          compartment: 'Y',
          seat: 'INF',
          checkInSequence: 42,
          passengerStatus: '1',
          ticketNumber: '1571000000042',
          documentVerification: '2',
        },
      ],
    });
    const pass = decodeBcbp(encoded);
    expect(pass.legs[0]).toMatchObject({
      pnr: 'ABC234',
      from: 'CDG',
      to: 'LHR',
      carrier: 'AL',
      flightNumber: '318',
      julianDay: 337,
      compartment: 'Y',
      seat: 'INF',
      checkInSequence: '42',
      passengerStatus: '1',
    });
    expect(decodeBcbpConditional(pass)).toEqual({
      version: '6',
      passengerDescription: '4',
      sourceOfCheckIn: 'W',
      sourceOfIssuance: 'W',
      dateOfIssue: '6337',
      documentType: 'B',
      issuer: 'AL',
      ticketNumber: '1571000000042',
      selectee: ' ',
      documentVerification: '2',
    });
    // The variable-size field's declared size covers exactly the conditional items.
    expect(encoded.length).toBe(60 + parseInt(encoded.slice(58, 60), 16));
  });

  it('reads no conditional items from a pass that carries none', () => {
    const plain = 'M1DESMARAIS/LUC       EABC123 YULFRAAC 0834 326J001A0025 100';
    expect(decodeBcbpConditional(decodeBcbp(plain))).toBeNull();
  });
});

describe('the no-show rule reads the coupons’ statuses', () => {
  const conditions: FareConditions = {
    refund_before_departure: { allowed: true, penalty_amount: 1000, penalty_currency: 'USD' },
    change_before_departure: { allowed: true, penalty_amount: 0, penalty_currency: 'USD' },
    no_show: { allowed: true, penalty_amount: 5000, penalty_currency: 'USD' },
  };
  // Two travelers on an outbound (F1, departed) and a return (F2).
  const items = ['T1', 'T2'].flatMap((t) => [
    { travelerId: t, flightId: 'F1', amount: 10_000 },
    { travelerId: t, flightId: 'F2', amount: 10_000 },
  ]);
  const quote = (coupons?: Map<string, CouponUseStatus>, departed = ['F1']) =>
    refundQuote({ conditions, items, departedFlightIds: new Set(departed), charged: 40_000, coupons });

  it('without statuses, a departure puts everyone under no_show (as before)', () => {
    expect(quote()).toMatchObject({ rule: 'no_show', amount: 2 * (10_000 - 5000), flown: 20_000 });
  });

  it('a traveler who flew cancels the rest under refund_before_departure; a no-show under no_show', () => {
    const coupons = new Map<string, CouponUseStatus>([
      [couponKey('T1', 'F1'), 'FLOWN'],
      [couponKey('T2', 'F1'), 'NO_SHOW'],
    ]);
    expect(quote(coupons)).toMatchObject({ rule: 'no_show', amount: 10_000 - 1000 + (10_000 - 5000) });
    const allFlown = new Map<string, CouponUseStatus>([
      [couponKey('T1', 'F1'), 'FLOWN'],
      [couponKey('T2', 'F1'), 'FLOWN'],
    ]);
    expect(quote(allFlown)).toMatchObject({ rule: 'refund_before_departure', amount: 2 * (10_000 - 1000) });
  });

  it('a settled coupon counts its flight as departed whatever the clock says', () => {
    const coupons = new Map<string, CouponUseStatus>([
      [couponKey('T1', 'F1'), 'NO_SHOW'],
      [couponKey('T2', 'F1'), 'NO_SHOW'],
    ]);
    expect(quote(coupons, [])).toMatchObject({ rule: 'no_show', flown: 20_000, amount: 2 * (10_000 - 5000) });
  });
});
