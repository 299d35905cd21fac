/**
 * Schedule management for admins (api/routes/admin-flights.ts): flights with their inventory per cabin, created
 * exactly as the seed makes them (services/schedule.ts `insertSchedule`: cabin inventory and seats from the
 * aircraft's layout), changed, and deleted only while nothing was ever held or sold on them. Every change
 * reindexes the flight's availability in Redis through the inventory facade and tells this process's catalog
 * (`onChange`). A flight's status is read as domain/flight-status.ts judges it now; a cancel stops its sales at
 * once, since every sale checks Postgres (services/schedule.ts `createSellability`).
 */
import { and, asc, eq, gte, inArray, lt, or, sql as dsql } from 'drizzle-orm';
import type { Database, Sql } from '../db/client';
import { aircraftTypes, airports, flightInventory, flights, type CabinLayout } from '../db/schema';
import { DomainError } from '../domain/errors';
import { disruptionKind } from '../domain/disruptions';
import { flightStatusAt, type FlightStatus, type ScheduleRules } from '../domain/flight-status';
import { flightDesignator, flightNumberOnly, type FlightScheduleView } from '../domain/vocabulary';
import type { Inventory } from './inventory';
import { isUniqueViolation } from './postgres-errors';
import { insertSchedule, moveFlightStatuses, utcDay } from './schedule';

type Cabin = CabinLayout['cabin'];

export interface AdminFlightCabin {
  cabin: Cabin;
  capacity: number;
  held: number;
  sold: number;
  available: number;
  base_fare: number;
  currency: string;
}

/** A flight as an admin writes it (the schedule fields). */
interface FlightFields extends FlightScheduleView {
  aircraft_type: string;
}

export interface AdminFlight extends FlightFields {
  id: string;
  status: FlightStatus;
  cabins: AdminFlightCabin[];
}

export interface NewFlight extends FlightFields {
  /** Adult one-way base fare per cabin of the aircraft, minor units. */
  base_fares: Partial<Record<Cabin, number>>;
  /** Default: the pricing currency. */
  currency?: string | undefined;
}

export interface FlightChange {
  status?: 'SCHEDULED' | 'CANCELLED' | undefined;
  departure_at?: string | undefined;
  arrival_at?: string | undefined;
}

export interface FlightFilter {
  origin?: string | undefined;
  destination?: string | undefined;
  /** UTC day of departure, YYYY-MM-DD. */
  date?: string | undefined;
  status?: FlightStatus | undefined;
  /** The designator ("AL318") or the number alone ("318"). */
  flightNumber?: string | undefined;
}

export interface AdminFlightsDeps {
  db: Database;
  sql: Sql;
  inventory: Pick<Inventory, 'rebuildIndex' | 'dropIndex'>;
  /** The currency of a new flight's fares when the request names none. */
  currency: string;
  /** When a flight's check-in opens and its sales close (services/schedule.ts scheduleRules). */
  rules: ScheduleRules;
  /** Called after a flight was created, changed or deleted (the catalog drops its cached rows). */
  onChange?: () => void;
}

const CABIN_ORDER = ['FIRST', 'BUSINESS', 'PREMIUM_ECONOMY', 'ECONOMY'];

