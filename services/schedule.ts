/**
 * The flight schedule: the writer of flights with their cabin inventory and seat maps made from the aircraft
 * layout (set-based and idempotent, used by the seed and by the admin API), and the flights' status from the
 * schedule (domain/flight-status.ts) read from Postgres, the authority: the sellability check that every way of
 * selling calls before it holds or charges, and the status moves the worker records.
 */
import type { AppConfig } from '../config';
import { and, eq, inArray, sql as dsql } from 'drizzle-orm';
import type { Database, Sql } from '../db/client';
import { flights } from '../db/schema';
import type { CabinLayout } from '../db/schema';
import type { SeedRoute } from '../db/seed/data';
import { DomainError } from '../domain/errors';
import { assertSellable, flightStatusAt, type FlightStatus, type ScheduleRules } from '../domain/flight-status';
import { canConvert, convert, money, type ExchangeRates } from '../domain/money';
import { settleCouponsAtDeparture } from './check-in';

type Cabin = CabinLayout['cabin'];

/** A scheduled service: one flight a day at `departureMinutes` past UTC midnight (a seed route, or an admin's). */
export type ScheduledRoute = Omit<SeedRoute, 'distanceKm'>;

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

/**
 * Seat templates of every aircraft type in every currency flown, as one JSON document for set-based inserts. The
 * layouts price seats in the pricing currency; another currency's seats go through the rate table.
 */
function seatTemplateJson(
  types: { code: string; layout: CabinLayout[] }[],
  currencies: string[],
  base: string,
  fx: ExchangeRates | undefined,
) {
  return currencies.flatMap((currency) =>
    types.flatMap((t) =>
      seatsForLayout(t.layout).map((s) => ({
        aircraft_type: t.code,
        currency,
        seat_number: s.seatNumber,
        cabin: s.cabin,
        characteristics: s.characteristics.join(','),
        blocked: s.blocked,
        price: canConvert(base, currency, fx) ? convert(money(s.price, base), currency, fx).amount : s.price,
      })),
    ),
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
    routes: ScheduledRoute[];
    aircraft: { code: string; layout: CabinLayout[] }[];
    from: Date;
    days: number;
    /** The pricing currency: of routes that name none, and of the layouts' seat prices. */
    currency?: string;
    /** Takes seat prices to a route's own currency. */
    fx?: ExchangeRates;
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
    currency: r.currency ?? opts.currency ?? 'USD',
  }));
  // ISO strings, not Dates: drizzle makes this client's timestamp and JSON serializers pass values through.
  const start = utcDay(opts.from).toISOString();
  const end = new Date(Date.parse(start) + opts.days * 86_400_000).toISOString();
  const currency = opts.currency ?? 'USD';
  const currencies = [...new Set(routes.map((r) => r.currency))];

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
      SELECT f.id, f.aircraft_type, r.fares, r.currency
      FROM flights f
      JOIN jsonb_to_recordset(${JSON.stringify(routes)}::jsonb)
           AS r(carrier text, flight_number text, fares jsonb, currency text)
        ON r.carrier = f.carrier AND r.flight_number = f.flight_number
      WHERE f.departure_at >= ${start} AND f.departure_at < ${end}`;

    const inventory = await tx`
      INSERT INTO flight_inventory (flight_id, cabin, capacity, base_fare, currency)
      SELECT f.id, c.cabin::cabin_class, c.capacity, (f.fares ->> c.cabin)::int, f.currency
      FROM seed_flights f
      JOIN jsonb_to_recordset(${JSON.stringify(cabinTemplateJson(opts.aircraft))}::jsonb)
           AS c(aircraft_type text, cabin text, capacity int) ON c.aircraft_type = f.aircraft_type
      WHERE NOT EXISTS (SELECT 1 FROM flight_inventory i WHERE i.flight_id = f.id)
      ON CONFLICT DO NOTHING`;

    // The flights without seats first (materialized), so a rerun probes the index once per flight instead of
    // joining every flight to the seat template before discarding the rows.
    const seats = await tx`
      WITH todo AS MATERIALIZED (
        SELECT f.id, f.aircraft_type, f.currency FROM seed_flights f
        WHERE NOT EXISTS (SELECT 1 FROM flight_seats s WHERE s.flight_id = f.id))
      INSERT INTO flight_seats (flight_id, seat_number, cabin, characteristics, blocked, price)
      SELECT f.id, t.seat_number, t.cabin::cabin_class, string_to_array(t.characteristics, ','), t.blocked, t.price
      FROM todo f
      JOIN jsonb_to_recordset(${JSON.stringify(seatTemplateJson(opts.aircraft, currencies, currency, opts.fx))}::jsonb)
           AS t(aircraft_type text, currency text, seat_number text, cabin text, characteristics text, blocked boolean,
                price int)
        ON t.aircraft_type = f.aircraft_type AND t.currency = f.currency
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

interface ScheduleRow {
  id: string;
  carrier: string;
  flight_number: string;
  status: FlightStatus;
  departure_ms: number;
  arrival_ms: number;
}

async function scheduleRows(sql: Sql, flightIds: readonly string[]): Promise<ScheduleRow[]> {
  return sql<ScheduleRow[]>`
    SELECT id, carrier, flight_number, status,
           (extract(epoch FROM departure_at) * 1000)::float8 AS departure_ms,
           (extract(epoch FROM arrival_at) * 1000)::float8 AS arrival_ms
    FROM flights WHERE id = ANY(${[...flightIds]}::uuid[])`;
}

