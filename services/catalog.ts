/**
 * Catalog reads: flight search priced per passenger type and for the party, one flight, a seat map. The hot path
 * (search) reads the availability index in Redis and flight rows from a short in-process cache: at most one
 * indexed Postgres query per leg, none while the cache is warm. The offers engine reuses searchFlights.
 *
 * A flight's status is judged from its times at the request (domain/flight-status.ts): search lists only flights
 * that sell (SCHEDULED), so one whose sales closed drops out on the minute. A cancel reaches this process's cache
 * at once (`forget`) and other processes' within the cache's TTL; what decides a sale is the check on Postgres at
 * accept, trip hold, commit and pay (services/schedule.ts `createSellability`).
 */
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Sql } from '../db/client';
import { exchangeRates, type CommercialSettings } from './commercial-settings';
import type { PricingRuleConfig } from '../domain/commercial';
import { cabinRank } from '../domain/cabins';
import { DomainError } from '../domain/errors';
import { flightStatusAt, isSelling, type FlightStatus } from '../domain/flight-status';
import { scheduleRules } from './schedule';
import { isUuid } from '../domain/ids';
import { money, type Money } from '../domain/money';
import type { OfferPassengers } from '../domain/offer';
import { demandAvailable, priceLeg, type LegPrice, type PassengerType } from '../domain/pricing';
import { flightDesignator, type FlightScheduleView } from '../domain/vocabulary';
import { utf8, type Utf8 } from '../lib/bytes';
import { LRUCache, ttlCache } from '../lib/cache';
import type { Cabin, CabinAvailability, Inventory } from './inventory';

export interface CatalogDeps {
  sql: Sql;
  redis: Redis;
  config: Pick<AppConfig, 'pricing' | 'orders' | 'check_in'>;
  inventory: Inventory;
  /** Where the pricing rules come from (the admin-managed tables); without it, `config.pricing.rules`. */
  commercial?: CommercialSettings;
  /** How long flight rows and airports stay cached in process (ms). */
  cacheTtlMs?: number;
  /**
   * How old the availability a search shows may be (ms), behind the index in Redis (catalog.availability_max_age_ms;
   * 0: read it for every search). The index changes with Postgres in the same inventory call.
   */
  availabilityMaxAgeMs?: number;
  /**
   * How old a seat map may be (ms), behind the seat assignments in Postgres and the seat locks in Redis
   * (catalog.seat_map_max_age_ms; 0: read them for every seat map).
   */
  seatMapMaxAgeMs?: number;
  /** The clock of the availability and seat map caches (ms; a test moves it). */
  clock?: () => number;
}

/** One passenger type of the party in a cabin: how many, the price of each, and theirs together. */
export interface PartyPrice {
  passenger_type: PassengerType;
  count: number;
  price_per_passenger: Money;
  total: Money;
}

export interface CabinOffer {
  cabin: Cabin;
  available: number;
  /** What the demand multiplier is computed on: sold seats in full, held ones at pricing.held_seat_weight. */
  demand_available: number;
  /** One adult's price (the breakdown's total). */
  price_per_passenger: Money;
  breakdown: LegPrice;
  /** Per passenger type of the party (adults, children, infants on a lap), and the party's total. */
  party: PartyPrice[];
  total_price: Money;
}

export interface FlightView extends FlightScheduleView {
  id: string;
  aircraft: string;
  duration_minutes: number;
  /** At the request: SCHEDULED (sells), CLOSED (sales closed before departure), DEPARTED, ARRIVED or CANCELLED. */
  status: FlightStatus;
  cabins: CabinOffer[];
}

export interface AirportView {
  code: string;
  name: string;
  city: string;
  country: string;
}

export type SeatStatus = 'AVAILABLE' | 'HELD' | 'OCCUPIED' | 'BLOCKED';

export interface SeatView {
  seat_number: string;
  cabin: Cabin;
  status: SeatStatus;
  characteristics: string[];
  price: Money;
}

export interface SeatMap {
  flight_id: string;
  aircraft: string;
  seats: SeatView[];
}

export interface SearchQuery {
  origin: string;
  destination: string;
  /** UTC calendar day, YYYY-MM-DD. */
  date: string;
  /** Seats the party needs (adults and children; an infant sits on a lap): cabins with fewer are not listed. */
  passengers: number;
  /** The party by type, for its prices; default `passengers` adults. */
  party?: OfferPassengers;
  /** The request time: prices and "already departed" are judged at it. */
  now?: Date;
}