export function createAdminFlights(deps: AdminFlightsDeps) {
  const { db, sql, inventory } = deps;
  const changed = () => deps.onChange?.();

  async function load(where: ReturnType<typeof and>, limit = 1, offset = 0): Promise<AdminFlight[]> {
    const rows = await db
      .select()
      .from(flights)
      .where(where)
      .orderBy(asc(flights.departureAt), asc(flights.id))
      .limit(limit)
      .offset(offset);
    if (rows.length === 0) return [];
    const inv = await db
      .select()
      .from(flightInventory)
      .where(
        inArray(
          flightInventory.flightId,
          rows.map((r) => r.id),
        ),
      );
    return rows.map((f) => ({
      id: f.id,
      carrier: f.carrier,
      flight_number: flightDesignator(f.carrier, f.flightNumber),
      origin: f.origin,
      destination: f.destination,
      departure_at: f.departureAt.toISOString(),
      arrival_at: f.arrivalAt.toISOString(),
      aircraft_type: f.aircraftType,
      status: flightStatusAt(
        { status: f.status, departureMs: f.departureAt.getTime(), arrivalMs: f.arrivalAt.getTime() },
        Date.now(),
        deps.rules,
      ),
      cabins: inv
        .filter((i) => i.flightId === f.id)
        .sort((a, b) => CABIN_ORDER.indexOf(a.cabin) - CABIN_ORDER.indexOf(b.cabin))
        .map((i) => ({
          cabin: i.cabin,
          capacity: i.capacity,
          held: i.held,
          sold: i.sold,
          available: i.capacity - i.held - i.sold,
          base_fare: i.baseFare,
          currency: i.currency,
        })),
    }));
  }

  /** One flight with its inventory per cabin; NOT_FOUND when there is none. */
  async function get(id: string): Promise<AdminFlight> {
    const [flight] = await load(and(eq(flights.id, id)));
    if (!flight) throw new DomainError('NOT_FOUND', `flight ${id} was not found`);
    return flight;
  }

  /**
   * Flights by route, day and status, in departure order. A status filter first records the status moves that
   * are due (the worker's job, done here too so that the filter and the statuses shown agree).
   */
  async function list(filter: FlightFilter, limit: number, offset: number): Promise<AdminFlight[]> {
    if (filter.status) await moveFlightStatuses({ db }, deps.rules);
    const day = filter.date ? new Date(`${filter.date}T00:00:00Z`) : undefined;
    const where = and(
      filter.origin ? eq(flights.origin, filter.origin) : undefined,
      filter.destination ? eq(flights.destination, filter.destination) : undefined,
      filter.status ? eq(flights.status, filter.status) : undefined,
      filter.flightNumber
        ? or(
            eq(dsql`${flights.carrier} || ${flights.flightNumber}`, filter.flightNumber),
            eq(flights.flightNumber, filter.flightNumber),
          )
        : undefined,
      day ? gte(flights.departureAt, day) : undefined,
      day ? lt(flights.departureAt, new Date(day.getTime() + 86_400_000)) : undefined,
    );
    return load(where, limit, offset);
  }

  /**
   * Creates a flight with its inventory and seats; VALIDATION_FAILED (with every issue) for bad times, unknown
   * airports or aircraft and fares that do not match the aircraft's cabins, CONFLICT when it exists.
   */
  async function create(b: NewFlight): Promise<AdminFlight> {
    const dep = new Date(b.departure_at);
    const arr = new Date(b.arrival_at);
    const issues: { path: string; message: string }[] = [];
    if (arr <= dep) issues.push({ path: 'arrival_at', message: 'must be after departure_at' });
    if (dep.getTime() <= Date.now()) issues.push({ path: 'departure_at', message: 'must be in the future' });
    if (b.origin === b.destination) issues.push({ path: 'destination', message: 'must differ from origin' });
    const known = await db
      .select({ code: airports.code })
      .from(airports)
      .where(inArray(airports.code, [b.origin, b.destination]));
    for (const k of ['origin', 'destination'] as const) {
      if (!known.some((a) => a.code === b[k])) issues.push({ path: k, message: `unknown airport ${b[k]}` });
    }
    const [aircraft] = await db.select().from(aircraftTypes).where(eq(aircraftTypes.code, b.aircraft_type));
    if (!aircraft) issues.push({ path: 'aircraft_type', message: `unknown aircraft type ${b.aircraft_type}` });
    else {
      const cabins = new Set(aircraft.layout.map((l) => l.cabin));
      for (const cabin of cabins) {
        if (b.base_fares[cabin] === undefined) issues.push({ path: `base_fares.${cabin}`, message: 'is required' });
      }
      for (const cabin of Object.keys(b.base_fares)) {
        if (!cabins.has(cabin as never)) {
          issues.push({ path: `base_fares.${cabin}`, message: `aircraft ${aircraft.code} has no such cabin` });
        }
      }
    }
    if (issues.length > 0 || !aircraft) {
      throw new DomainError('VALIDATION_FAILED', issues[0]?.message ?? 'the request is not valid', { issues });
    }
    const day = utcDay(dep);
    const { flightIds } = await insertSchedule(sql, {
      routes: [
        {
          carrier: b.carrier,
          flightNumber: flightNumberOnly(b.carrier, b.flight_number),
          origin: b.origin,
          destination: b.destination,
          aircraftType: aircraft.code,
          departureMinutes: Math.round((dep.getTime() - day.getTime()) / 60_000),
          durationMinutes: Math.round((arr.getTime() - dep.getTime()) / 60_000),
          fares: b.base_fares,
        },
      ],
      aircraft: [aircraft],
      from: day,
      days: 1,
      currency: b.currency ?? deps.currency,
    });
    const id = flightIds[0];
    if (!id) {
      throw new DomainError(
        'CONFLICT',
        `flight ${flightDesignator(b.carrier, b.flight_number)} departing ${dep.toISOString()} already exists`,
      );
    }
    await inventory.rebuildIndex([id]);
    changed();
    return get(id);
  }

  /**
   * Changes the status (cancel, or reinstate a cancelled flight) or the times; INVALID_STATE once departed,
   * CONFLICT when the new time is taken. A reinstated flight sells again only if its sales have not closed.
   */
  async function update(
    id: string,
    b: FlightChange,
    opts: { disrupt?: (change: FlightChange) => Promise<unknown> } = {},
  ): Promise<AdminFlight> {
    const current = await get(id);
    const dep = new Date(b.departure_at ?? current.departure_at);
    const arr = new Date(b.arrival_at ?? current.arrival_at);
    if (arr <= dep) {
      throw new DomainError('VALIDATION_FAILED', 'arrival_at must be after departure_at', {
        issues: [{ path: 'arrival_at', message: 'must be after departure_at' }],
      });
    }
    if (current.status === 'DEPARTED' || current.status === 'ARRIVED') {
      throw new DomainError('INVALID_STATE', 'the flight has departed');
    }
    // An airline-initiated change (a cancel, a retime, a delay) is written by its fan-out (api/flight-disruptions.ts).
    const kind = disruptionKind(
      { status: current.status, departureAt: current.departure_at, arrivalAt: current.arrival_at },
      { status: b.status ?? current.status, departureAt: dep.toISOString(), arrivalAt: arr.toISOString() },
    );
    if (kind && opts.disrupt) {
      await opts.disrupt(b);
      changed();
      return get(id);
    }
    try {
      await db
        .update(flights)
        .set({ ...(b.status ? { status: b.status } : {}), departureAt: dep, arrivalAt: arr })
        .where(eq(flights.id, id));
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new DomainError('CONFLICT', 'another flight with this number departs at that time');
      }
      throw err;
    }
    await inventory.rebuildIndex([id]);
    changed();
    return get(id);
  }

  /** Deletes a flight on which nothing was ever held or sold (CONFLICT otherwise), and its availability index. */
  async function remove(id: string): Promise<void> {
    await sql.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`SELECT id FROM flights WHERE id = ${id} FOR UPDATE`;
      if (!row) throw new DomainError('NOT_FOUND', `flight ${id} was not found`);
      const [use] = await tx<{ holds: number; seats: number; counted: number }[]>`
        SELECT (SELECT count(*)::int FROM inventory_holds WHERE flight_id = ${id}) AS holds,
               (SELECT count(*)::int FROM seat_assignments WHERE flight_id = ${id}) AS seats,
               (SELECT coalesce(sum(held + sold), 0)::int FROM flight_inventory WHERE flight_id = ${id}) AS counted`;
      if (use!.holds + use!.seats + use!.counted > 0) {
        throw new DomainError('CONFLICT', 'the flight has holds, sales or orders; cancel it instead', use);
      }
      await tx`DELETE FROM flights WHERE id = ${id}`;
    });
    await inventory.dropIndex([id]);
    changed();
  }

  return { get, list, create, update, remove };
}

export type AdminFlights = ReturnType<typeof createAdminFlights>;
