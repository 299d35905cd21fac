/**
 * Reference data and a rolling flight schedule: airports, aircraft types with seat maps, the product catalog,
 * and one flight per route per UTC day for the next `days` days, each with its inventory per cabin and its seats.
 * Idempotent (ON CONFLICT DO NOTHING; a later run adds only the missing days) and set-based: seats are made in
 * SQL from a per-aircraft template, never row by row. Ends by rebuilding the Redis availability index.
 */
import type { Redis } from 'ioredis';
import { loadConfig, type BundleConfig, type PricingRuleConfig } from '../config';
import { createInventory } from '../activities/inventory';
import { createDb, type Database, type Sql } from './client';
import { seedCommercialSettings } from './commercial-settings';
import { createRedis } from './redis';
import type { CabinLayout } from './schema';

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

export const AIRCRAFT_TYPES: { code: string; name: string; layout: CabinLayout[] }[] = [
  {
    code: 'A320',
    name: 'Airbus A320-200',
    layout: [
      {
        cabin: 'BUSINESS',
        compartment: 'J',
        firstRow: 1,
        lastRow: 3,
        letters: 'AC DF',
        exitRows: [],
        extraLegroomRows: [],
        blockedSeats: [],
        seatPrice: { standard: 0, extraLegroom: 0 },
      },
      {
        cabin: 'ECONOMY',
        compartment: 'Y',
        firstRow: 4,
        lastRow: 30,
        letters: 'ABC DEF',
        exitRows: [11, 12],
        extraLegroomRows: [4, 11, 12],
        blockedSeats: ['30E', '30F'],
        seatPrice: { standard: 1500, extraLegroom: 4500 },
      },
    ],
  },
  {
    code: 'B789',
    name: 'Boeing 787-9 Dreamliner',
    layout: [
      {
        cabin: 'BUSINESS',
        compartment: 'J',
        firstRow: 1,
        lastRow: 7,
        letters: 'A DG K',
        exitRows: [],
        extraLegroomRows: [],
        blockedSeats: [],
        seatPrice: { standard: 0, extraLegroom: 0 },
      },
      {
        cabin: 'PREMIUM_ECONOMY',
        compartment: 'W',
        firstRow: 20,
        lastRow: 24,
        letters: 'AC DEF HK',
        exitRows: [20],
        extraLegroomRows: [20],
        blockedSeats: [],
        seatPrice: { standard: 3000, extraLegroom: 6000 },
      },
      {
        cabin: 'ECONOMY',
        compartment: 'Y',
        firstRow: 30,
        lastRow: 57,
        letters: 'ABC DEF GHK',
        exitRows: [30, 44],
        extraLegroomRows: [30, 44],
        blockedSeats: ['57D', '57E', '57F'],
        seatPrice: { standard: 2500, extraLegroom: 7500 },
      },
    ],
  },
  {
    code: 'A359',
    name: 'Airbus A350-900',
    layout: [
      {
        cabin: 'BUSINESS',
        compartment: 'J',
        firstRow: 1,
        lastRow: 10,
        letters: 'A DG K',
        exitRows: [],
        extraLegroomRows: [],
        blockedSeats: [],
        seatPrice: { standard: 0, extraLegroom: 0 },
      },
      {
        cabin: 'PREMIUM_ECONOMY',
        compartment: 'W',
        firstRow: 20,
        lastRow: 25,
        letters: 'AC DEF HK',
        exitRows: [20],
        extraLegroomRows: [20],
        blockedSeats: [],
        seatPrice: { standard: 3000, extraLegroom: 6000 },
      },
      {
        cabin: 'ECONOMY',
        compartment: 'Y',
        firstRow: 30,
        lastRow: 58,
        letters: 'ABC DEF GHK',
        exitRows: [30, 45],
        extraLegroomRows: [30, 45],
        blockedSeats: ['58A', '58K'],
        seatPrice: { standard: 2500, extraLegroom: 7500 },
      },
    ],
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
  /** Adult one-way base fare per cabin the aircraft has, USD minor units. */
  fares: Partial<Record<Cabin, number>>;
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

export const ROUTES: SeedRoute[] = ROUTE_PAIRS.flatMap(([from, to, aircraft, outNo, outDep, retNo, retDep]) => {
  const a = AIRPORTS.find((x) => x.code === from)!;
  const b = AIRPORTS.find((x) => x.code === to)!;
  const km = distanceKm(a, b);
  // Cruise at ~800 km/h plus taxi, climb and descent; rounded to five minutes as timetables are.
  const duration = Math.round((km / 800) * 12 + 6) * 5;
  const cabins = AIRCRAFT_TYPES.find((t) => t.code === aircraft)!.layout.map((l) => l.cabin);
  const fares = faresFor(km, cabins);
  const leg = (o: string, d: string, no: number, dep: string): SeedRoute => ({
    carrier: CARRIER,
    flightNumber: String(no),
    origin: o,
    destination: d,
    aircraftType: aircraft,
    departureMinutes: minutes(dep),
    durationMinutes: duration,
    distanceKm: km,
    fares,
  });
  return [leg(from, to, outNo, outDep), leg(to, from, retNo, retDep)];
});

type ProductType = 'Flight' | 'Seat' | 'Bag' | 'Meal' | 'Lounge' | 'CarbonOffset' | 'Insurance' | 'FastTrack';

/** The product catalog: RFIC/RFISC as an EMD would carry them (ATPCO sub-codes where a common one exists). */
export const PRODUCTS: {
  code: string;
  type: ProductType;
  name: string;
  description: string;
  price: number;
  per: 'SEGMENT' | 'ORDER';
  rfic: string;
  rfisc: string;
}[] = [
  {
    code: 'FLIGHT',
    type: 'Flight',
    name: 'Flight',
    description: 'Carriage on one flight',
    price: 0,
    per: 'SEGMENT',
    rfic: 'A',
    rfisc: '0AA',
  },
  {
    code: 'SEAT_STANDARD',
    type: 'Seat',
    name: 'Standard seat selection',
    description: 'Choose a standard seat in advance',
    price: 1500,
    per: 'SEGMENT',
    rfic: 'A',
    rfisc: '0B5',
  },
  {
    code: 'SEAT_EXTRA_LEGROOM',
    type: 'Seat',
    name: 'Extra legroom seat',
    description: 'An exit-row or bulkhead seat with more legroom',
    price: 4500,
    per: 'SEGMENT',
    rfic: 'A',
    rfisc: '0BX',
  },
  {
    code: 'BAG_23KG',
    type: 'Bag',
    name: 'Checked bag 23 kg',
    description: 'First checked bag up to 23 kg / 158 cm',
    price: 3500,
    per: 'SEGMENT',
    rfic: 'C',
    rfisc: '0CC',
  },
  {
    code: 'BAG_23KG_2',
    type: 'Bag',
    name: 'Second checked bag 23 kg',
    description: 'Second checked bag up to 23 kg / 158 cm',
    price: 5000,
    per: 'SEGMENT',
    rfic: 'C',
    rfisc: '0CD',
  },
  {
    code: 'MEAL_HOT',
    type: 'Meal',
    name: 'Hot meal',
    description: 'A hot meal and a drink on board',
    price: 1200,
    per: 'SEGMENT',
    rfic: 'G',
    rfisc: '0B3',
  },
  {
    code: 'MEAL_PREMIUM',
    type: 'Meal',
    name: 'Premium dining',
    description: 'Three courses with wine pairing',
    price: 2800,
    per: 'SEGMENT',
    rfic: 'G',
    rfisc: '0AI',
  },
  {
    code: 'LOUNGE',
    type: 'Lounge',
    name: 'Lounge access',
    description: 'Departure lounge access on the day of travel',
    price: 4500,
    per: 'SEGMENT',
    rfic: 'E',
    rfisc: '0BX',
  },
  {
    code: 'FAST_TRACK',
    type: 'FastTrack',
    name: 'Fast track security',
    description: 'Priority lane through security',
    price: 1500,
    per: 'SEGMENT',
    rfic: 'E',
    rfisc: '0LQ',
  },
  {
    code: 'CARBON_OFFSET',
    type: 'CarbonOffset',
    name: 'Carbon offset',
    description: "Offsets the flight's estimated CO2 per passenger",
    price: 800,
    per: 'SEGMENT',
    rfic: 'I',
    rfisc: '0B1',
  },
  {
    code: 'INSURANCE',
    type: 'Insurance',
    name: 'Travel insurance',
    description: 'Cancellation and medical cover for the whole trip',
    price: 2500,
    per: 'ORDER',
    rfic: 'D',
    rfisc: '0MJ',
  },
];

export interface SeatTemplate {
  seatNumber: string;
  cabin: Cabin;
  characteristics: string[];
  blocked: boolean;
  price: number;
}

/**
 * The seats a layout describes: letters next to an aisle (a space) are AISLE, the outermost are WINDOW, the rest
 * MIDDLE; exit and extra-legroom rows add EXIT_ROW / EXTRA_LEGROOM and price at the extra-legroom price.
 */
export function seatsForLayout(layout: CabinLayout[]): SeatTemplate[] {
  const seats: SeatTemplate[] = [];
  for (const cabin of layout) {
    const letters = cabin.letters;
    const first = letters.search(/\S/);
    const last = letters.length - 1 - [...letters].reverse().join('').search(/\S/);
    for (let row = cabin.firstRow; row <= cabin.lastRow; row++) {
      const extra = cabin.extraLegroomRows.includes(row);
      for (let i = 0; i < letters.length; i++) {
        const letter = letters[i]!;
        if (letter === ' ') continue;
        const position =
          i === first || i === last ? 'WINDOW' : letters[i - 1] === ' ' || letters[i + 1] === ' ' ? 'AISLE' : 'MIDDLE';
        const characteristics = [position];
        if (cabin.exitRows.includes(row)) characteristics.push('EXIT_ROW');
        if (extra) characteristics.push('EXTRA_LEGROOM');
        const seatNumber = `${row}${letter}`;
        seats.push({
          seatNumber,
          cabin: cabin.cabin,
          characteristics,
          blocked: cabin.blockedSeats.includes(seatNumber),
          price: extra ? cabin.seatPrice.extraLegroom : cabin.seatPrice.standard,
        });
      }
    }
  }
  return seats;
}

/** Seats that can be sold per cabin: the cabin's capacity. */
export function capacityByCabin(layout: CabinLayout[]): Partial<Record<Cabin, number>> {
  const out: Partial<Record<Cabin, number>> = {};
  for (const s of seatsForLayout(layout)) if (!s.blocked) out[s.cabin] = (out[s.cabin] ?? 0) + 1;
  return out;
}

/** Seat templates of every aircraft type as one JSON document, for set-based inserts. */
function seatTemplateJson(types: { code: string; layout: CabinLayout[] }[]) {
  return types.flatMap((t) =>
    seatsForLayout(t.layout).map((s) => ({
      aircraft_type: t.code,
      seat_number: s.seatNumber,
      cabin: s.cabin,
      characteristics: s.characteristics.join(','),
      blocked: s.blocked,
      price: s.price,
    })),
  );
}

function cabinTemplateJson(types: { code: string; layout: CabinLayout[] }[]) {
  return types.flatMap((t) =>
    Object.entries(capacityByCabin(t.layout)).map(([cabin, capacity]) => ({ aircraft_type: t.code, cabin, capacity })),
  );
}

/**
 * Creates flights (with inventory and seats) for the given routes on each UTC day from `from` for `days` days.
 * Only flights that lack inventory or seats get them, so a rerun or an interrupted run completes cheaply.
 * Used by the seed and by tests that need flights of their own.
 */
export async function insertSchedule(
  sql: Sql,
  opts: {
    routes: SeedRoute[];
    aircraft: { code: string; layout: CabinLayout[] }[];
    from: Date;
    days: number;
    currency?: string;
  },
): Promise<{ flights: number; inventory: number; seats: number; flightIds: string[]; scheduleIds: string[] }> {
  const routes = opts.routes.map((r) => ({
    carrier: r.carrier,
    flight_number: r.flightNumber,
    origin: r.origin,
    destination: r.destination,
    aircraft_type: r.aircraftType,
    departure_minutes: r.departureMinutes,
    duration_minutes: r.durationMinutes,
    fares: r.fares,
  }));
  // ISO strings, not Dates: drizzle makes this client's timestamp and JSON serializers pass values through.
  const start = utcDay(opts.from).toISOString();
  const end = new Date(Date.parse(start) + opts.days * 86_400_000).toISOString();
  const currency = opts.currency ?? 'USD';

  return sql.begin(async (tx) => {
    await tx`SET LOCAL synchronous_commit = off`;
    const created = await tx<{ id: string }[]>`
      INSERT INTO flights (carrier, flight_number, origin, destination, departure_at, arrival_at, aircraft_type)
      SELECT r.carrier, r.flight_number, r.origin, r.destination,
             d + make_interval(mins => r.departure_minutes),
             d + make_interval(mins => r.departure_minutes + r.duration_minutes),
             r.aircraft_type
      FROM jsonb_to_recordset(${JSON.stringify(routes)}::jsonb) AS r(carrier text, flight_number text, origin text,
             destination text, aircraft_type text, departure_minutes int, duration_minutes int)
      CROSS JOIN generate_series(${start}::timestamptz, ${end}::timestamptz - interval '1 day', interval '1 day') AS d
      ON CONFLICT DO NOTHING
      RETURNING id`;

    // The schedule's flights in the window, whether created now or by an earlier (possibly interrupted) run.
    await tx`
      CREATE TEMP TABLE seed_flights ON COMMIT DROP AS
      SELECT f.id, f.aircraft_type, r.fares
      FROM flights f
      JOIN jsonb_to_recordset(${JSON.stringify(routes)}::jsonb) AS r(carrier text, flight_number text, fares jsonb)
        ON r.carrier = f.carrier AND r.flight_number = f.flight_number
      WHERE f.departure_at >= ${start} AND f.departure_at < ${end}`;

    const inventory = await tx`
      INSERT INTO flight_inventory (flight_id, cabin, capacity, base_fare, currency)
      SELECT f.id, c.cabin::cabin_class, c.capacity, (f.fares ->> c.cabin)::int, ${currency}
      FROM seed_flights f
      JOIN jsonb_to_recordset(${JSON.stringify(cabinTemplateJson(opts.aircraft))}::jsonb)
           AS c(aircraft_type text, cabin text, capacity int) ON c.aircraft_type = f.aircraft_type
      WHERE NOT EXISTS (SELECT 1 FROM flight_inventory i WHERE i.flight_id = f.id)
      ON CONFLICT DO NOTHING`;

    // The flights without seats first (materialized), so a rerun probes the index once per flight instead of
    // joining every flight to the seat template before discarding the rows.
    const seats = await tx`
      WITH todo AS MATERIALIZED (
        SELECT f.id, f.aircraft_type FROM seed_flights f
        WHERE NOT EXISTS (SELECT 1 FROM flight_seats s WHERE s.flight_id = f.id))
      INSERT INTO flight_seats (flight_id, seat_number, cabin, characteristics, blocked, price)
      SELECT f.id, t.seat_number, t.cabin::cabin_class, string_to_array(t.characteristics, ','), t.blocked, t.price
      FROM todo f
      JOIN jsonb_to_recordset(${JSON.stringify(seatTemplateJson(opts.aircraft))}::jsonb)
           AS t(aircraft_type text, seat_number text, cabin text, characteristics text, blocked boolean, price int)
        ON t.aircraft_type = f.aircraft_type
      ON CONFLICT DO NOTHING`;

    const schedule = await tx<{ id: string }[]>`SELECT id FROM seed_flights`;
    return {
      flights: created.length,
      inventory: inventory.count,
      seats: seats.count,
      flightIds: created.map((r) => r.id),
      scheduleIds: schedule.map((r) => r.id),
    };
  });
}

export function utcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export interface SeedResult {
  airports: number;
  aircraftTypes: number;
  products: number;
  flights: number;
  inventory: number;
  seats: number;
  indexedFlights: number;
  ms: number;
  indexMs: number;
}

/**
 * Seeds reference data and `days` days of schedule starting at `today`'s UTC date. With `redis`, rebuilds the
 * availability index of the schedule's flights afterwards (other flights' keys are built when first read).
 */
export async function seed(
  db: Database,
  sql: Sql,
  opts: {
    today: Date;
    days?: number;
    redis?: Redis;
    currency?: string;
    /** The config's bundles and pricing rules: copied into their tables while those are empty. */
    commercial?: { bundles: readonly BundleConfig[]; pricing: { rules: readonly PricingRuleConfig[] } };
  },
): Promise<SeedResult> {
  const started = performance.now();
  const days = opts.days ?? 60;
  const currency = opts.currency ?? 'USD';

  const airports = await sql`
    INSERT INTO airports ${sql(
      AIRPORTS.map((a) => ({ code: a.code, name: a.name, city: a.city, country: a.country, time_zone: a.timeZone })),
    )}
    ON CONFLICT DO NOTHING`;
  const aircraft = await sql`
    INSERT INTO aircraft_types (code, name, layout)
    SELECT t.code, t.name, t.layout
    FROM jsonb_to_recordset(${JSON.stringify(AIRCRAFT_TYPES)}::jsonb) AS t(code text, name text, layout jsonb)
    ON CONFLICT DO NOTHING`;
  const products = await sql`
    INSERT INTO products ${sql(PRODUCTS.map((p) => ({ ...p, currency })))}
    ON CONFLICT DO NOTHING`;

  if (opts.commercial) await seedCommercialSettings(db, opts.commercial);

  const schedule = await insertSchedule(sql, {
    routes: ROUTES,
    aircraft: AIRCRAFT_TYPES,
    from: opts.today,
    days,
    currency,
  });
  const ms = Math.round(performance.now() - started);

  let indexedFlights = 0;
  let indexMs = 0;
  if (opts.redis) {
    const t0 = performance.now();
    indexedFlights = await createInventory({ db, sql, redis: opts.redis }).rebuildIndex(schedule.scheduleIds);
    indexMs = Math.round(performance.now() - t0);
  }
  return {
    airports: airports.count,
    aircraftTypes: aircraft.count,
    products: products.count,
    flights: schedule.flights,
    inventory: schedule.inventory,
    seats: schedule.seats,
    indexedFlights,
    ms,
    indexMs,
  };
}

async function run() {
  const config = loadConfig();
  const pg = createDb(config.database.url, { max: 2 });
  const redis = createRedis(config.redis.url, { name: 'seed' });
  try {
    const r = await seed(pg.db, pg.sql, {
      today: new Date(),
      days: 60,
      redis,
      currency: config.pricing.currency,
      commercial: config,
    });
    console.log(
      `[seed] added ${r.airports} airports, ${r.aircraftTypes} aircraft types, ${r.products} products, ` +
        `${r.flights} flights, ${r.inventory} inventory rows, ${r.seats} seats ` +
        `(${ROUTES.length} routes, 60 days from ${utcDay(new Date()).toISOString().slice(0, 10)}) in ${(r.ms / 1000).toFixed(1)} s; ` +
        `availability index rebuilt for ${r.indexedFlights} flights in ${r.indexMs} ms`,
    );
  } finally {
    redis.disconnect();
    await pg.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
