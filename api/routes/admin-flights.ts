/**
 * /v1/admin/flights: schedule management for admins (services/admin-flights.ts). Creating a flight makes its
 * inventory per cabin and its seats from the aircraft's layout exactly as the seed does (services/schedule.ts
 * `insertSchedule`), then indexes its availability in Redis. A flight may be deleted only while nothing was ever
 * held or sold on it.
 */
import { z } from '@hono/zod-openapi';
import { DomainError } from '../../domain/errors';
import { FLIGHT_STATUSES } from '../../domain/flight-status';
import type { FlightDisruptionChange } from '../../workflows/messages';
import { disruptFlight } from '../flight-disruptions';
import { requireAuth, requireRole } from '../middleware/auth';
import { bearerAuth, body, errors, idParams, isoDaySchema, json, routesOf } from '../openapi';
import { createRouter } from '../router';
import { flightFields } from './flights';

const cabinSchema = z.enum(['ECONOMY', 'PREMIUM_ECONOMY', 'BUSINESS', 'FIRST']);
const airport = z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter IATA airport code (upper case)');
const isoDay = isoDaySchema;
const wholeMinute = z.iso
  .datetime({ offset: true })
  .refine((s) => Date.parse(s) % 60_000 === 0, 'must be a whole minute (seconds zero)');

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
    ...flightFields('AL9901'),
    aircraft_type: z.string(),
    status: z.enum(FLIGHT_STATUSES).openapi({
      description: 'now, from the schedule: SCHEDULED (sells), CLOSED (sales closed), DEPARTED, ARRIVED, CANCELLED',
    }),
    cabins: z.array(cabinView),
  })
  .openapi('AdminFlight');

const createBody = z
  .strictObject({
    carrier: z.string().regex(/^[A-Z0-9]{2}$/, 'must be a two-character airline designator'),
    flight_number: z
      .string()
      .regex(/^[A-Za-z0-9]{1,10}$/, 'must be 1 to 10 letters or digits')
      .openapi({ description: 'carrier and number ("AL9901"), or the number alone ("9901")', example: 'AL9901' }),
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
    status: z
      .enum(['SCHEDULED', 'CANCELLED'])
      .optional()
      .openapi({ description: 'CANCELLED stops its sales at once; SCHEDULED reinstates a cancelled flight' }),
    departure_at: z.iso.datetime({ offset: true }).optional(),
    arrival_at: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change')
  .openapi('AdminFlightPatch');

const listQuery = z.object({
  origin: airport.optional(),
  destination: airport.optional(),
  date: isoDay.optional().openapi({ description: 'UTC day of departure' }),
  status: z.enum(FLIGHT_STATUSES).optional(),
  flight_number: z
    .string()
    .regex(/^[A-Za-z0-9]{1,10}$/, 'must be 1 to 10 letters or digits')
    .transform((s) => s.toUpperCase())
    .optional()
    .openapi({ description: 'the designator ("AL9901") or the number alone ("9901")' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: 'the next_cursor of the previous page' }),
});

/** An opaque cursor: the place in the departure-ordered list where the next page starts. */
const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64url');
function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // not JSON: refused below
  }
  throw new DomainError('VALIDATION_FAILED', 'the cursor is not valid', {
    issues: [{ path: 'cursor', message: 'not a cursor' }],
  });
}

const route = routesOf({ tags: ['admin'], security: bearerAuth });
const authErrors = errors(400, 401, 403); // 400: a malformed URL, before the token is looked at

const createFlight = route('post', '/', {
  summary: 'Create a flight with its inventory and seats from the aircraft layout',
  request: { body: body(createBody) },
  responses: { 201: json(adminFlight, 'the flight'), ...errors(400, 409), ...authErrors },
});
const listFlights = route('get', '/', {
  summary: 'Flights by route, day, status and number, in departure order (limit, cursor); agents may read',
  request: { query: listQuery },
  responses: {
    200: json(z.object({ data: z.array(adminFlight), next_cursor: z.string().nullable() }), 'a page of flights'),
    ...errors(400),
    ...authErrors,
  },
});
const getFlight = route('get', '/{id}', {
  summary: 'One flight with its inventory per cabin; agents may read',
  request: { params: idParams },
  responses: { 200: json(adminFlight, 'the flight'), ...errors(400, 404), ...authErrors },
});
const patchFlight = route('patch', '/{id}', {
  summary:
    'Change the status (SCHEDULED/CANCELLED) or the times of a flight; a cancel, retime or delay is an airline-initiated change: FlightCancelled / FlightRetimed / FlightDelayed, and every affected order is told',
  request: { params: idParams, body: body(patchBody) },
  responses: { 200: json(adminFlight, 'the flight'), ...errors(400, 404, 409), ...authErrors },
});
const deleteFlight = route('delete', '/{id}', {
  summary: 'Delete a flight on which nothing was ever held or sold',
  request: { params: idParams },
  responses: { 204: { description: 'deleted' }, ...errors(400, 404, 409), ...authErrors },
});

// admin-commercial.ts takes it from here.
export { isUniqueViolation } from '../../services/postgres-errors';

const router = createRouter();
// Agents read the schedule (to reach a flight's manifest and disruptions); only admins change it.
const readers = requireRole('agent', 'admin');
const writers = requireRole('admin');
router.use('*', requireAuth, (c, next) => (c.req.method === 'GET' ? readers(c, next) : writers(c, next)));

export const adminFlights = router
  .openapi(createFlight, async (c) =>
    c.json(await c.get('deps').services.adminFlights.create(c.req.valid('json')), 201),
  )
  .openapi(listFlights, async (c) => {
    const q = c.req.valid('query');
    const offset = decodeCursor(q.cursor);
    const page = await c
      .get('deps')
      .services.adminFlights.list({ ...q, flightNumber: q.flight_number }, q.limit + 1, offset);
    const more = page.length > q.limit;
    return c.json({ data: page.slice(0, q.limit), next_cursor: more ? encodeCursor(offset + q.limit) : null }, 200);
  })
  .openapi(getFlight, async (c) => c.json(await c.get('deps').services.adminFlights.get(c.req.valid('param').id), 200))
  .openapi(patchFlight, async (c) => {
    const { id } = c.req.valid('param');
    const { services, temporal, config } = c.get('deps');
    // A cancel, retime or delay: written and fanned out to its orders by a workflow (api/flight-disruptions.ts).
    const disrupt = (change: FlightDisruptionChange) => disruptFlight(temporal, config.temporal.task_queue, id, change);
    return c.json(await services.adminFlights.update(id, c.req.valid('json'), { disrupt }), 200);
  })
  .openapi(deleteFlight, async (c) => {
    await c.get('deps').services.adminFlights.remove(c.req.valid('param').id);
    return c.body(null, 204);
  });
