import { describe, expect, it } from 'vitest';
import { bcbpName, decodeBcbp, encodeBcbp, julianDay, type BcbpInput, type BcbpLegInput } from '../../domain/bcbp';
import { expectDomainError } from '../support/domain-errors';

// IATA Resolution 792 Attachment B, example 1 (mandatory items only).
const IATA_EXAMPLE_1 = 'M1DESMARAIS/LUC       EABC123 YULFRAAC 0834 326J001A0025 100';
// Example 2: two legs with conditional items and security data, to show the decoder skips them by size.
const IATA_EXAMPLE_2 =
  'M2DESMARAIS/LUC       EABC123 YULFRAAC 0834 226F001A0025 14D>6181WW6225BAC 00141234560032A0141234567890 1AC AC ' +
  '1234567890123    20KYLX58ZDEF456 FRAGVALH 3664 227C012C0002 12E2A0140987654321 1AC AC 1234567890123    2PCNWQ' +
  '^164GIWVC5EH7JNT684FVNJ91W2QA4DVN5J8K4F0L0GEQ3DF5TGBN8709HKT5D3DW3GBHFCVHMY7J5T6HFR41W2QA4DVN5J8K4F0L0GE';

const yulFra: BcbpLegInput = {
  pnr: 'ABC123',
  from: 'YUL',
  to: 'FRA',
  carrier: 'AC',
  flightNumber: 834,
  flightDate: new Date(Date.UTC(2024, 10, 21, 22, 30)), // 21 Nov of a leap year: day 326
  compartment: 'J',
  seat: '1A',
  checkInSequence: 25,
  passengerStatus: '1',
};

const luc: BcbpInput = {
  passengerName: { last: 'Desmarais', first: 'Luc' },
  electronicTicket: true,
  legs: [yulFra],
};

const leg = (over: Partial<BcbpLegInput>): BcbpLegInput => ({ ...yulFra, ...over });

const expectValidationError = (fn: () => unknown) => expectDomainError(fn);

