import { createRoute, z } from '@hono/zod-openapi';
import { isIsoDate } from '../../services/catalog';
import { CABINS } from '../../domain/cabins';
import { DomainError } from '../../domain/errors';
import { body, errorSchema, json, moneySchema } from '../openapi';
import { createRouter } from '../router';

const airportCode = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a three-letter IATA airport code')
  .openapi({ example: 'JFK' });
const cabin = z.enum(CABINS);

const searchLeg = z.object({
  origin_airport_code: airportCode,
  destination_airport_code: airportCode.openapi({ example: 'LHR' }),
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
    .refine(isIsoDate, 'is not a calendar date')
    .openapi({ description: 'departure day (UTC), today or later', example: '2026-06-01' }),
});
const searchRequest = z
  .object({
    legs: z.array(searchLeg).min(1).max(6),
    passenger_count: z.number().int().min(1).max(9),
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

const flight = z
  .object({
    id: z.uuid(),
    carrier: z.string(),
    flight_number: z.string().openapi({ example: 'AL100' }),
    origin: z.string(),
    destination: z.string(),
    departure_at: z.iso.datetime(),
    arrival_at: z.iso.datetime(),
    aircraft: z.string(),
    duration_minutes: z.number().int(),
    status: z.enum(['SCHEDULED', 'CANCELLED', 'DEPARTED']),
    cabins: z.array(
      z.object({
        cabin,
        available: z.number().int(),
        price_per_passenger: moneySchema,
        breakdown: legPrice,
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

const flightParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const searchRoute = createRoute({
  method: 'post',
  path: '/search',
  tags: ['flights'],
  summary: 'Flights for each leg on its day, with live availability and price per passenger (public)',
  request: { body: body(searchRequest) },
  responses: {
    200: json(searchResponse, 'the flights of each leg, in departure order'),
    400: json(errorSchema, 'malformed request, unknown airport or a date in the past'),
  },
});

const flightRoute = createRoute({
  method: 'get',
  path: '/{id}',
  tags: ['flights'],
  summary: 'One flight with its cabins priced for one passenger',
  request: { params: flightParams },
  responses: {
    200: json(flight, 'the flight'),
    400: json(errorSchema, 'the id is not a UUID'),
    404: json(errorSchema, 'no such flight'),
  },
});

const seatsRoute = createRoute({
  method: 'get',
  path: '/{id}/seats',
  tags: ['flights'],
  summary: 'The seat map: every seat with its status, characteristics and price',
  request: { params: flightParams },
  responses: {
    200: json(seatMap, 'the seat map, by row'),
    400: json(errorSchema, 'the id is not a UUID'),
    404: json(errorSchema, 'no such flight'),
  },
});

export const flights = createRouter()
  .openapi(searchRoute, async (c) => {
    const body = c.req.valid('json');
    const catalog = c.get('deps').services.catalog;
    const now = new Date();
    const legs = body.legs.map((l) => ({
      origin: l.origin_airport_code.toUpperCase(),
      destination: l.destination_airport_code.toUpperCase(),
      date: l.date,
    }));
    // Every leg is checked before any is searched, so one answer names every problem.
    const issues = (await Promise.all(legs.map((l, n) => catalog.checkLeg({ ...l, now }, `legs.${n}.`)))).flat();
    if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'the request is not valid', { issues });
    const results = await Promise.all(
      legs.map((l) => catalog.searchFlights({ ...l, passengers: body.passenger_count, now })),
    );
    return c.json({ legs: legs.map((l, n) => ({ ...l, flights: results[n]! })) }, 200);
  })
  .openapi(flightRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await c.get('deps').services.catalog.getFlight(id), 200);
  })
  .openapi(seatsRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await c.get('deps').services.catalog.seatMap(id), 200);
  });
