/**
 * domain/vocabulary.ts, the one home of the API's naming rules: the flight-number format, the passenger-type
 * aliases, and the trip's status words — total over the order states and rendered, row for row, in the README.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES } from '../../domain/order';
import {
  FLIGHT_DESIGNATOR,
  flightDesignator,
  flightNumberOnly,
  PASSENGER_REF,
  passengerTypeOf,
  TRIP_BOOKING_STATUSES,
  tripBookingStatus,
} from '../../domain/vocabulary';

describe('flight numbers: carrier and number', () => {
  it('reads a number kept with or without its carrier alike', () => {
    expect(flightDesignator('AL', '318')).toBe('AL318');
    expect(flightDesignator('AL', 'AL318')).toBe('AL318');
    expect(flightNumberOnly('AL', 'AL318')).toBe('318');
    expect(flightNumberOnly('AL', '318')).toBe('318');
    expect(flightNumberOnly('9W', '9W12')).toBe('12');
  });

  it('one pattern: a designator then 1–4 digits and an optional letter; a bare number is not one', () => {
    for (const ok of ['AL318', 'AL1', '9W1234', 'U2123', 'LX318A']) expect(ok).toMatch(FLIGHT_DESIGNATOR);
    for (const bad of ['318', '9901', 'AL', 'al318', 'AL12345', 'AL 318']) expect(bad).not.toMatch(FLIGHT_DESIGNATOR);
  });
});

describe('passenger types and references', () => {
  it('ADT/CHD/INF as they are, the seed’s words as aliases', () => {
    expect(['ADT', 'CHD', 'INF', 'ADULT', 'CHILD', 'INFANT'].map((t) => passengerTypeOf(t as 'ADT'))).toEqual([
      'ADT',
      'CHD',
      'INF',
      'ADT',
      'CHD',
      'INF',
    ]);
  });

  it('a reference is a type and a place from 1', () => {
    for (const ok of ['ADT1', 'CHD2', 'INF1', 'ADT10']) expect(ok).toMatch(PASSENGER_REF);
    for (const bad of ['ADT0', 'ADULT1', 'INF', 'adt1', 'ADT01']) expect(bad).not.toMatch(PASSENGER_REF);
  });
});

describe('the trip status words', () => {
  it('map every order state onto exactly one word', () => {
    for (const status of ORDER_STATUSES) {
      const words = TRIP_BOOKING_STATUSES.filter((r) => (r.orders as readonly string[]).includes(status));
      expect(words, status).toHaveLength(1);
      expect(tripBookingStatus(status)).toBe(words[0]!.booking);
    }
    expect(tripBookingStatus('FULFILLED')).toBe('CONFIRMED');
    expect(tripBookingStatus('PAYMENT_PENDING')).toBe('PENDING');
  });

  it('are the table the README shows, row for row', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rendered = TRIP_BOOKING_STATUSES.map(
      (r) => `| \`${r.booking}\` | ${r.orders.map((o) => `\`${o}\``).join(', ')} | ${r.meaning} |`,
    );
    const start = readme.indexOf('| trip `status` | order states | meaning |');
    expect(start).toBeGreaterThan(0);
    const table = readme
      .slice(start)
      .split('\n')
      .slice(2, 2 + rendered.length);
    expect(table).toEqual(rendered);
  });
});
