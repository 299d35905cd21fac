/**
 * The seed's reference data: airports, aircraft layouts, the route network with its fares and the product
 * catalog. Plain data; scripts/seed.ts writes it (and the schedule built from it) to the database.
 */
import type { CabinLayout } from '../schema';

type Cabin = CabinLayout['cabin'];

interface SeedAirport {
  code: string;
  name: string;
  city: string;
  country: string;
  timeZone: string;
  /** Coordinates only to derive distances (hence durations and fares); not stored. */
  lat: number;
  lon: number;
}

export const AIRPORTS: SeedAirport[] = [
  ['JFK', 'John F. Kennedy International Airport', 'New York', 'US', 'America/New_York', 40.6413, -73.7781],
  ['BOS', 'Boston Logan International Airport', 'Boston', 'US', 'America/New_York', 42.3656, -71.0096],
  ['MIA', 'Miami International Airport', 'Miami', 'US', 'America/New_York', 25.7959, -80.287],
  ['ORD', "Chicago O'Hare International Airport", 'Chicago', 'US', 'America/Chicago', 41.9742, -87.9073],
  ['LAX', 'Los Angeles International Airport', 'Los Angeles', 'US', 'America/Los_Angeles', 33.9416, -118.4085],
  ['SFO', 'San Francisco International Airport', 'San Francisco', 'US', 'America/Los_Angeles', 37.6213, -122.379],
  ['YYZ', 'Toronto Pearson International Airport', 'Toronto', 'CA', 'America/Toronto', 43.6777, -79.6248],
  ['LHR', 'London Heathrow Airport', 'London', 'GB', 'Europe/London', 51.47, -0.4543],
  ['CDG', 'Paris Charles de Gaulle Airport', 'Paris', 'FR', 'Europe/Paris', 49.0097, 2.5479],
  ['FRA', 'Frankfurt Airport', 'Frankfurt', 'DE', 'Europe/Berlin', 50.0379, 8.5622],
  ['AMS', 'Amsterdam Airport Schiphol', 'Amsterdam', 'NL', 'Europe/Amsterdam', 52.3105, 4.7683],
  ['MAD', 'Adolfo Suárez Madrid-Barajas Airport', 'Madrid', 'ES', 'Europe/Madrid', 40.4983, -3.5676],
  ['FCO', 'Rome Fiumicino Airport', 'Rome', 'IT', 'Europe/Rome', 41.8003, 12.2389],
  ['ZRH', 'Zurich Airport', 'Zurich', 'CH', 'Europe/Zurich', 47.4582, 8.5555],
  ['DXB', 'Dubai International Airport', 'Dubai', 'AE', 'Asia/Dubai', 25.2532, 55.3657],
  ['DEL', 'Indira Gandhi International Airport', 'Delhi', 'IN', 'Asia/Kolkata', 28.5562, 77.1],
  ['SIN', 'Singapore Changi Airport', 'Singapore', 'SG', 'Asia/Singapore', 1.3644, 103.9915],
  ['KUL', 'Kuala Lumpur International Airport', 'Kuala Lumpur', 'MY', 'Asia/Kuala_Lumpur', 2.7456, 101.7099],
  ['BKK', 'Suvarnabhumi Airport', 'Bangkok', 'TH', 'Asia/Bangkok', 13.69, 100.7501],
  ['HKG', 'Hong Kong International Airport', 'Hong Kong', 'HK', 'Asia/Hong_Kong', 22.308, 113.9185],
  ['ICN', 'Incheon International Airport', 'Seoul', 'KR', 'Asia/Seoul', 37.4602, 126.4407],
  ['NRT', 'Narita International Airport', 'Tokyo', 'JP', 'Asia/Tokyo', 35.772, 140.3929],
  ['KIX', 'Kansai International Airport', 'Osaka', 'JP', 'Asia/Tokyo', 34.4347, 135.244],
  ['KWI', 'Kuwait International Airport', 'Kuwait City', 'KW', 'Asia/Kuwait', 29.2266, 47.9689],
  ['SYD', 'Sydney Kingsford Smith Airport', 'Sydney', 'AU', 'Australia/Sydney', -33.9399, 151.1753],
].map(([code, name, city, country, timeZone, lat, lon]) => ({
  code: code as string,
  name: name as string,
  city: city as string,
  country: country as string,
  timeZone: timeZone as string,
  lat: lat as number,
  lon: lon as number,
}));

