import { z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { CABINS } from '../../domain/cabins';
import type { OfferPassengers } from '../../domain/offer';
import { PASSENGER_TYPES } from '../../domain/pricing';
import type { AppEnv, Customer } from '../deps';
import { optionalCustomer } from '../middleware/auth';
import { rateLimitByCustomer } from '../middleware/rate-limit';
import {
  body,
  errors,
  fareConditionsSchema,
  isoDaySchema,
  json,
  moneySchema,
  optionalBearerAuth,
  routesOf,
} from '../openapi';
import { createRouter } from '../router';

/**
 * /v1/offers: search (offers per itinerary and bundle, ranked, 15 minutes of life), read, reject. Accepting an
 * offer is POST /v1/offers/:id/accept in routes/orders.ts: this router is mounted before that one and matches
 * none of its paths. Auth is optional: a bearer token, when sent, binds the offers to its customer.
 */

const airportCode = z.string().regex(/^[A-Za-z]{3}$/, 'must be a three-letter IATA airport code');
const date = isoDaySchema;
const count = z.number().int().min(0).max(99);
const isoTime = z.iso.datetime().openapi({ example: '2026-03-01T09:30:00.000Z' });
const searchRequest = z
  .strictObject({
    origin: airportCode.openapi({ example: 'JFK' }),
    destination: airportCode.openapi({ example: 'LHR' }),
    departure_date: date.openapi({ description: 'UTC day of the outbound flight, today or later' }),
    return_date: date.nullable().optional().openapi({ description: 'UTC day of the return; omit for one way' }),
    passengers: z
      .union([
        count.openapi({ description: 'a number of adults' }),
        z.strictObject({ adults: count, children: count.default(0), infants: count.default(0) }),
      ])
      .openapi({
        description: 'adults ≥ 1, adults + children ≤ 9, infants (on a lap, no seat) ≤ adults',
        example: { adults: 2, children: 1, infants: 1 },
      }),
    cabin: z.enum(CABINS).default('ECONOMY'),
  })
  .openapi('OfferSearchRequest');

const offerSchema = z
  .object({
    id: z.string().openapi({ example: 'off_6b1f…' }),
    status: z.enum(['ACTIVE', 'ACCEPTED', 'CANCELLED']),
    created_at: isoTime,
    expires_at: isoTime,
    bundle: z.object({ code: z.string(), name: z.string() }),
    rank: z.number().int(),
    search_id: z.string().optional(),
    customer_id: z.string().nullable().optional(),
    search: z.record(z.string(), z.unknown()),
    segments: z.array(
      z.object({
        flight_id: z.string(),
        carrier: z.string(),
        flight_number: z.string().openapi({ example: 'AL318', description: 'carrier and number' }),
        origin: z.string(),
        destination: z.string(),
        departure_at: isoTime,
        arrival_at: isoTime,
        cabin: z.string(),
        direction: z.enum(['OUTBOUND', 'INBOUND']),
      }),
    ),
    items: z.array(
      z.object({
        id: z.string(),
        product_type: z.string(),
        product_code: z.string(),
        flight_id: z.string().nullable(),
        passenger_ref: z.string(),
        ptc: z.enum(PASSENGER_TYPES),
        price: moneySchema,
      }),
    ),
    price: z.object({
      currency: z.string(),
      total: moneySchema.openapi({ description: 'exactly the sum of the item prices' }),
      breakdown: z.unknown().openapi({
        description:
          'base fare, demand multiplier, rule adjustments, taxes and ancillaries, per passenger type and in total',
      }),
    }),
    conditions: fareConditionsSchema.optional().openapi({ description: 'absent only on offers stored before them' }),
    ranking: z.object({ context: z.string(), weight: z.number(), score: z.number() }).optional(),
  })
  .openapi('Offer');
const searchResponse = z
  .object({ search_id: z.string(), expires_at: isoTime, offers: z.array(offerSchema) })
  .openapi('OfferSearchResponse');

const idParam = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'off_6b1f…' }),
});

const route = routesOf({ tags: ['offers'], security: optionalBearerAuth });

const searchRoute = route('post', '/search', {
  summary: 'Offers for each itinerary: flight only and bundles, priced, ranked, valid for 15 minutes',
  request: { body: body(searchRequest) },
  responses: {
    200: json(searchResponse, 'the offers, in the ranker’s order (none when no flight has seats)'),
    ...errors(400, 401, 429),
  },
});

const getRoute = route('get', '/{id}', {
  summary: 'One offer while it lives',
  request: { params: idParam },
  responses: { 200: json(offerSchema, 'the offer'), ...errors(400, 401, 404, 410) },
});

const rejectRoute = route('delete', '/{id}', {
  summary: 'Reject an offer: it can no longer be accepted, and the ranker learns from it',
  request: { params: idParam },
  responses: { 204: { description: 'rejected (or already rejected)' }, ...errors(400, 401, 404, 409, 410) },
});

/** Sets `customer` when the request carries a valid bearer token (an invalid one is 401); none is fine. */
const optionalAuth = createMiddleware<AppEnv>(async (c, next) => {
  const customer = await optionalCustomer(c);
  if (customer) c.set('customer', customer);
  await next();
});

const partyOf = (p: number | { adults: number; children: number; infants: number }): OfferPassengers =>
  typeof p === 'number' ? { adults: p, children: 0, infants: 0 } : p;

const customerOf = (c: { get(key: 'customer'): Customer }) => (c.get('customer') as Customer | undefined)?.id ?? null;

const router = createRouter();
// Paths of this router only ('/:id' is one segment): /:id/accept keeps the orders router's middleware.
router.use('/search', optionalAuth, rateLimitByCustomer);
router.use('/:id', optionalAuth, rateLimitByCustomer);

export const offers = router
  .openapi(searchRoute, async (c) => {
    const body = c.req.valid('json');
    const engine = c.get('deps').services.offers;
    const result = await engine.search(
      { ...body, passengers: partyOf(body.passengers) },
      { customerId: customerOf(c) },
    );
    // The offers' JSON as stored in Redis, sent as those bytes (the same answer c.json would give, encoded once).
    const bytes = engine.serialized(result);
    if (bytes === undefined) return c.json(result, 200);
    // Typed as the c.json answer it equals, so the route's contract (and the typed client) stays as it was.
    type Answer = ReturnType<typeof c.json<typeof result, 200>>;
    return c.body(bytes, 200, { 'Content-Type': 'application/json' }) as unknown as Answer;
  })
  .openapi(getRoute, async (c) => {
    const offer = await c.get('deps').services.offers.getOffer(c.req.valid('param').id, customerOf(c));
    return c.json(offer, 200);
  })
  .openapi(rejectRoute, async (c) => {
    await c.get('deps').services.offers.rejectOffer(c.req.valid('param').id, customerOf(c));
    return c.body(null, 204);
  });