describe('encodeBcbp', () => {
  it('reproduces the IATA example field by field', () => {
    const expected = [
      'M', // format code
      '1', // number of legs encoded
      'DESMARAIS/LUC'.padEnd(20), // passenger name
      'E', // electronic ticket indicator
      'ABC123 ', // operating carrier PNR code (7)
      'YUL', // from
      'FRA', // to
      'AC ', // operating carrier designator (3)
      '0834 ', // flight number (5)
      '326', // date of flight (Julian)
      'J', // compartment code
      '001A', // seat number (4)
      '0025 ', // check-in sequence number (5)
      '1', // passenger status
      '00', // field size of variable size field (hex)
    ].join('');
    expect(expected).toBe(IATA_EXAMPLE_1);
    expect(encodeBcbp(luc)).toBe(expected);
  });

  it('is 60 characters for one leg and adds 37 per further leg', () => {
    const legs = [
      yulFra,
      leg({ from: 'FRA', to: 'GVA', carrier: 'LH', flightNumber: '3664' }),
      leg({ from: 'GVA', to: 'LHR', carrier: 'LX', flightNumber: '318A' }),
      leg({ from: 'LHR', to: 'YUL', carrier: 'BAW', flightNumber: 95 }),
    ];
    for (let n = 1; n <= 4; n += 1) {
      const pass = encodeBcbp({ ...luc, legs: legs.slice(0, n) });
      expect(pass).toHaveLength(60 + 37 * (n - 1));
      expect(pass[1]).toBe(String(n));
    }
  });

  it('encodes no seat as four spaces, a flight suffix, a 3-letter carrier and a paper ticket', () => {
    const pass = encodeBcbp({
      ...luc,
      electronicTicket: false,
      legs: [leg({ seat: null, flightNumber: '7a', carrier: 'baw', pnr: 'xyz9', checkInSequence: 0 })],
    });
    expect(pass.slice(22)).toBe(' XYZ9   YULFRABAW0007A326J    0000 100');
  });

  it('writes the Julian date from the UTC calendar day', () => {
    expect(julianDay(new Date(Date.UTC(2025, 0, 1)))).toBe(1);
    expect(julianDay(new Date(Date.UTC(2024, 11, 31, 23, 59)))).toBe(366);
    expect(julianDay(new Date(Date.UTC(2025, 11, 31)))).toBe(365);
    expect(julianDay(new Date(Date.UTC(2024, 2, 1)))).toBe(61); // after 29 Feb
    expect(encodeBcbp({ ...luc, legs: [leg({ flightDate: new Date('2025-01-01T00:00:00Z') })] }).slice(44, 47)).toBe(
      '001',
    );
    expect(encodeBcbp({ ...luc, legs: [leg({ flightDate: new Date('2024-12-31T23:00:00Z') })] }).slice(44, 47)).toBe(
      '366',
    );
  });

  it('rejects bad input with VALIDATION_FAILED', () => {
    const bad: Partial<BcbpLegInput>[] = [
      { from: 'YU' },
      { to: 'FR1' },
      { carrier: 'A' },
      { carrier: 'ABCD' },
      { pnr: 'ABCDEFGH' },
      { pnr: '' },
      { seat: '1L' },
      { seat: '1234A' },
      { seat: 'A1' },
      { seat: '0A' },
      { flightNumber: 12345 },
      { flightNumber: 0 },
      { flightNumber: 'AC834' },
      { compartment: 'JJ' },
      { checkInSequence: 10_000 },
      { checkInSequence: -1 },
      { checkInSequence: 1.5 },
      { passengerStatus: '' },
      { flightDate: new Date('not a date') },
    ];
    for (const over of bad) expectValidationError(() => encodeBcbp({ ...luc, legs: [leg(over)] }));
    expectValidationError(() => encodeBcbp({ ...luc, legs: [] }));
    expectValidationError(() => encodeBcbp({ ...luc, legs: [yulFra, yulFra, yulFra, yulFra, yulFra] }));
    expectValidationError(() => encodeBcbp({ ...luc, passengerName: { last: "-'", first: 'Luc' } }));
  });
});

describe('bcbpName', () => {
  it('transliterates to A-Z, joining hyphenated and apostrophised names', () => {
    expect(bcbpName({ last: "Ñúñez-O'Brien", first: 'Zoë' })).toBe('NUNEZOBRIEN/ZOE');
    expect(bcbpName({ last: 'van  der Berg', first: ' Jo  Ann ' })).toBe('VAN DER BERG/JO ANN');
    expect(bcbpName({ last: 'Øster-Lærke', first: 'Łukasz' })).toBe('OESTERLAERKE/LUKASZ');
    expect(bcbpName({ last: 'Strauß', first: 'Jürgen' })).toBe('STRAUSS/JURGEN');
    expect(bcbpName({ last: 'Cher', first: '' })).toBe('CHER/');
  });

  it('truncates to 20 characters, first name first', () => {
    expect(bcbpName({ last: 'Wolfeschlegelsteinhausen', first: 'Hubert' })).toBe('WOLFESCHLEGELSTEINHA');
    expect(bcbpName({ last: 'Montgomery', first: 'Bartholomew' })).toBe('MONTGOMERY/BARTHOLOM');
  });

  it('puts the transliterated name in the pass', () => {
    const pass = encodeBcbp({ ...luc, passengerName: { last: "Ñúñez-O'Brien", first: 'Zoë' } });
    expect(pass.slice(2, 22)).toBe('NUNEZOBRIEN/ZOE     ');
    expect(decodeBcbp(pass)).toMatchObject({ passengerName: 'NUNEZOBRIEN/ZOE', last: 'NUNEZOBRIEN', first: 'ZOE' });
  });
});

