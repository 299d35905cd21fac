/**
 * /v1/admin/flights: schedule management for admins. Creating a flight makes its inventory per cabin and its seats
 * from the aircraft's layout exactly as the seed does (db/seed.ts `insertSchedule`), then indexes its
 * availability in Redis. A flight may be deleted only while nothing was ever held or sold on it.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gte, inArray, lt } from 'drizzle-orm';
import { aircraftTypes, airports, flightInventory, flights } from '../../db/schema';
import { insertSchedule, utcDay } from '../../services/schedule';
import { DomainError } from '../../domain/errors';
import type { ApiDeps } from '../deps';
import { requireAuth, requireRole } from '../middleware/auth';
import { bearerAuth, errorResponses } from '../openapi';
import { createRouter } from '../router';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });

const cabinSchema = z.enum(['ECONOMY', 'PREMIUM_ECONOMY', 'BUSINESS', 'FIRST']);
const airport = z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter IATA airport code (upper case)');
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD');
const wholeMinute = z.iso
  .datetime({ offset: true })
  .refine((s) => Date.parse(s) % 60_000 === 0, 'must be a whole minute (seconds zero)');
const idParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const cabinView = z.object({
  cabin: cabinSchema,
  capacity: z.number().int(),
  held: z.number().int(),
  sold: z.number().int(),
  available: z.number().int(),
  base_fare: z.number().int(),
  currency: z.string(),
});
const adminFlight = z
  .object({
    id: z.string(),
    carrier: z.string(),
    flight_number: z.string(),
    origin: z.string(),
    destination: z.string(),
    departure_at: z.string(),
    arrival_at: z.string(),
    aircraft_type: z.string(),
    status: z.enum(['SCHEDULED', 'CANCELLED', 'DEPARTED']),
    cabins: z.array(cabinView),
  })
  .openapi('AdminFlight');

const createBody = z
  .strictObject({
    carrier: z.string().regex(/^[A-Z0-9]{2}$/, 'must be a two-character airline designator'),
    flight_number: z.string().regex(/^[A-Za-z0-9]{1,10}$/, 'must be 1 to 10 letters or digits'),
    origin: airport,
    destination: airport,
    departure_at: wholeMinute,
    arrival_at: wholeMinute,
    aircraft_type: z.string().min(1),
    base_fares: z
      .partialRecord(cabinSchema, z.number().int().min(0))
      .openapi({ description: 'adult one-way base fare per cabin of the aircraft, minor units' }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
  })
  .openapi('AdminFlightCreate');

const patchBody = z
  .strictObject({
    status: z.enum(['SCHEDULED', 'CANCELLED']).optional(),
    departure_at: z.iso.datetime({ offset: true }).optional(),
    arrival_at: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change')
  .openapi('AdminFlightPatch');

const listQuery = z.object({
  origin: airport.optional(),
  destination: airport.optional(),
  date: isoDay.optional().openapi({ description: 'UTC day of departure' }),
  status: z.enum(['SCHEDULED', 'CANCELLED', 'DEPARTED']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const common = { tags: ['admin'], security: bearerAuth };
const authErrors = errorResponses(401, 403);

const createFlight = createRoute({
  ...common,
  method: 'post',
  path: '/',
  summary: 'Create a flight with its inventory and seats from the aircraft layout',
  request: { body: body(createBody) },
  responses: { 201: json(adminFlight, 'the flight'), ...errorResponses(400, 409), ...authErrors },
});
const listFlights = createRoute({
  ...common,
  method: 'get',
  path: '/',
  summary: 'Flights by route, day and status, in departure order (limit/offset)',
  request: { query: listQuery },
  responses: {
    200: json(
      z.object({
        flights: z.array(adminFlight),
        limit: z.number(),
        offset: z.number(),
        next_offset: z.number().nullable(),
      }),
      'a page of flights',
    ),
    ...errorResponses(400),
    ...authErrors,
  },
});
const getFlight = createRoute({
  ...common,
  method: 'get',
  path: '/{id}',
  summary: 'One flight with its inventory per cabin',
  request: { params: idParam },
  responses: { 200: json(adminFlight, 'the flight'), ...errorResponses(400, 404), ...authErrors },
});
const patchFlight = createRoute({
  ...common,
  method: 'patch',
  path: '/{id}',
  summary: 'Change the status (SCHEDULED/CANCELLED) or the times of a flight',
  request: { params: idParam, body: body(patchBody) },
  responses: { 200: json(adminFlight, 'the flight'), ...errorResponses(400, 404, 409), ...authErrors },
});
const deleteFlight = createRoute({
  ...common,
  method: 'delete',
  path: '/{id}',
  summary: 'Delete a flight on which nothing was ever held or sold',
  request: { params: idParam },
  responses: { 204: { description: 'deleted' }, ...errorResponses(400, 404, 409), ...authErrors },
});

/** A Postgres unique violation (23505), however the driver or drizzle wraps it. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === '23505') return true;
  }
  return false;
}

async function loadFlights(deps: ApiDeps, where: ReturnType<typeof and>, limit = 1, offset = 0) {
  const rows = await deps.db
    .select()
    .from(flights)
    .where(where)
    .orderBy(asc(flights.departureAt), asc(flights.id))
    .limit(limit)
    .offset(offset);
  if (rows.length === 0) return [];
  const inv = await deps.db
    .select()
    .from(flightInventory)
    .where(
      inArray(
        flightInventory.flightId,
        rows.map((r) => r.id),
      ),
    );
  const order = ['FIRST', 'BUSINESS', 'PREMIUM_ECONOMY', 'ECONOMY'];
  return rows.map((f) => ({
    id: f.id,
    carrier: f.carrier,
    flight_number: f.flightNumber,
    origin: f.origin,
    destination: f.destination,
    departure_at: f.departureAt.toISOString(),
    arrival_at: f.arrivalAt.toISOString(),
    aircraft_type: f.aircraftType,
    status: f.status,
    cabins: inv
      .filter((i) => i.flightId === f.id)
      .sort((a, b) => order.indexOf(a.cabin) - order.indexOf(b.cabin))
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

async function oneFlight(deps: ApiDeps, id: string) {
  const [flight] = await loadFlights(deps, and(eq(flights.id, id)));
  if (!flight) throw new DomainError('NOT_FOUND', `flight ${id} was not found`);
  return flight;
}

const reindex = (deps: ApiDeps, id: string) => deps.services.inventory.rebuildIndex([id]);

const router = createRouter();
router.use('*', requireAuth, requireRole('admin'));

export const adminFlights = router
  .openapi(createFlight, async (c) => {
    const deps = c.get('deps');
    const b = c.req.valid('json');
    const dep = new Date(b.departure_at);
    const arr = new Date(b.arrival_at);
    const issues: { path: string; message: string }[] = [];
    if (arr <= dep) issues.push({ path: 'arrival_at', message: 'must be after departure_at' });
    if (dep.getTime() <= Date.now()) issues.push({ path: 'departure_at', message: 'must be in the future' });
    if (b.origin === b.destination) issues.push({ path: 'destination', message: 'must differ from origin' });
    const known = await deps.db
      .select({ code: airports.code })
      .from(airports)
      .where(inArray(airports.code, [b.origin, b.destination]));
    for (const k of ['origin', 'destination'] as const) {
      if (!known.some((a) => a.code === b[k])) issues.push({ path: k, message: `unknown airport ${b[k]}` });
    }
    const [aircraft] = await deps.db.select().from(aircraftTypes).where(eq(aircraftTypes.code, b.aircraft_type));
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
    const { flightIds } = await insertSchedule(deps.sql, {
      routes: [
        {
          carrier: b.carrier,
          flightNumber: b.flight_number,
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
      currency: b.currency ?? deps.config.pricing.currency,
    });
    const id = flightIds[0];
    if (!id) {
      throw new DomainError(
        'CONFLICT',
        `flight ${b.carrier}${b.flight_number} departing ${dep.toISOString()} already exists`,
      );
    }
    await reindex(deps, id);
    return c.json(await oneFlight(deps, id), 201);
  })
  .openapi(listFlights, async (c) => {
    const deps = c.get('deps');
    const q = c.req.valid('query');
    const day = q.date ? new Date(`${q.date}T00:00:00Z`) : undefined;
    const where = and(
      q.origin ? eq(flights.origin, q.origin) : undefined,
      q.destination ? eq(flights.destination, q.destination) : undefined,
      q.status ? eq(flights.status, q.status) : undefined,
      day ? gte(flights.departureAt, day) : undefined,
      day ? lt(flights.departureAt, new Date(day.getTime() + 86_400_000)) : undefined,
    );
    const page = await loadFlights(deps, where, q.limit + 1, q.offset);
    const more = page.length > q.limit;
    return c.json(
      {
        flights: page.slice(0, q.limit),
        limit: q.limit,
        offset: q.offset,
        next_offset: more ? q.offset + q.limit : null,
      },
      200,
    );
  })
  .openapi(getFlight, async (c) => c.json(await oneFlight(c.get('deps'), c.req.valid('param').id), 200))
  .openapi(patchFlight, async (c) => {
    const deps = c.get('deps');
    const { id } = c.req.valid('param');
    const b = c.req.valid('json');
    const current = await oneFlight(deps, id);
    const dep = new Date(b.departure_at ?? current.departure_at);
    const arr = new Date(b.arrival_at ?? current.arrival_at);
    if (arr <= dep) {
      throw new DomainError('VALIDATION_FAILED', 'arrival_at must be after departure_at', {
        issues: [{ path: 'arrival_at', message: 'must be after departure_at' }],
      });
    }
    if (current.status === 'DEPARTED') throw new DomainError('INVALID_STATE', 'the flight has departed');
    try {
      await deps.db
        .update(flights)
        .set({ ...(b.status ? { status: b.status } : {}), departureAt: dep, arrivalAt: arr })
        .where(eq(flights.id, id));
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new DomainError('CONFLICT', 'another flight with this number departs at that time');
      }
      throw err;
    }
    await reindex(deps, id);
    return c.json(await oneFlight(deps, id), 200);
  })
  .openapi(deleteFlight, async (c) => {
    const deps = c.get('deps');
    const { id } = c.req.valid('param');
    await deps.sql.begin(async (tx) => {
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
    await deps.services.inventory.dropIndex([id]);
    return c.body(null, 204);
  });