/**
 * A cabin as a row: [cabin, BCBP compartment, first row, last row, seat letters (a space is an aisle), exit rows,
 * extra-legroom rows, blocked seats, seat price standard, seat price extra legroom (minor units)].
 */
type CabinRow = [Cabin, string, number, number, string, number[], number[], string[], number, number];

const layout = (...rows: CabinRow[]): CabinLayout[] =>
  rows.map(
    ([cabin, compartment, firstRow, lastRow, letters, exitRows, extraLegroomRows, blockedSeats, standard, extra]) => ({
      cabin,
      compartment,
      firstRow,
      lastRow,
      letters,
      exitRows,
      extraLegroomRows,
      blockedSeats,
      seatPrice: { standard, extraLegroom: extra },
    }),
  );

export const AIRCRAFT_TYPES: { code: string; name: string; layout: CabinLayout[] }[] = [
  {
    code: 'A320',
    name: 'Airbus A320-200',
    layout: layout(
      ['BUSINESS', 'J', 1, 3, 'AC DF', [], [], [], 0, 0],
      ['ECONOMY', 'Y', 4, 30, 'ABC DEF', [11, 12], [4, 11, 12], ['30E', '30F'], 1500, 4500],
    ),
  },
  {
    code: 'B789',
    name: 'Boeing 787-9 Dreamliner',
    layout: layout(
      ['BUSINESS', 'J', 1, 7, 'A DG K', [], [], [], 0, 0],
      ['PREMIUM_ECONOMY', 'W', 20, 24, 'AC DEF HK', [20], [20], [], 3000, 6000],
      ['ECONOMY', 'Y', 30, 57, 'ABC DEF GHK', [30, 44], [30, 44], ['57D', '57E', '57F'], 2500, 7500],
    ),
  },
  {
    code: 'A359',
    name: 'Airbus A350-900',
    layout: layout(
      ['BUSINESS', 'J', 1, 10, 'A DG K', [], [], [], 0, 0],
      ['PREMIUM_ECONOMY', 'W', 20, 25, 'AC DEF HK', [20], [20], [], 3000, 6000],
      ['ECONOMY', 'Y', 30, 58, 'ABC DEF GHK', [30, 45], [30, 45], ['58A', '58K'], 2500, 7500],
    ),
  },
];