describe('decodeBcbp', () => {
  it('reads the IATA example', () => {
    expect(decodeBcbp(IATA_EXAMPLE_1)).toEqual({
      formatCode: 'M',
      passengerName: 'DESMARAIS/LUC',
      last: 'DESMARAIS',
      first: 'LUC',
      electronicTicket: true,
      legs: [
        {
          pnr: 'ABC123',
          from: 'YUL',
          to: 'FRA',
          carrier: 'AC',
          flightNumber: '834',
          julianDay: 326,
          compartment: 'J',
          seat: '1A',
          checkInSequence: '25',
          passengerStatus: '1',
          variableData: '',
        },
      ],
      securityData: null,
    });
  });

  it('round-trips what encodeBcbp writes', () => {
    const legs = [
      yulFra,
      leg({
        pnr: 'DEF456',
        from: 'FRA',
        to: 'GVA',
        carrier: 'LH',
        flightNumber: '3664A',
        flightDate: new Date('2025-01-01T06:00:00Z'),
        compartment: 'C',
        seat: '12C',
        checkInSequence: 2,
        passengerStatus: '0',
      }),
      leg({ from: 'GVA', to: 'ZRH', carrier: 'LX', seat: null, flightDate: new Date('2024-12-31T12:00:00Z') }),
    ];
    const decoded = decodeBcbp(encodeBcbp({ ...luc, legs }));
    expect(decoded.legs).toHaveLength(3);
    expect(decoded.legs[1]).toEqual({
      pnr: 'DEF456',
      from: 'FRA',
      to: 'GVA',
      carrier: 'LH',
      flightNumber: '3664A',
      julianDay: 1,
      compartment: 'C',
      seat: '12C',
      checkInSequence: '2',
      passengerStatus: '0',
      variableData: '',
    });
    expect(decoded.legs[2]).toMatchObject({ seat: null, julianDay: 366, carrier: 'LX', flightNumber: '834' });
  });

  it('skips conditional items and reads security data in a published multi-leg pass', () => {
    const decoded = decodeBcbp(IATA_EXAMPLE_2);
    expect(decoded.legs.map((l) => [l.pnr, l.from, l.to, l.carrier, l.flightNumber, l.julianDay, l.seat])).toEqual([
      ['ABC123', 'YUL', 'FRA', 'AC', '834', 226, '1A'],
      ['DEF456', 'FRA', 'GVA', 'LH', '3664', 227, '12C'],
    ]);
    expect(decoded.legs[0]!.variableData).toHaveLength(0x4d);
    expect(decoded.legs[1]!.variableData).toHaveLength(0x2e);
    expect(decoded.securityData?.type).toBe('1');
    expect(decoded.securityData?.data).toHaveLength(0x64);
  });

  it('rejects malformed passes with VALIDATION_FAILED', () => {
    const bad = [
      '',
      'X' + IATA_EXAMPLE_1.slice(1), // format code
      'M0' + IATA_EXAMPLE_1.slice(2), // no legs
      'M5' + IATA_EXAMPLE_1.slice(2), // more legs than allowed
      IATA_EXAMPLE_1.slice(0, 59), // too short
      IATA_EXAMPLE_1 + ' ', // trailing data
      'M2' + IATA_EXAMPLE_1.slice(2), // claims a second leg it lacks
      IATA_EXAMPLE_1.slice(0, 58) + 'G0', // size field not hex
      IATA_EXAMPLE_1.slice(0, 58) + '05', // declares variable data it lacks
      IATA_EXAMPLE_1.replace('326', '367'), // no such day of year
      IATA_EXAMPLE_1.replace('0834 ', '08X4 '), // flight number
      IATA_EXAMPLE_1.replace('DESMARAIS', 'DESMARAÏS'), // not ASCII
      IATA_EXAMPLE_1 + '^101', // security data shorter than declared
    ];
    for (const s of bad) expectValidationError(() => decodeBcbp(s));
  });
});
