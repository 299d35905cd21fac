/**
 * IATA Resolution 792 Bar Coded Boarding Pass (BCBP), format code "M": the fixed-width text a boarding-pass
 * barcode (PDF417, Aztec, QR) carries. Altis encodes the mandatory items only; the decoder also reads passes
 * that carry conditional items and security data, skipping those by their declared sizes.
 *
 * Layout: unique items (23 characters), then per leg the repeated mandatory items (37 characters) followed by
 * that leg's variable-size data. A one-leg pass is 60 characters and each further leg adds 37.
 */
import { invalid } from './errors';

export interface BcbpLegInput {
  /** Operating carrier PNR code (record locator), up to 7 characters. */
  pnr: string;
  from: string;
  to: string;
  /** Operating carrier designator: 2-character IATA or 3-letter ICAO code. */
  carrier: string;
  /** 1–4 digits with an optional letter suffix: 834, '834', '834A'. */
  flightNumber: string | number;
  /** Departure date; its UTC calendar day becomes the Julian date of flight. */
  flightDate: Date;
  /** Compartment (cabin) code, one letter, e.g. 'Y'. */
  compartment: string;
  /** Row and letter like '1A' or '12C'; null when no seat is assigned yet (encoded as four spaces). */
  seat: string | null;
  /** 0–9999: the field holds four digits and an optional suffix (IATA sample: "0025 "). */
  checkInSequence: number;
  /** Passenger status, one character ('0' not checked in, '1' checked in, ...). */
  passengerStatus: string;
}

export interface BcbpInput {
  passengerName: { last: string; first: string };
  electronicTicket: boolean;
  legs: readonly BcbpLegInput[];
}

export interface DecodedBcbpLeg {
  pnr: string;
  from: string;
  to: string;
  carrier: string;
  /** Without leading zeros or padding: "834", "834A". */
  flightNumber: string;
  /** Day of the year, 1–366; the year is not encoded. */
  julianDay: number;
  compartment: string;
  /** Normalised like "1A"; null when the field is blank; other airline values ("INF", "GATE") as given. */
  seat: string | null;
  /** Without leading zeros or padding: "25", or "25A" when the pass carries a suffix. */
  checkInSequence: string;
  passengerStatus: string;
  /** The leg's variable-size data (conditional and airline items), undecoded; "" when none. */
  variableData: string;
}

export interface DecodedBcbp {
  formatCode: 'M';
  /** As encoded, e.g. "DESMARAIS/LUC". */
  passengerName: string;
  last: string;
  first: string;
  electronicTicket: boolean;
  legs: DecodedBcbpLeg[];
  securityData: { type: string; data: string } | null;
}

export const BCBP_MAX_LEGS = 4;
const UNIQUE_LENGTH = 23;
const LEG_LENGTH = 37;
const NAME_LENGTH = 20;
const SEAT = /^(\d{1,3})([A-K])$/;

/** Encodes one passenger's boarding pass for 1–4 legs with the mandatory items only. */
export function encodeBcbp(input: BcbpInput): string {
  const { legs } = input;
  if (legs.length < 1 || legs.length > BCBP_MAX_LEGS) {
    throw invalid(`A boarding pass encodes 1 to ${BCBP_MAX_LEGS} legs`, { legs: legs.length });
  }
  const unique = 'M' + String(legs.length) + bcbpName(input.passengerName).padEnd(NAME_LENGTH, ' ');
  return unique + (input.electronicTicket ? 'E' : ' ') + legs.map(encodeLeg).join('');
}

/**
 * "LAST/FIRST" as the barcode carries it: upper case, letters A–Z and single spaces only, at most 20 characters.
 * Diacritics are stripped (NFD), the few letters NFD cannot split follow ICAO Doc 9303 (ß→SS, Æ→AE, Ø→OE, ...),
 * and everything else is dropped, so hyphenated and apostrophised names are joined: "Ñúñez-O'Brien" → "NUNEZOBRIEN"
 * (as airline reservation systems store them). Truncation cuts the first name before the last name.
 */
