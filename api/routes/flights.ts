import { z } from '@hono/zod-openapi';
import type { Catalog, FlightView } from '../../services/catalog';
import { CABINS } from '../../domain/cabins';
import { DomainError } from '../../domain/errors';
import { FLIGHT_STATUSES } from '../../domain/flight-status';
import { body, errorSchema, isoDaySchema, json, moneySchema, routesOf } from '../openapi';
import { createRouter } from '../router';

const airportCode = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a three-letter IATA airport code')
  .openapi({ example: 'JFK' });
const cabin = z.enum(CABINS);

const searchLeg = z.object({
  origin_airport_code: airportCode,
  destination_airport_code: airportCode.openapi({ example: 'LHR' }),
  date: isoDaySchema.openapi({ description: 'departure day (UTC), today or later', example: '2026-06-01' }),
});
const count = z.number().int().min(0).max(9);
const searchRequest = z
  .object({
    legs: z.array(searchLeg).min(1).max(6),
    passenger_count: z
      .number()
      .int()
      .min(1)
      .max(9)
      .openapi({ description: 'everyone travelling, infants included; all adults unless `passengers` says' }),
    passengers: z
      .strictObject({ adults: count.min(1), children: count.default(0), infants: count.default(0) })
      .optional()
      .openapi({
        description: 'the party by type, adding up to passenger_count; an infant sits on an adult’s lap (no seat)',
        example: { adults: 2, children: 1, infants: 1 },
      }),
  })
  .superRefine((b, ctx) => {
    const p = b.passengers;
    if (!p) return;
    if (p.adults + p.children + p.infants !== b.passenger_count) {
      ctx.addIssue({
        code: 'custom',
        path: ['passengers'],
        message: `adults + children + infants (${p.adults + p.children + p.infants}) must equal passenger_count (${b.passenger_count})`,
      });
    }
    if (p.infants > p.adults) {
      ctx.addIssue({ code: 'custom', path: ['passengers', 'infants'], message: 'at most one infant per adult' });
    }
  })
  .openapi('FlightSearchRequest');

const legPrice = z
  .object({
    passenger_type: z.enum(['ADT', 'CHD', 'INF']),
    base_fare: moneySchema,
    demand_multiplier: z.number(),
    demand_adjustment: moneySchema,
    fare_after_demand: moneySchema,
    adjustments: z.array(
      z.object({
        rule_id: z.string(),
        name: z.string(),
        kind: z.enum(['sale', 'discount', 'surcharge']),
        amount: moneySchema,
      }),
    ),
    fare: moneySchema,
    taxes: z.array(z.object({ code: z.string(), name: z.string(), amount: moneySchema })),
    total: moneySchema,
  })
  .openapi('LegPrice');

/**
 * A flight's designator and where and when it flies, as the flight answers (GET /v1/flights/{id}) and the admin's
 * (admin-flights.ts) name them: `example` is a flight number of each.
 */
export const flightFields = (example: string) => ({
  carrier: z.string(),
  flight_number: z.string().openapi({ example, description: 'carrier and number' }),
  origin: z.string(),
  destination: z.string(),
  departure_at: z.iso.datetime(),
  arrival_at: z.iso.datetime(),
});

const flight = z
  .object({
    id: z.uuid(),
    ...flightFields('AL100'),
    aircraft: z.string(),
    duration_minutes: z.number().int(),
    status: z.enum(FLIGHT_STATUSES).openapi({
      description:
        'now, from the schedule: SCHEDULED (sells), CLOSED (sales closed before departure), DEPARTED, ARRIVED, CANCELLED',
    }),
    cabins: z.array(
      z.object({
        cabin,
        available: z.number().int(),
        demand_available: z.number().int().openapi({
          description:
            'the availability the demand multiplier is computed on: sold seats count in full, held-but-unpaid ones at pricing.held_seat_weight (0 by default: holds do not raise prices)',
        }),
        price_per_passenger: moneySchema.openapi({ description: 'one adult' }),
        breakdown: legPrice,
        party: z
          .array(
            z.object({
              passenger_type: z.enum(['ADT', 'CHD', 'INF']),
              count: z.number().int(),
              price_per_passenger: moneySchema,
              total: moneySchema,
            }),
          )
          .openapi({ description: 'the party per passenger type: how many, each one’s price, and theirs together' }),
        total_price: moneySchema.openapi({ description: 'the whole party on this flight in this cabin' }),
      }),
    ),
  })
  .openapi('Flight');