/** [origin, destination, aircraft, outbound number, outbound UTC departure, return number, return UTC departure] */
const ROUTE_PAIRS: [string, string, string, number, string, number, string][] = [
  ['JFK', 'LHR', 'B789', 100, '23:00', 101, '12:00'],
  ['JFK', 'CDG', 'A359', 102, '22:30', 103, '14:00'],
  ['LHR', 'SIN', 'A359', 200, '20:30', 201, '15:00'],
  ['LHR', 'DXB', 'B789', 202, '09:00', 203, '03:00'],
  ['LHR', 'HKG', 'A359', 204, '18:00', 205, '15:30'],
  ['LHR', 'YYZ', 'B789', 206, '11:00', 207, '23:30'],
  ['SIN', 'SYD', 'B789', 300, '12:00', 301, '00:30'],
  ['SIN', 'NRT', 'B789', 302, '15:00', 303, '02:30'],
  ['LAX', 'NRT', 'B789', 400, '19:00', 401, '08:00'],
  ['FRA', 'ORD', 'A359', 500, '09:30', 501, '22:00'],
  ['SIN', 'KUL', 'A320', 310, '01:00', 311, '03:30'],
  ['SIN', 'HKG', 'A320', 312, '02:00', 313, '08:00'],
  ['SIN', 'BKK', 'A320', 314, '04:00', 315, '11:00'],
  ['HKG', 'BKK', 'A320', 316, '03:00', 317, '09:00'],
  ['ICN', 'NRT', 'A320', 318, '01:30', 319, '06:00'],
  ['DXB', 'DEL', 'A320', 600, '04:00', 601, '10:30'],
  ['JFK', 'MIA', 'A320', 700, '12:00', 701, '17:00'],
  ['JFK', 'LAX', 'A320', 702, '14:00', 703, '16:00'],
  ['ORD', 'SFO', 'A320', 704, '15:00', 705, '19:00'],
  ['BOS', 'ORD', 'A320', 706, '13:00', 707, '18:00'],
  ['LHR', 'AMS', 'A320', 800, '07:00', 801, '10:00'],
  ['LHR', 'ZRH', 'A320', 802, '08:00', 803, '12:00'],
  ['CDG', 'MAD', 'A320', 804, '09:00', 805, '13:00'],
  ['FRA', 'FCO', 'A320', 806, '10:00', 807, '14:00'],
];

export const CARRIER = 'AL';

export interface SeedRoute {
  carrier: string;
  flightNumber: string;
  origin: string;
  destination: string;
  aircraftType: string;
  /** Minutes after 00:00 UTC of each day. */
  departureMinutes: number;
  durationMinutes: number;
  distanceKm: number;
  /** Adult one-way base fare per cabin the aircraft has, in minor units of `currency`. */
  fares: Partial<Record<Cabin, number>>;
  /** The currency the route is sold in; absent = the pricing currency (config pricing.currency). */
  currency?: string;
}

function distanceKm(a: SeedAirport, b: SeedAirport): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return Math.round(2 * 6371 * Math.asin(Math.sqrt(h)));
}

