/**
 * IATA Resolution 792 Bar Coded Boarding Pass (BCBP), format code "M": the fixed-width text a boarding-pass
 * barcode (PDF417, Aztec, QR) carries. Altis encodes the mandatory items only; the decoder also reads passes
 * that carry conditional items and security data, skipping those by their declared sizes.
 *
 * Layout: unique items (23 characters), then per leg the repeated mandatory items (37 characters) followed by
 * that leg's variable-size data. A one-leg pass is 60 characters and each further leg adds 37.
 *
 * A pass issued at check-in also carries conditional items (version 6) in its first leg's variable-size field:
 * the unique ones (passenger description — 4 for an infant —, source of check-in and of issuance, date of issue,
 * document type B, issuer) and the leg's repeated ones (the e-ticket's airline code and serial, selectee and
 * international documentation verification indicators): `decodeBcbpConditional` reads them back.
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
  /** Row and letter like '1A' or '12C'; 'INF' for a lap infant; null when none is assigned yet (four spaces). */
  seat: string | null;
  /** 0–9999: the field holds four digits and an optional suffix (IATA sample: "0025 "). */
  checkInSequence: number;
  /** Passenger status, one character ('0' not checked in, '1' checked in, ...). */
  passengerStatus: string;
  /** Conditional: the leg's 13-digit e-ticket number (airline numeric code + document serial). */
  ticketNumber?: string;
  /** Conditional: international documentation verification, '0' not required, '1' required, '2' performed. */
  documentVerification?: '0' | '1' | '2';
}

/** The unique conditional items a pass issued at check-in carries (IATA Resolution 792 version 6). */
export interface BcbpConditionalInput {
  /** '0' adult, '3' child, '4' infant, ... (IATA passenger description). */
  passengerDescription: string;
  /** 'W' web, 'A' airport agent, 'K' kiosk, ... */
  sourceOfCheckIn: string;
  sourceOfIssuance: string;
  issuedAt: Date;
  /** Airline designator of the boarding pass issuer. */
  issuer: string;
}

export interface BcbpInput {
  passengerName: { last: string; first: string };
  electronicTicket: boolean;
  legs: readonly BcbpLegInput[];
  /** With it, the first leg's variable-size field carries the conditional items (and every leg its ticket). */
  conditional?: BcbpConditionalInput;
}

export interface DecodedBcbpConditional {
  version: string;
  passengerDescription: string;
  sourceOfCheckIn: string;
  sourceOfIssuance: string;
  /** Last digit of the year and the day of the year, as encoded: "6338". */
  dateOfIssue: string;
  documentType: string;
  issuer: string;
  /** The first leg's e-ticket number (airline code + serial), or null when absent. */
  ticketNumber: string | null;
  selectee: string;
  documentVerification: string;
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
  const conditional = input.conditional;
  const encoded = legs.map((leg, i) => {
    const mandatory = encodeLeg(leg, i);
    if (!conditional) return mandatory;
    const variable = (i === 0 ? uniqueConditional(conditional) : '') + repeatedConditional(leg, i);
    return mandatory.slice(0, -2) + hex2(variable.length) + variable;
  });
  return unique + (input.electronicTicket ? 'E' : ' ') + encoded.join('');
}

/**
 * The conditional items of a pass (`encodeBcbp` with `conditional`): the unique ones from the first leg's
 * variable-size data, the repeated ones of that leg after them. Null for a pass that carries none.
 */
export function decodeBcbpConditional(pass: DecodedBcbp): DecodedBcbpConditional | null {
  const data = pass.legs[0]?.variableData ?? '';
  if (data[0] !== '>' || data.length < 4) return null;
  const uniqueSize = parseInt(data.slice(2, 4), 16);
  const unique = data.slice(4, 4 + uniqueSize);
  const rest = data.slice(4 + uniqueSize);
  const repeatedSize = /^[0-9A-Fa-f]{2}/.test(rest) ? parseInt(rest.slice(0, 2), 16) : 0;
  const repeated = rest.slice(2, 2 + repeatedSize);
  const ticket = repeated.slice(0, 13);
  return {
    version: data[1]!,
    passengerDescription: unique.slice(0, 1),
    sourceOfCheckIn: unique.slice(1, 2),
    sourceOfIssuance: unique.slice(2, 3),
    dateOfIssue: unique.slice(3, 7),
    documentType: unique.slice(7, 8),
    issuer: unique.slice(8, 11).trimEnd(),
    ticketNumber: /^\d{13}$/.test(ticket) ? ticket : null,
    selectee: repeated.slice(13, 14),
    documentVerification: repeated.slice(14, 15),
  };
}

// Version 6, then the unique items' size and items: description, check-in source, issuance source, date of issue
// (last digit of the year + day of year), document type B (boarding pass), issuer designator.
function uniqueConditional(c: BcbpConditionalInput): string {
  const one = (v: string, what: string) => {
    if (!/^[0-9A-Z ]$/.test(v)) throw invalid(`BCBP ${what} must be one letter or digit`, { [what]: v });
    return v;
  };
  const issuer = c.issuer.trim().toUpperCase();
  if (!/^[A-Z0-9]{2,3}$/.test(issuer)) throw invalid('BCBP issuer must be a 2- or 3-character code', c);
  const issued = String(c.issuedAt.getUTCFullYear() % 10) + String(julianDay(c.issuedAt)).padStart(3, '0');
  const items =
    one(c.passengerDescription, 'passenger description') +
    one(c.sourceOfCheckIn, 'source of check-in') +
    one(c.sourceOfIssuance, 'source of issuance') +
    issued +
    'B' +
    issuer.padEnd(3, ' ');
  return '>6' + hex2(items.length) + items;
}

// The leg's repeated items: airline numeric code (3) + document serial (10), selectee, documentation verification.
function repeatedConditional(leg: BcbpLegInput, index: number): string {
  const ticket = leg.ticketNumber ?? '';
  if (ticket !== '' && !/^\d{13}$/.test(ticket)) {
    throw invalid(`leg ${index + 1}: ticket number must be 13 digits`, { ticketNumber: ticket });
  }
  const items = ticket.padEnd(13, ' ') + ' ' + (leg.documentVerification ?? '0');
  return hex2(items.length) + items;
}

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

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

/**
 * A name part as reservation systems match it: the boarding pass's transliteration (below) without its spaces, so
 * "Ñúñez-O'Brien", "NUNEZ OBRIEN" and "nunezobrien" are one name. Empty when the part has no letters A–Z at all.
 */
export const nameKey = (part: string): string => transliterate(part).replaceAll(' ', '');

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
  if (value === 'INF') return 'INF '; // a lap infant has no seat of its own
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