/** A flight row as cached: what pricing needs besides the live availability. */
interface FlightRow {
  id: string;
  carrier: string;
  flight_number: string;
  origin: string;
  destination: string;
  departure_ms: number;
  arrival_ms: number;
  aircraft_type: string;
  /** As recorded (flights.status); the view's status is judged from it and the times. */
  status: FlightStatus;
  cabins: { cabin: Cabin; capacity: number; base_fare: number; currency: string }[];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar day written YYYY-MM-DD (2025-02-30 is not). */
export function isIsoDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

export const utcToday = (now: Date) => now.toISOString().slice(0, 10);

const FLIGHT_COLUMNS = (sql: Sql) => sql`
  f.id, f.carrier, f.flight_number, f.origin, f.destination, f.aircraft_type, f.status,
  (extract(epoch FROM f.departure_at) * 1000)::float8 AS departure_ms,
  (extract(epoch FROM f.arrival_at) * 1000)::float8 AS arrival_ms,
  (SELECT json_agg(json_build_object('cabin', i.cabin, 'capacity', i.capacity, 'base_fare', i.base_fare,
                                     'currency', i.currency))
     FROM flight_inventory i WHERE i.flight_id = f.id) AS cabins`;

export function createCatalog(deps: CatalogDeps) {
  const { sql, inventory } = deps;
  const pricing = deps.config.pricing;
  const statusAt = (row: FlightRow, now: Date) =>
    flightStatusAt(
      { status: row.status, departureMs: row.departure_ms, arrivalMs: row.arrival_ms },
      now.getTime(),
      scheduleRules(deps.config),
    );
  const fx = exchangeRates(pricing);
  const ttl = deps.cacheTtlMs ?? 30_000;
  // Flight rows change rarely (a schedule change); availability is never cached here.
  const legCache = ttlCache<string, FlightRow[]>(ttl, 20_000);
  const flightCache = ttlCache<string, FlightRow>(ttl, 20_000);
  const airports = new LRUCache<'codes', Map<string, string>>({
    max: 1,
    ttl,
    fetchMethod: async () =>
      new Map(
        (await sql<{ code: string; country: string }[]>`SELECT code, country FROM airports`).map((r) => [
          r.code,
          r.country,
        ]),
      ),
  });

  /** The known airports (code → ISO country), read again when older than `maxAgeMs` (at most the cache's TTL). */
  async function airportCodes(maxAgeMs: number): Promise<Map<string, string>> {
    const age = ttl - airports.getRemainingTTL('codes');
    const codes = await airports.fetch('codes', { forceRefresh: age >= maxAgeMs });
    return codes ?? new Map();
  }

  /** Airport code → ISO 3166 country: the jurisdictions taxes are levied in (domain/commercial.ts `taxApplies`). */
  async function airportCountries(codes: readonly string[] = []): Promise<ReadonlyMap<string, string>> {
    const known = await airportCodes(ttl);
    return codes.every((c) => known.has(c)) ? known : airportCodes(1_000);
  }

  /**
   * Whether an airport code is known. A miss reloads the list (an airport added a moment ago), at most once a
   * second, so a stream of made-up codes does not become a stream of queries.
   */
  async function isKnownAirport(code: string): Promise<boolean> {
    if ((await airportCodes(ttl)).has(code)) return true;
    return (await airportCodes(1_000)).has(code);
  }

  // Availability: per flight, read at most every availabilityMaxAgeMs. The flights that miss in one turn of the
  // event loop (both legs of a trip, concurrent searches) are read together, in one pipeline.
  const maxAgeMs = deps.availabilityMaxAgeMs ?? 0;
  const clock = deps.clock ?? Date.now;
  const availCache = new Map<string, { readAt: number; cabins: CabinAvailability[] }>();
  type BatchRead = { found: Map<string, CabinAvailability[]>; readAt: number };
  let batch: { ids: Set<string>; read: Promise<BatchRead> } | null = null;

  function readBatched(ids: readonly string[]): Promise<BatchRead> {
    if (!batch) {
      const next = { ids: new Set<string>(), read: Promise.resolve<BatchRead>({ found: new Map(), readAt: 0 }) };
      next.read = new Promise((resolve, reject) =>
        setImmediate(() => {
          batch = null;
          const readAt = clock(); // the figures are at least as new as the moment the read was sent
          inventory.availabilityMany([...next.ids]).then((found) => {
            if (maxAgeMs > 0) {
              if (availCache.size > 20_000) availCache.clear();
              for (const [id, cabins] of found) availCache.set(id, { readAt, cabins });
            }
            resolve({ found, readAt });
          }, reject);
        }),
      );
      batch = next;
    }
    for (const id of ids) batch.ids.add(id);
    return batch.read;
  }

  /** Per-cabin availability of these flights, none older than maxAgeMs, and when the oldest of them was read. */
  async function availabilityOf(
    ids: readonly string[],
  ): Promise<{ byFlight: Map<string, CabinAvailability[]>; readAt: number }> {
    const byFlight = new Map<string, CabinAvailability[]>();
    const now = clock();
    let readAt = now;
    const missing = ids.filter((id) => {
      const hit = maxAgeMs > 0 ? availCache.get(id) : undefined;
      if (hit && now - hit.readAt < maxAgeMs) {
        byFlight.set(id, hit.cabins);
        readAt = Math.min(readAt, hit.readAt);
      }
      return !byFlight.has(id);
    });
    if (missing.length > 0) {
      const read = await readBatched(missing);
      for (const id of missing) byFlight.set(id, read.found.get(id) ?? []);
      readAt = Math.min(readAt, read.readAt);
    }
    return { byFlight, readAt };
  }

  // A leg's priced flights for a party, kept while the oldest availability figure in them is younger than maxAgeMs:
  // a kept answer shows availability no older than a fresh one may, and its prices and statuses were judged at a
  // moment at most maxAgeMs ago. Concurrent searches of one leg share one pricing.
  interface PricedLeg {
    readAt: number;
    flights: Promise<FlightView[]>;
    /** The flights' JSON (UTF-8), made on the first request that sends it. */
    json?: Promise<Utf8>;
  }
  const pricedLegs = new Map<string, PricedLeg>();

  const pricingRules = async () => (deps.commercial ? deps.commercial.pricingRules() : pricing.rules);

  /**
   * The cabins of the flight with seats for the party, each priced per passenger type at the live availability
   * (the breakdown is one adult's) and for the whole party. `seats`: what the party sits in (no infants).
   */
  function priceCabins(
    row: FlightRow,
    avail: CabinAvailability[],
    now: Date,
    rules: readonly PricingRuleConfig[],
    party: OfferPassengers,
    seats: number,
    countries: ReadonlyMap<string, string>,
  ): CabinOffer[] {
    const live = new Map(avail.map((a) => [a.cabin, a]));
    const counts: [PassengerType, number][] = [
      ['ADT', party.adults],
      ['CHD', party.children],
      ['INF', party.infants],
    ];
    return [...row.cabins]
      .sort((a, b) => cabinRank(a.cabin) - cabinRank(b.cabin))
      .flatMap((c) => {
        // The index may briefly lag Postgres; pricing needs a figure within 0..capacity.
        const figures = live.get(c.cabin);
        const available = Math.min(c.capacity, Math.max(0, figures?.available ?? 0));
        if (available < seats) return [];
        const forDemand = figures
          ? Math.max(available, demandAvailable({ ...figures, capacity: c.capacity }, pricing.held_seat_weight))
          : available;
        const price = (passengerType: PassengerType) =>
          priceLeg({
            baseFare: money(c.base_fare, c.currency),
            available: forDemand,
            capacity: c.capacity,
            passengerType,
            route: `${row.origin}-${row.destination}`,
            cabin: c.cabin,
            now,
            rules,
            taxes: pricing.taxes,
            childFarePercent: pricing.child_fare_percent,
            infantFarePercent: pricing.infant_fare_percent,
            originCountry: countries.get(row.origin),
            destinationCountry: countries.get(row.destination),
            fx,
          });
        const breakdown = price('ADT');
        const partyPrices = counts
          .filter(([, n]) => n > 0)
          .map(([type, count]): PartyPrice => {
            const each = type === 'ADT' ? breakdown.total : price(type).total;
            return {
              passenger_type: type,
              count,
              price_per_passenger: each,
              total: money(each.amount * count, each.currency),
            };
          });
        const total = money(
          partyPrices.reduce((sum, p) => sum + p.total.amount, 0),
          breakdown.total.currency,
        );
        return [
          {
            cabin: c.cabin,
            available,
            demand_available: forDemand,
            price_per_passenger: breakdown.total,
            breakdown,
            party: partyPrices,
            total_price: total,
          },
        ];
      });
  }

  function view(row: FlightRow, cabins: CabinOffer[], now: Date): FlightView {
    return {
      id: row.id,
      carrier: row.carrier,
      flight_number: flightDesignator(row.carrier, row.flight_number),
      origin: row.origin,
      destination: row.destination,
      departure_at: new Date(row.departure_ms).toISOString(),
      arrival_at: new Date(row.arrival_ms).toISOString(),
      aircraft: row.aircraft_type,
      duration_minutes: Math.round((row.arrival_ms - row.departure_ms) / 60_000),
      status: statusAt(row, now),
      cabins,
    };
  }

  async function legRows(origin: string, destination: string, date: string): Promise<FlightRow[]> {
    const key = `${origin}-${destination}-${date}`;
    const cached = legCache.get(key);
    if (cached) return cached;
    const from = `${date}T00:00:00Z`;
    const rows = await sql<FlightRow[]>`
      SELECT ${FLIGHT_COLUMNS(sql)}
      FROM flights f
      WHERE f.origin = ${origin} AND f.destination = ${destination}
        AND f.departure_at >= ${from}::timestamptz AND f.departure_at < ${from}::timestamptz + interval '1 day'
        AND f.status IN ('SCHEDULED', 'CHECK_IN_OPEN')
      ORDER BY f.departure_at, f.flight_number`;
    const list = rows.map((r) => ({ ...r, cabins: r.cabins ?? [] }));
    legCache.set(key, list);
    for (const r of list) flightCache.set(r.id, r);
    return list;
  }

  async function flightRow(id: string): Promise<FlightRow | null> {
    const cached = flightCache.get(id);
    if (cached) return cached;
    const [row] = await sql<FlightRow[]>`SELECT ${FLIGHT_COLUMNS(sql)} FROM flights f WHERE f.id = ${id}`;
    if (!row) return null;
    const r = { ...row, cabins: row.cabins ?? [] };
    flightCache.set(id, r);
    return r;
  }

  /** Checks one leg of a search; returns the problems found (empty when it is fine). */
  async function checkLeg(q: Omit<SearchQuery, 'passengers'>, path = '') {
    const now = q.now ?? new Date();
    const issues: { path: string; message: string }[] = [];
    for (const [field, code] of [
      ['origin_airport_code', q.origin],
      ['destination_airport_code', q.destination],
    ] as const) {
      if (!(await isKnownAirport(code))) issues.push({ path: path + field, message: `unknown airport ${code}` });
    }
    if (q.origin === q.destination) {
      issues.push({ path: path + 'destination_airport_code', message: 'origin and destination are the same airport' });
    }
    if (!isIsoDate(q.date)) issues.push({ path: path + 'date', message: `${q.date} is not a YYYY-MM-DD date` });
    else if (q.date < utcToday(now)) {
      issues.push({ path: path + 'date', message: `${q.date} is in the past (UTC today is ${utcToday(now)})` });
    }
    return issues;
  }

  /**
   * The flights of one leg on a UTC day that still sell (not cancelled, sales not closed), each with the cabins
   * that have seats for the party, priced per passenger type and for the party at the live availability. Flights
   * with no such cabin are left out. Unknown airports, a past or malformed date: VALIDATION_FAILED.
   */
  async function searchFlights(q: SearchQuery): Promise<FlightView[]> {
    return (await pricedLeg(q)).flights;
  }

  /** searchFlights as the JSON of its array, in UTF-8: serialised and encoded once per priced leg kept. */
  async function searchFlightsJson(q: SearchQuery): Promise<Utf8> {
    const leg = await pricedLeg(q);
    leg.json ??= leg.flights.then((flights) => utf8(JSON.stringify(flights)));
    return leg.json;
  }

  /** A leg searched: validated, then priced now or taken from the priced legs kept. */
  async function pricedLeg(q: SearchQuery): Promise<PricedLeg> {
    const now = q.now ?? new Date();
    const origin = q.origin.toUpperCase();
    const destination = q.destination.toUpperCase();
    const issues = await checkLeg({ ...q, origin, destination, now });
    if (!Number.isSafeInteger(q.passengers) || q.passengers < 1) {
      issues.push({ path: 'passenger_count', message: 'at least one passenger' });
    }
    if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', issues[0]!.message, { issues });
    const party = q.party ?? { adults: q.passengers, children: 0, infants: 0 };
    // Only searches at the present moment are kept (a caller may price at another `now`).
    if (maxAgeMs === 0 || q.now !== undefined) {
      const flights = pricedFlights(origin, destination, q.date, q.passengers, party, now);
      await flights;
      return { readAt: clock(), flights };
    }

    const key = `${origin}-${destination}-${q.date}-${q.passengers}-${party.adults}-${party.children}-${party.infants}`;
    const at = clock();
    const kept = pricedLegs.get(key);
    if (kept && at - kept.readAt < maxAgeMs) {
      await kept.flights;
      return kept;
    }
    if (pricedLegs.size >= 20_000) pricedLegs.clear();
    // Until its figures arrive the entry counts as read now; then as old as its oldest figure.
    const entry: PricedLeg = { readAt: at, flights: Promise.resolve([]) };
    entry.flights = pricedFlights(origin, destination, q.date, q.passengers, party, now, (readAt) => {
      entry.readAt = readAt;
    });
    pricedLegs.set(key, entry);
    entry.flights.catch(() => {
      if (pricedLegs.get(key) === entry) pricedLegs.delete(key);
    });
    await entry.flights;
    return entry;
  }

  /** The selling flights of a leg priced for the party at `now`; `readAt` hears how old their availability is. */
  async function pricedFlights(
    origin: string,
    destination: string,
    date: string,
    seats: number,
    party: OfferPassengers,
    now: Date,
    readAt?: (ms: number) => void,
  ): Promise<FlightView[]> {
    const rows = (await legRows(origin, destination, date)).filter((r) => isSelling(statusAt(r, now)));
    if (rows.length === 0) return [];
    const [avail, rules, countries] = await Promise.all([
      availabilityOf(rows.map((r) => r.id)),
      pricingRules(),
      airportCountries([origin, destination]),
    ]);
    readAt?.(avail.readAt);
    return rows
      .map((r) => view(r, priceCabins(r, avail.byFlight.get(r.id) ?? [], now, rules, party, seats, countries), now))
      .filter((f) => f.cabins.length > 0);
  }

  /** One flight (any status) with every cabin priced for one adult; NOT_FOUND when unknown. */
  async function getFlight(id: string, opts: { now?: Date } = {}): Promise<FlightView> {
    if (!isUuid(id)) throw new DomainError('VALIDATION_FAILED', 'flight id must be a UUID', { id });
    const row = await flightRow(id.toLowerCase());
    if (!row) throw new DomainError('NOT_FOUND', `flight ${id} was not found`);
    const now = opts.now ?? new Date();
    const [avail, rules, countries] = await Promise.all([
      inventory.availabilityMany([row.id]),
      pricingRules(),
      airportCountries([row.origin, row.destination]),
    ]);
    const one = { adults: 1, children: 0, infants: 0 };
    return view(row, priceCabins(row, avail.get(row.id) ?? [], now, rules, one, 0, countries), now);
  }

  /**
   * Drops the cached flight rows, priced legs and seat maps (a schedule change in this process: its searches see it
   * at once).
   */
  function forget(): void {
    legCache.clear();
    flightCache.clear();
    pricedLegs.clear();
    seatMaps.clear();
  }

  /** A flight's seats as laid out (number, cabin, characteristics, blocked, price), in row order; cached. */
  interface SeatRow {
    seat_number: string;
    cabin: Cabin;
    characteristics: string[];
    blocked: boolean;
    price: number;
  }
  const layoutCache = ttlCache<string, SeatRow[]>(ttl, 2_000);
  async function seatLayout(flightId: string): Promise<SeatRow[]> {
    const cached = layoutCache.get(flightId);
    if (cached) return cached;
    const seats = await sql<SeatRow[]>`
      SELECT s.seat_number, s.cabin, s.characteristics, s.blocked, s.price FROM flight_seats s
      WHERE s.flight_id = ${flightId}`;
    const rowOf = (n: string) => Number.parseInt(n, 10);
    seats.sort((a, b) => rowOf(a.seat_number) - rowOf(b.seat_number) || a.seat_number.localeCompare(b.seat_number));
    layoutCache.set(flightId, seats);
    return seats;
  }

  /**
   * Every seat of a flight with its status: BLOCKED (not for sale), OCCUPIED (a sold seat assignment), HELD (a
   * held seat assignment or a live seat lock), else AVAILABLE. The layout comes from a cache (as the flight rows
   * do); the assignments (Postgres) and the seat locks (Redis) are read live, at the same time.
   */
  async function seatMap(flightId: string): Promise<SeatMap> {
    if (!isUuid(flightId)) throw new DomainError('VALIDATION_FAILED', 'flight id must be a UUID', { flightId });
    const row = await flightRow(flightId.toLowerCase());
    if (!row) throw new DomainError('NOT_FOUND', `flight ${flightId} was not found`);
    const currency = row.cabins[0]?.currency ?? pricing.currency;
    const layout = await seatLayout(row.id);
    const [assignments, locked] = await Promise.all([
      sql<{ seat_number: string; status: 'HELD' | 'SOLD' }[]>`
        SELECT a.seat_number, a.status FROM seat_assignments a WHERE a.flight_id = ${row.id}`,
      inventory.lockedSeats(
        row.id,
        layout.map((s) => s.seat_number),
      ),
    ]);
    const assigned = new Map(assignments.map((a) => [a.seat_number, a.status]));
    const seats = layout.map((s): SeatView => {
      const assignment = assigned.get(s.seat_number);
      const status: SeatStatus = s.blocked
        ? 'BLOCKED'
        : assignment === 'SOLD'
          ? 'OCCUPIED'
          : assignment === 'HELD' || locked.has(s.seat_number)
            ? 'HELD'
            : 'AVAILABLE';
      return {
        seat_number: s.seat_number,
        cabin: s.cabin,
        status,
        characteristics: s.characteristics,
        price: money(s.price, currency),
      };
    });
    return { flight_id: row.id, aircraft: row.aircraft_type, seats };
  }

  // Seat maps as sent (JSON), per flight, read at most every seatMapMaxAgeMs; the requests that come while one is
  // read share it. A failed read (an unknown flight) is not kept.
  const seatMapMaxAgeMs = deps.seatMapMaxAgeMs ?? 0;
  const seatMaps = new Map<string, { readAt: number; json: Promise<Utf8> }>();
  const seatMapBytes = (flightId: string) => seatMap(flightId).then((m) => utf8(JSON.stringify(m)));

  /** The seat map's JSON (UTF-8), its statuses read no longer than seatMapMaxAgeMs ago. */
  function seatMapJson(flightId: string): Promise<Utf8> {
    if (seatMapMaxAgeMs === 0) return seatMapBytes(flightId);
    const key = flightId.toLowerCase();
    const now = clock();
    const hit = seatMaps.get(key);
    if (hit && now - hit.readAt < seatMapMaxAgeMs) return hit.json;
    if (seatMaps.size >= 5_000) seatMaps.clear();
    // readAt is when the reads were sent: the statuses are at least as new as that.
    const entry = { readAt: now, json: seatMapBytes(flightId) };
    seatMaps.set(key, entry);
    entry.json.catch(() => {
      if (seatMaps.get(key) === entry) seatMaps.delete(key);
    });
    return entry.json;
  }

  /**
   * Airports for an autocomplete: an exact IATA code first, then codes, cities and names that start with `q`, then
   * those that contain it (case-insensitive), at most `limit`.
   */
  async function searchAirports(q: string, limit: number): Promise<AirportView[]> {
    const term = q.trim();
    const like = term.replace(/[\\%_]/g, (ch) => `\\${ch}`);
    return sql<AirportView[]>`
      SELECT code, name, city, country FROM airports
      WHERE code ILIKE ${`${like}%`} OR city ILIKE ${`%${like}%`} OR name ILIKE ${`%${like}%`}
      ORDER BY (upper(code) = upper(${term})) DESC,
        (code ILIKE ${`${like}%`} OR city ILIKE ${`${like}%`} OR name ILIKE ${`${like}%`}) DESC, city, code
      LIMIT ${limit}`;
  }

  return {
    searchFlights,
    searchFlightsJson,
    getFlight,
    seatMap,
    seatMapJson,
    checkLeg,
    isKnownAirport,
    airportCountries,
    searchAirports,
    forget,
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