/** Fares grow with distance; premium cabins are a multiple of economy, steeper on long haul. In whole dollars. */
function faresFor(km: number, cabins: Cabin[]): Partial<Record<Cabin, number>> {
  const economy = Math.round(45 + 0.07 * km);
  const multiple: Record<Cabin, number> = {
    ECONOMY: 1,
    PREMIUM_ECONOMY: 1.9,
    BUSINESS: km > 3000 ? 4.5 : 3,
    FIRST: km > 3000 ? 8 : 5,
  };
  return Object.fromEntries(cabins.map((c) => [c, Math.round(economy * multiple[c]) * 100]));
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const airport = (code: string) => AIRPORTS.find((x) => x.code === code)!;

/** Both directions of a route pair: the same aircraft, distance, duration and fares each way. */
function routePair(
  [from, to]: [string, string],
  aircraftType: string,
  [outNo, outDep, retNo, retDep]: [number, string, number, string],
  pricing: (km: number) => Pick<SeedRoute, 'fares' | 'currency'>,
): SeedRoute[] {
  const km = distanceKm(airport(from), airport(to));
  // Cruise at ~800 km/h plus taxi, climb and descent; rounded to five minutes as timetables are.
  const duration = Math.round((km / 800) * 12 + 6) * 5;
  const priced = pricing(km);
  const leg = (o: string, d: string, no: number, dep: string): SeedRoute => ({
    carrier: CARRIER,
    flightNumber: String(no),
    origin: o,
    destination: d,
    aircraftType,
    departureMinutes: minutes(dep),
    durationMinutes: duration,
    distanceKm: km,
    ...priced,
  });
  return [leg(from, to, outNo, outDep), leg(to, from, retNo, retDep)];
}

export const ROUTES: SeedRoute[] = ROUTE_PAIRS.flatMap(([from, to, aircraft, outNo, outDep, retNo, retDep]) =>
  routePair([from, to], aircraft, [outNo, outDep, retNo, retDep], (km) => ({
    fares: faresFor(
      km,
      AIRCRAFT_TYPES.find((t) => t.code === aircraft)!.layout.map((l) => l.cabin),
    ),
  })),
);

/**
 * Routes sold in their local currency, with fares set in it (whole yen; fils, 1/1000 KWD): a JPY route and a KWD
 * route, so that currencies with 0 and 3 decimals are priced, taxed and refunded end to end.
 * [origin, destination, outbound number, UTC departure, return number, UTC departure, currency, economy, business]
 */
const LOCAL_CURRENCY_PAIRS: [string, string, number, string, number, string, string, number, number][] = [
  ['NRT', 'KIX', 330, '06:00', 331, '10:00', 'JPY', 12_000, 36_000],
  ['KWI', 'DXB', 610, '05:00', 611, '09:00', 'KWD', 38_500, 115_500],
];

ROUTES.push(
  ...LOCAL_CURRENCY_PAIRS.flatMap(([from, to, outNo, outDep, retNo, retDep, currency, economy, business]) =>
    routePair([from, to], 'A320', [outNo, outDep, retNo, retDep], () => ({
      fares: { ECONOMY: economy, BUSINESS: business },
      currency,
    })),
  ),
);

type ProductType = 'Flight' | 'Seat' | 'Bag' | 'Meal' | 'Lounge' | 'CarbonOffset' | 'Insurance' | 'FastTrack';

/**
 * The product catalog: RFIC/RFISC as an EMD would carry them (ATPCO sub-codes where a common one exists).
 * [code, type, name, description, price (minor units), priced per, RFIC, RFISC]
 */
// prettier-ignore
const PRODUCT_ROWS: [string, ProductType, string, string, number, 'SEGMENT' | 'ORDER', string, string][] = [
  ['FLIGHT',             'Flight',       'Flight',                   'Carriage on one flight',                            0,    'SEGMENT', 'A', '0AA'],
  ['SEAT_STANDARD',      'Seat',         'Standard seat selection',  'Choose a standard seat in advance',                 1500, 'SEGMENT', 'A', '0B5'],
  ['SEAT_EXTRA_LEGROOM', 'Seat',         'Extra legroom seat',       'An exit-row or bulkhead seat with more legroom',    4500, 'SEGMENT', 'A', '0BX'],
  ['BAG_23KG',           'Bag',          'Checked bag 23 kg',        'First checked bag up to 23 kg / 158 cm',            3500, 'SEGMENT', 'C', '0CC'],
  ['BAG_23KG_2',         'Bag',          'Second checked bag 23 kg', 'Second checked bag up to 23 kg / 158 cm',           5000, 'SEGMENT', 'C', '0CD'],
  ['MEAL_HOT',           'Meal',         'Hot meal',                 'A hot meal and a drink on board',                   1200, 'SEGMENT', 'G', '0B3'],
  ['MEAL_PREMIUM',       'Meal',         'Premium dining',           'Three courses with wine pairing',                   2800, 'SEGMENT', 'G', '0AI'],
  ['LOUNGE',             'Lounge',       'Lounge access',            'Departure lounge access on the day of travel',      4500, 'SEGMENT', 'E', '0BX'],
  ['FAST_TRACK',         'FastTrack',    'Fast track security',      'Priority lane through security',                    1500, 'SEGMENT', 'E', '0LQ'],
  ['CARBON_OFFSET',      'CarbonOffset', 'Carbon offset',            "Offsets the flight's estimated CO2 per passenger",  800,  'SEGMENT', 'I', '0B1'],
  ['INSURANCE',          'Insurance',    'Travel insurance',         'Cancellation and medical cover for the whole trip', 2500, 'ORDER',   'D', '0MJ'],
];

export const PRODUCTS = PRODUCT_ROWS.map(([code, type, name, description, price, per, rfic, rfisc]) => ({
  code,
  type,
  name,
  description,
  price,
  per,
  rfic,
  rfisc,
}));