const searchResponse = z
  .object({
    legs: z.array(
      z.object({ origin: z.string(), destination: z.string(), date: z.string(), flights: z.array(flight) }),
    ),
  })
  .openapi('FlightSearchResponse');

const seatMap = z
  .object({
    flight_id: z.uuid(),
    aircraft: z.string(),
    seats: z.array(
      z.object({
        seat_number: z.string().openapi({ example: '12A' }),
        cabin,
        status: z.enum(['AVAILABLE', 'HELD', 'OCCUPIED', 'BLOCKED']),
        characteristics: z.array(z.string()),
        price: moneySchema,
      }),
    ),
  })
  .openapi('SeatMap');

/** A leg as the search answer names it. */
interface SearchLeg {
  origin: string;
  destination: string;
  date: string;
}

/** The request of a route that names one flight, and what it answers when the flight is not one. */
const oneFlight = { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) };
const flightErrors = {
  400: json(errorSchema, 'the id is not a UUID'),
  404: json(errorSchema, 'no such flight'),
};

const route = routesOf({ tags: ['flights'] });

const searchRoute = route('post', '/search', {
  summary:
    'Flights that still sell for each leg on its day: the cabins with seats for the party, priced per passenger and for the party (public)',
  request: { body: body(searchRequest) },
  responses: {
    200: json(searchResponse, 'the flights of each leg, in departure order'),
    400: json(errorSchema, 'malformed request, unknown airport or a date in the past'),
  },
});

const flightRoute = route('get', '/{id}', {
  summary: 'One flight (any status) with its cabins priced for one adult',
  request: oneFlight,
  responses: { 200: json(flight, 'the flight'), ...flightErrors },
});

const seatsRoute = route('get', '/{id}/seats', {
  summary: 'The seat map: every seat with its status, characteristics and price',
  request: oneFlight,
  responses: { 200: json(seatMap, 'the seat map, by row'), ...flightErrors },
});

export const flights = createRouter()
  .openapi(searchRoute, async (c) => {
    const body = c.req.valid('json');
    const catalog = c.get('deps').services.catalog;
    const now = new Date();
    const legs = body.legs.map((l): SearchLeg => ({
      origin: l.origin_airport_code.toUpperCase(),
      destination: l.destination_airport_code.toUpperCase(),
      date: l.date,
    }));
    // Every leg is checked before any is searched, so one answer names every problem.
    const issues = (await Promise.all(legs.map((l, n) => catalog.checkLeg({ ...l, now }, `legs.${n}.`)))).flat();
    if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'the request is not valid', { issues });
    const party = body.passengers ?? { adults: body.passenger_count, children: 0, infants: 0 };
    const seats = party.adults + party.children; // an infant sits on a lap
    // Priced at the present moment (no `now`): the catalog may answer from its priced legs (services/catalog.ts),
    // each serialised once. The answer is the JSON c.json would give for { legs: [{ ...leg, flights }] }.
    const results = await Promise.all(legs.map((l) => catalog.searchFlightsJson({ ...l, passengers: seats, party })));
    const parts: Buffer[] = [Buffer.from('{"legs":[')];
    legs.forEach((l, n) => {
      parts.push(Buffer.from(`${n === 0 ? '' : ','}${JSON.stringify(l).slice(0, -1)},"flights":`), results[n]!);
      parts.push(Buffer.from('}'));
    });
    parts.push(Buffer.from(']}'));
    const bytes = Buffer.concat(parts);
    // Typed as the c.json answer it equals, so the route's contract (and the typed client) stays as it was.
    type Answer = ReturnType<typeof c.json<{ legs: (SearchLeg & { flights: FlightView[] })[] }, 200>>;
    return c.body(bytes, 200, { 'Content-Type': 'application/json' }) as unknown as Answer;
  })
  .openapi(flightRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await c.get('deps').services.catalog.getFlight(id), 200);
  })
  .openapi(seatsRoute, async (c) => {
    const { id } = c.req.valid('param');
    // Serialised and encoded once per read (services/catalog.ts: seat maps kept up to catalog.seat_map_max_age_ms), sent as is.
    const bytes = await c.get('deps').services.catalog.seatMapJson(id);
    // Typed as the c.json answer it equals, so the route's contract (and the typed client) stays as it was.
    type Answer = ReturnType<typeof c.json<Awaited<ReturnType<Catalog['seatMap']>>, 200>>;
    return c.body(bytes, 200, { 'Content-Type': 'application/json' }) as unknown as Answer;
  });
