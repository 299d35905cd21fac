import { describe, expect, it } from 'vitest';
import {
  formatEmdNumber,
  formatTicketNumber,
  isValidTicketNumber,
  parseTicketNumber,
  ticketCheckDigit,
  ticketDocumentsFor,
  type TicketingOrder,
} from '../../domain/tickets';
import { expectDomainError } from '../support/domain-errors';

const expectError = expectDomainError;

const sequence = (start: bigint) => {
  let next = start;
  return () => next++;
};

const order = (over: Partial<TicketingOrder> = {}): TicketingOrder => ({
  prefix: '157',
  travelers: [
    { id: 'pax-1', ptc: 'ADT' },
    { id: 'pax-2', ptc: 'CHD' },
    { id: 'pax-3', ptc: 'INF' },
  ],
  segments: [{ id: 'seg-1' }, { id: 'seg-2' }],
  ancillaries: [
    { id: 'anc-1', traveler_id: 'pax-1', segment_id: 'seg-2', product_type: 'BAGGAGE', rfic: 'C', rfisc: '0GO' },
    { id: 'anc-2', traveler_id: 'pax-2', segment_id: null, product_type: 'LOUNGE', rfic: 'E', rfisc: '0BX' },
  ],
  nextSerial: sequence(2_400_000_000n),
  ...over,
});

describe('ticket numbers', () => {
  it('formats a 3-digit prefix and a zero-padded 10-digit serial', () => {
    expect(formatTicketNumber('157', 1234567890n)).toBe('1571234567890');
    expect(formatTicketNumber('014', 42)).toBe('0140000000042');
    expect(formatTicketNumber('157', 0)).toBe('1570000000000');
    expect(formatTicketNumber('157', 9_999_999_999n)).toBe('1579999999999');
    expect(formatEmdNumber('157', 7n)).toBe('1570000000007');
  });

  it('rejects a bad prefix or a serial that does not fit 10 digits', () => {
    for (const prefix of ['15', '1577', 'AB1', '']) expectError(() => formatTicketNumber(prefix, 1));
    expectError(() => formatTicketNumber('157', -1));
    expectError(() => formatTicketNumber('157', -1n));
    expectError(() => formatTicketNumber('157', 10_000_000_000n));
    expectError(() => formatTicketNumber('157', 1.5));
    expectError(() => formatTicketNumber('157', Number.NaN));
    expectError(() => formatEmdNumber('15', 1));
  });

  it('computes the modulus-7 check digit of the serial, prefix excluded', () => {
    expect(ticketCheckDigit('1571234567890')).toBe(3); // 1234567890 = 7 × 176366841 + 3
    expect(ticketCheckDigit('0141234567890')).toBe(3);
    expect(ticketCheckDigit('1570000000007')).toBe(0);
    expect(ticketCheckDigit('1570000000013')).toBe(6);
    expect(ticketCheckDigit('1579999999999')).toBe(Number(9_999_999_999n % 7n));
  });

  it('parses the forms a ticket number is written in', () => {
    const parts = { prefix: '157', serial: 1234567890n };
    expect(parseTicketNumber('1571234567890')).toEqual(parts);
    expect(parseTicketNumber('157-1234567890')).toEqual(parts);
    expect(parseTicketNumber('15712345678903')).toEqual(parts);
    expect(parseTicketNumber('157-1234567890 3')).toEqual(parts);
    expect(parseTicketNumber(formatTicketNumber('220', 42n))).toEqual({ prefix: '220', serial: 42n });
  });

  it('rejects what is not a ticket number', () => {
    const bad = ['', '157123456789', '157123456789012', '157-12345678AB', 'ABC1234567890', '157-1234567890 4'];
    for (const s of bad) {
      expectError(() => parseTicketNumber(s));
      expect(isValidTicketNumber(s)).toBe(false);
    }
    expect(isValidTicketNumber('1571234567890')).toBe(true);
    expect(isValidTicketNumber('157-1234567890-3')).toBe(true);
  });
});