/**
 * Whether flights can be sold now, read from Postgres (never from a cache: an admin's cancel in another process
 * must stop the next accept). Used by accept, trip hold, trip commit and pay before anything is held or charged.
 */
/** The times that move a flight's status, from the configuration (domain/flight-status.ts applies them). */
export const scheduleRules = (config: Pick<AppConfig, 'orders' | 'check_in'>): ScheduleRules => ({
  salesCloseMinutes: config.orders.sales_close_minutes,
  checkInOpensHours: config.check_in.opens_hours_before,
});

export function createSellability(deps: { sql: Sql; config: Pick<AppConfig, 'orders' | 'check_in'> }) {
  return {
    /** NOT_FOUND for an unknown flight; FLIGHT_CANCELLED / FLIGHT_CLOSED (409) or FLIGHT_DEPARTED (410). */
    async assertSellable(flightIds: readonly string[], now = new Date()): Promise<void> {
      const ids = [...new Set(flightIds.map((id) => id.toLowerCase()))];
      const rows = await scheduleRows(deps.sql, ids);
      const missing = ids.find((id) => !rows.some((r) => r.id === id));
      if (missing) throw new DomainError('NOT_FOUND', `flight ${missing} was not found`);
      const byId = new Map(rows.map((r) => [r.id, r]));
      assertSellable(
        ids.map((id) => {
          const r = byId.get(id)!;
          const f = { status: r.status, departureMs: r.departure_ms, arrivalMs: r.arrival_ms };
          return { id, label: `${r.carrier}${r.flight_number}`, ...f };
        }),
        now.getTime(),
        scheduleRules(deps.config),
      );
    },
  };
}

export type Sellability = ReturnType<typeof createSellability>;

/** How far ahead of a departure the next status move can be due: check-in opening, else sales close. */
const dueWithinMs = (r: ScheduleRules) =>
  Math.max(r.salesCloseMinutes * 60_000, (r.checkInOpensHours ?? 0) * 3_600_000);

/**
 * Records the status moves that are due (SCHEDULED → CHECK_IN_OPEN → CLOSED → DEPARTED → ARRIVED, by the rule of
 * domain/flight-status.ts) on flights whose check-in has opened (all, or `only` these); CANCELLED and ARRIVED flights are never touched, and
 * a cancel that lands meanwhile wins. A move to DEPARTED (or straight to ARRIVED) settles the flight's coupons in
 * its transaction (services/check-in.ts settleCouponsAtDeparture). Returns the number of flights moved per status.
 */
export async function moveFlightStatuses(
  pg: { db: Database },
  rules: ScheduleRules,
  now = new Date(),
  only?: readonly string[],
): Promise<Partial<Record<FlightStatus, number>>> {
  const { db } = pg;
  const due = await db.execute<ScheduleRow & Record<string, unknown>>(dsql`
    SELECT id, carrier, flight_number, status,
           (extract(epoch FROM departure_at) * 1000)::float8 AS departure_ms,
           (extract(epoch FROM arrival_at) * 1000)::float8 AS arrival_ms
    FROM flights
    WHERE status IN ('SCHEDULED', 'CHECK_IN_OPEN', 'CLOSED', 'DEPARTED')
      AND departure_at <= ${new Date(now.getTime() + dueWithinMs(rules)).toISOString()}::timestamptz
      ${only ? dsql`AND ${inArray(flights.id, [...only])}` : dsql``}`);
  const moves = new Map<FlightStatus, { from: FlightStatus; ids: string[] }[]>();
  for (const r of due) {
    const to = flightStatusAt(
      { status: r.status, departureMs: r.departure_ms, arrivalMs: r.arrival_ms },
      now.getTime(),
      rules,
    );
    if (to === r.status) continue;
    const list = moves.get(to) ?? [];
    const group = list.find((g) => g.from === r.status);
    if (group) group.ids.push(r.id);
    else list.push({ from: r.status, ids: [r.id] });
    moves.set(to, list);
  }
  const moved: Partial<Record<FlightStatus, number>> = {};
  for (const [to, groups] of moves) {
    for (const g of groups) {
      if (to === 'DEPARTED' || to === 'ARRIVED') {
        // A departure settles the flight's coupons (FLOWN / NO_SHOW) in the same transaction as its status move,
        // one flight at a time: the status guard makes a rerun (or a second worker) a no-op.
        for (const id of g.ids) {
          const count = await db.transaction(async (tx) => {
            const res = await tx
              .update(flights)
              .set({ status: to })
              .where(and(eq(flights.id, id), eq(flights.status, g.from)))
              .returning({ id: flights.id });
            if (res.length > 0 && g.from !== 'DEPARTED') await settleCouponsAtDeparture(tx, id, now);
            return res.length;
          });
          moved[to] = (moved[to] ?? 0) + count;
        }
        continue;
      }
      const res = await db
        .update(flights)
        .set({ status: to })
        .where(and(inArray(flights.id, g.ids), eq(flights.status, g.from)))
        .returning({ id: flights.id });
      moved[to] = (moved[to] ?? 0) + res.length;
    }
  }
  return moved;
}