export function bcbpName(name: { last: string; first: string }): string {
  const last = transliterate(name.last);
  const first = transliterate(name.first);
  if (last === '') throw invalid('Passenger last name has no letters that a boarding pass can carry', { name });
  return `${last}/${first}`.slice(0, NAME_LENGTH);
}

/** Day of the year (1–366) of a date's UTC calendar day: the BCBP "Date of Flight". */
export function julianDay(date: Date): number {
  const time = date.getTime();
  if (Number.isNaN(time)) throw invalid('Flight date is not a valid date');
  return Math.floor((time - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** Reads a format "M" pass: the mandatory items of every leg, skipping variable-size data by its declared size. */
export function decodeBcbp(s: string): DecodedBcbp {
  if (!/^[\x20-\x7E]*$/.test(s)) throw malformed('it holds characters outside printable ASCII');
  if (s[0] !== 'M') throw malformed('format code must be "M"');
  const legCount = Number(s[1]);
  if (!/^[1-4]$/.test(s[1] ?? '')) throw malformed(`number of legs must be 1 to ${BCBP_MAX_LEGS}`);
  if (s.length < UNIQUE_LENGTH + LEG_LENGTH * legCount) throw malformed('it is shorter than its legs need');

  const passengerName = s.slice(2, 22).trimEnd();
  const slash = passengerName.indexOf('/');
  const legs: DecodedBcbpLeg[] = [];
  let at = UNIQUE_LENGTH;
  for (let i = 0; i < legCount; i += 1) {
    const leg = s.slice(at, at + LEG_LENGTH);
    if (leg.length < LEG_LENGTH) throw malformed(`leg ${i + 1} is cut short`);
    const size = leg.slice(35, 37);
    if (!/^[0-9A-Fa-f]{2}$/.test(size)) throw malformed(`leg ${i + 1} variable-size field is not hexadecimal`);
    const variableData = s.slice(at + LEG_LENGTH, at + LEG_LENGTH + parseInt(size, 16));
    if (variableData.length !== parseInt(size, 16)) throw malformed(`leg ${i + 1} variable-size data is cut short`);
    legs.push(decodeLeg(leg, variableData, i + 1));
    at += LEG_LENGTH + variableData.length;
  }

  return {
    formatCode: 'M',
    passengerName,
    last: slash === -1 ? passengerName : passengerName.slice(0, slash),
    first: slash === -1 ? '' : passengerName.slice(slash + 1),
    electronicTicket: s[22] === 'E',
    legs,
    securityData: decodeSecurityData(s.slice(at)),
  };
}

function encodeLeg(leg: BcbpLegInput, index: number): string {
  const where = `leg ${index + 1}`;
  const pnr = leg.pnr.trim().toUpperCase();
  if (!/^[A-Z0-9]{1,7}$/.test(pnr)) throw invalid(`${where}: PNR code must be 1 to 7 letters or digits`, leg);
  const from = airport(leg.from, where);
  const to = airport(leg.to, where);
  const carrier = leg.carrier.trim().toUpperCase();
  if (!/^[A-Z0-9]{2,3}$/.test(carrier)) throw invalid(`${where}: carrier must be a 2- or 3-character code`, leg);
  const compartment = leg.compartment.toUpperCase();
  if (!/^[A-Z]$/.test(compartment)) throw invalid(`${where}: compartment code must be one letter`, leg);
  const status = leg.passengerStatus.toUpperCase();
  if (!/^[0-9A-Z]$/.test(status)) throw invalid(`${where}: passenger status must be one letter or digit`, leg);
  const sequence = leg.checkInSequence;
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 9999) {
    throw invalid(`${where}: check-in sequence number must be 0 to 9999`, leg);
  }
  return [
    pnr.padEnd(7, ' '),
    from,
    to,
    carrier.padEnd(3, ' '),
    flightNumber(leg.flightNumber, where),
    String(julianDay(leg.flightDate)).padStart(3, '0'),
    compartment,
    seat(leg.seat, where),
    String(sequence).padStart(4, '0') + ' ',
    status,
    '00', // size of the variable-size field: no conditional items
  ].join('');
}

function decodeLeg(leg: string, variableData: string, n: number): DecodedBcbpLeg {
  const field = (start: number, length: number) => leg.slice(start, start + length);
  const flight = /^0*(\d{1,4}[A-Z]?)$/.exec(field(16, 5).trim());
  if (flight?.[1] === undefined) throw malformed(`leg ${n} flight number is not 4 digits and a suffix`);
  const julian = field(21, 3);
  const day = Number(julian);
  if (!/^\d{3}$/.test(julian) || day < 1 || day > 366) throw malformed(`leg ${n} date of flight is not a day of year`);
  const sequence = /^0*(\d+[A-Z]?) *$/.exec(field(29, 5));
  if (sequence?.[1] === undefined) throw malformed(`leg ${n} check-in sequence number is not numeric`);
  const seatField = field(25, 4);
  const seatMatch = /^0*(\d{1,3}[A-Z])$/.exec(seatField);
  return {
    pnr: field(0, 7).trimEnd(),
    from: field(7, 3),
    to: field(10, 3),
    carrier: field(13, 3).trimEnd(),
    flightNumber: flight[1],
    julianDay: day,
    compartment: field(24, 1),
    seat: seatMatch?.[1] ?? (seatField.trim() === '' ? null : seatField.trim()),
    checkInSequence: sequence[1],
    passengerStatus: field(34, 1),
    variableData,
  };
}

function decodeSecurityData(rest: string): DecodedBcbp['securityData'] {
  if (rest === '') return null;
  // Security data: "^", type (1), length (2, hex), data.
  const size = rest.slice(2, 4);
  if (rest[0] !== '^' || !/^[0-9A-Fa-f]{2}$/.test(size) || rest.length !== 4 + parseInt(size, 16)) {
    throw malformed('it has data after its last leg that is not security data of the declared length');
  }
  return { type: rest.slice(1, 2), data: rest.slice(4) };
}

function airport(code: string, where: string): string {
  const upper = code.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(upper)) throw invalid(`${where}: airport code must be 3 letters`, { airport: code });
  return upper;
}

function flightNumber(value: string | number, where: string): string {
  const match = /^0*(\d{1,4})([A-Z]?)$/.exec(String(value).trim().toUpperCase());
  if (match?.[1] === undefined || Number(match[1]) === 0) {
    throw invalid(`${where}: flight number must be 1 to 4 digits and an optional letter`, { flightNumber: value });
  }
  return match[1].padStart(4, '0') + (match[2] || ' ');
}

function seat(value: string | null, where: string): string {
  if (value === null) return '    ';
  const match = SEAT.exec(value.trim().toUpperCase());
  if (match?.[1] === undefined || match[2] === undefined || Number(match[1]) === 0) {
    throw invalid(`${where}: seat must be a row and a letter A-K, like 12C`, { seat: value });
  }
  return match[1].padStart(3, '0') + match[2];
}

// Letters that NFD leaves whole, transliterated as ICAO Doc 9303 does for machine-readable names.
const LIGATURES: Record<string, string> = {
  Æ: 'AE',
  Ø: 'OE',
  Œ: 'OE',
  Þ: 'TH',
  Đ: 'D',
  Ð: 'D',
  Ł: 'L',
  Ħ: 'H',
  Ŋ: 'N',
};

function transliterate(part: string): string {
  return part
    .toUpperCase()
    .normalize('NFD')
    .replace(/[^\sA-Z]/g, (ch) => LIGATURES[ch] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

function malformed(reason: string) {
  return invalid(`Not a BCBP boarding pass: ${reason}`);
}