describe('ticketDocumentsFor', () => {
  it('issues one e-ticket per traveler per segment and one EMD per ancillary', () => {
    const { tickets, emds } = ticketDocumentsFor(order());
    expect(tickets).toEqual([
      { number: '1572400000000', traveler_id: 'pax-1', segment_ids: ['seg-1'] },
      { number: '1572400000001', traveler_id: 'pax-1', segment_ids: ['seg-2'] },
      { number: '1572400000002', traveler_id: 'pax-2', segment_ids: ['seg-1'] },
      { number: '1572400000003', traveler_id: 'pax-2', segment_ids: ['seg-2'] },
      { number: '1572400000004', traveler_id: 'pax-3', segment_ids: ['seg-1'] },
      { number: '1572400000005', traveler_id: 'pax-3', segment_ids: ['seg-2'] },
    ]);
    expect(emds).toEqual([
      {
        number: '1572400000006',
        type: 'EMD-A',
        ancillary_id: 'anc-1',
        traveler_id: 'pax-1',
        segment_id: 'seg-2',
        associated_ticket: '1572400000001',
        product_type: 'BAGGAGE',
        rfic: 'C',
        rfisc: '0GO',
      },
      {
        number: '1572400000007',
        type: 'EMD-S',
        ancillary_id: 'anc-2',
        traveler_id: 'pax-2',
        segment_id: null,
        associated_ticket: null,
        product_type: 'LOUNGE',
        rfic: 'E',
        rfisc: '0BX',
      },
    ]);
    const numbers = [...tickets, ...emds].map((d) => d.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers.every(isValidTicketNumber)).toBe(true);
  });

  it('is deterministic given the sequence', () => {
    expect(ticketDocumentsFor(order({ nextSerial: sequence(5n) }))).toEqual(
      ticketDocumentsFor(order({ nextSerial: sequence(5n) })),
    );
  });

  it('numbers EMDs from their own sequence when given one', () => {
    const { tickets, emds } = ticketDocumentsFor(
      order({ nextSerial: sequence(1n), nextEmdSerial: sequence(9_000_000_000n) }),
    );
    expect(tickets.map((t) => t.number).at(-1)).toBe('1570000000006');
    expect(emds.map((e) => e.number)).toEqual(['1579000000000', '1579000000001']);
  });

  it('issues tickets and no EMDs for an order without ancillaries', () => {
    const { tickets, emds } = ticketDocumentsFor(order({ travelers: [{ id: 'a', ptc: 'ADT' }], ancillaries: [] }));
    expect(tickets).toHaveLength(2);
    expect(emds).toEqual([]);
  });

  it('refuses a sequence that repeats a serial', () => {
    expectError(() => ticketDocumentsFor(order({ nextSerial: () => 1n })), 'INTERNAL');
  });

  it('rejects an order that cannot be ticketed', () => {
    const base = order();
    const ancillary = base.ancillaries[0]!;
    expectError(() => ticketDocumentsFor(order({ prefix: '15' })));
    expectError(() => ticketDocumentsFor(order({ travelers: [] })));
    expectError(() => ticketDocumentsFor(order({ segments: [] })));
    expectError(() => ticketDocumentsFor(order({ segments: [{ id: 's' }, { id: 's' }] })));
    expectError(() => ticketDocumentsFor(order({ ancillaries: [{ ...ancillary, traveler_id: 'nobody' }] })));
    expectError(() => ticketDocumentsFor(order({ ancillaries: [{ ...ancillary, segment_id: 'nowhere' }] })));
    expectError(() => ticketDocumentsFor(order({ ancillaries: [{ ...ancillary, rfisc: '0G' }] })));
    expectError(() => ticketDocumentsFor(order({ ancillaries: [ancillary, ancillary] })));
    expectError(() => ticketDocumentsFor(order({ nextSerial: () => 10_000_000_000n })));
  });
});
