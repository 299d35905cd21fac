import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/errors';
import { ERROR_STATUS } from '../../domain/errors';
import { assertSellable, flightStatusAt, isSellable, type FlightSchedule } from '../../domain/flight-status';

const MIN = 60_000;
const dep = Date.parse('2026-06-01T12:00:00Z');
const arr = dep + 120 * MIN;
const flight = (status: FlightSchedule['status'] = 'SCHEDULED'): FlightSchedule => ({
  status,
  departureMs: dep,
  arrivalMs: arr,
});

describe('flightStatusAt: SCHEDULED → CLOSED → DEPARTED → ARRIVED from the times', () => {
  it.each([
    [-61, 'SCHEDULED'],
    [-60, 'CLOSED'], // sales close exactly sales_close_minutes before departure
    [-1, 'CLOSED'],
    [0, 'DEPARTED'],
    [119, 'DEPARTED'],
    [120, 'ARRIVED'],
  ])('%i minutes from departure: %s', (minutes, status) => {
    expect(flightStatusAt(flight(), dep + minutes * MIN, 60)).toBe(status);
  });

  it('with sales_close_minutes 0 a flight sells until its departure minute', () => {
    expect(flightStatusAt(flight(), dep - 1, 0)).toBe('SCHEDULED');
    expect(flightStatusAt(flight(), dep, 0)).toBe('DEPARTED');
  });

  it('CANCELLED stays whatever the time; a recorded DEPARTED or ARRIVED stays; a recorded CLOSED does not', () => {
    for (const at of [dep - 600 * MIN, dep, arr + MIN])
      expect(flightStatusAt(flight('CANCELLED'), at, 60)).toBe('CANCELLED');
    expect(flightStatusAt(flight('DEPARTED'), dep - 600 * MIN, 60)).toBe('DEPARTED');
    expect(flightStatusAt(flight('ARRIVED'), dep - 600 * MIN, 60)).toBe('ARRIVED');
    // A flight closed and then retimed later sells again.
    expect(flightStatusAt(flight('CLOSED'), dep - 600 * MIN, 60)).toBe('SCHEDULED');
  });

  it('only SCHEDULED is sellable', () => {
    expect(isSellable(flight(), dep - 61 * MIN, 60)).toBe(true);
    expect(isSellable(flight(), dep - 59 * MIN, 60)).toBe(false);
    expect(isSellable(flight('CANCELLED'), dep - 600 * MIN, 60)).toBe(false);
  });
});

describe('flightStatusAt with the check-in window: SCHEDULED → CHECK_IN_OPEN → CLOSED', () => {
  const rules = { salesCloseMinutes: 60, checkInOpensHours: 24 };
  it.each([
    [-24 * 60 - 1, 'SCHEDULED'],
    [-24 * 60, 'CHECK_IN_OPEN'], // check-in opens exactly opens_hours_before departure
    [-61, 'CHECK_IN_OPEN'],
    [-60, 'CLOSED'],
    [0, 'DEPARTED'],
    [120, 'ARRIVED'],
  ])('%i minutes from departure: %s', (minutes, status) => {
    expect(flightStatusAt(flight(), dep + minutes * MIN, rules)).toBe(status);
  });

  it('a flight keeps selling while its check-in is open, and a recorded CHECK_IN_OPEN is judged by the times', () => {
    expect(isSellable(flight(), dep - 2 * 60 * MIN, rules)).toBe(true);
    expect(() => assertSellable([{ id: 'f', ...flight() }], dep - 2 * 60 * MIN, rules)).not.toThrow();
    expect(isSellable(flight(), dep - 30 * MIN, rules)).toBe(false);
    expect(flightStatusAt(flight('CHECK_IN_OPEN'), dep - 30 * MIN, rules)).toBe('CLOSED');
    expect(flightStatusAt(flight('CHECK_IN_OPEN'), dep - 48 * 60 * MIN, rules)).toBe('SCHEDULED'); // retimed later
  });
});

describe('assertSellable', () => {
  const refusal = (f: FlightSchedule, at: number) => {
    try {
      assertSellable([{ id: 'f1', label: 'AL100', ...f }], at, 60);
      return null;
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      const e = err as DomainError;
      return { code: e.code, status: e.status, details: e.details, message: e.message };
    }
  };

  it('passes a sellable flight', () => {
    expect(refusal(flight(), dep - 61 * MIN)).toBeNull();
  });

  it('refuses with a code that says why, its HTTP status, and when sales closed', () => {
    expect(refusal(flight('CANCELLED'), dep - 600 * MIN)).toMatchObject({
      code: 'FLIGHT_CANCELLED',
      status: 409,
      message: 'flight AL100 has been cancelled: it cannot be sold',
      details: { flight_id: 'f1', status: 'CANCELLED' },
    });
    expect(refusal(flight(), dep - 30 * MIN)).toMatchObject({
      code: 'FLIGHT_CLOSED',
      status: 409,
      details: {
        status: 'CLOSED',
        sales_close_at: '2026-06-01T11:00:00.000Z',
        departure_at: '2026-06-01T12:00:00.000Z',
      },
    });
    expect(refusal(flight(), dep + MIN)).toMatchObject({ code: 'FLIGHT_DEPARTED', status: 410 });
    expect(refusal(flight(), arr + MIN)).toMatchObject({
      code: 'FLIGHT_DEPARTED',
      status: 410,
      details: { status: 'ARRIVED' },
    });
  });

  it('names the first flight of an itinerary that cannot be sold', () => {
    expect(() =>
      assertSellable(
        [
          { id: 'out', ...flight() },
          { id: 'back', ...flight('CANCELLED') },
        ],
        dep - 600 * MIN,
        60,
      ),
    ).toThrow(
      expect.objectContaining({ code: 'FLIGHT_CANCELLED', details: expect.objectContaining({ flight_id: 'back' }) }),
    );
  });

  it('the codes have their statuses in the one mapping', () => {
    expect([ERROR_STATUS.FLIGHT_CANCELLED, ERROR_STATUS.FLIGHT_CLOSED, ERROR_STATUS.FLIGHT_DEPARTED]).toEqual([
      409, 409, 410,
    ]);
  });
});
