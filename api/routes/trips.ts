/**
 * The trip-hold API of the Altis README (`seeds/altis-readme.md`): a trip is the same order workflow, started
 * from chosen flights with a 15-minute hold, whose party and seats are chosen before commit.
 */
import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { CABINS } from '../../domain/cabins';
import { DomainError } from '../../domain/errors';
import { money } from '../../domain/money';
import { priceSegments } from '../../domain/offer-builder';
import { ORDER_STATUSES } from '../../domain/order';
import { PASSENGER_TYPES } from '../../domain/pricing';
import { assertTravelers, assignRefs, GENDERS } from '../../domain/travelers';
import {
  PASSENGER_TYPE_ALIASES,
  passengerTypeOf,
  TRIP_BOOKING_STATUSES,
  tripBookingStatus,
  type TripBookingStatus,
} from '../../domain/vocabulary';
import { addTraveler, holdSeat, type OrderWorkflowInput, type TripFare } from '../../workflows/messages';
import { ownerIds } from '../auth';
import type { AppEnv } from '../deps';
import { requireAuth } from '../middleware/auth';
import { idempotency } from '../middleware/idempotency';
import { rateLimitByCustomer, withinHoldLimits } from '../middleware/rate-limit';
import { startOrder, updateOrder } from '../order-commands';
import { commitTripParty } from '../trip-commit';
import { findOwnedOrder, fulfillmentOf } from '../order-reads';
import { bearerAuth, body, errors, errorSchema, idempotencyKeyHeader, json, moneySchema, routesOf } from '../openapi';
import { boardingPassSchema, ticketSchema } from '../order-schema';
import { createRouter } from '../router';
import { exchangeRates, tripConditions } from '../../services/commercial-settings';

const cabinSchema = z.enum(CABINS);
const isoTime = z.iso.datetime().openapi({ example: '2026-03-01T09:30:00.000Z' });
/** The seed README's epoch `expires_at`, kept beside the ISO 8601 one as a compatibility alias (README "Vocabulary"). */
const unixAlias = z.number().int().openapi({ description: 'compatibility alias: expires_at in epoch seconds' });
const bookingStatus = z.enum(
  TRIP_BOOKING_STATUSES.map((s) => s.booking) as [TripBookingStatus, ...TripBookingStatus[]],
);
const orderStatus = z.enum(ORDER_STATUSES);

const route = routesOf({ tags: ['trips'], security: bearerAuth });

const createTrip = route('post', '/holds/trip', {
  summary: 'Hold an itinerary: seats on every flight for 15 minutes',
  request: {
    headers: idempotencyKeyHeader,
    body: body(
      z.object({
        flight_ids: z.array(z.string().uuid()).min(1).max(6),
        passenger_count: z.number().int().min(1).max(9).default(1),
        cabin: cabinSchema.default('ECONOMY'),
      }),
    ),
  },
  responses: {
    201: json(
      z.object({
        trip_id: z.string().uuid(),
        id: z.string().uuid().openapi({ description: 'the order it is (GET /v1/orders/{id}); the same as trip_id' }),
        status: bookingStatus,
        order_status: orderStatus,
        expires_at: isoTime,
        expires_at_unix: unixAlias,
        passenger_count: z.number().int(),
      }),
      'the trip, seats held',
    ),
    ...errors(400, 401, 404, 409, 410, 422),
    // (409 also TOO_MANY_HOLDS: the caller's open holds are at their bound, README "Abuse limits"; see Retry-After.)
  },
});

const passengerSchema = z.object({
  first_name: z.string().min(1).max(35),
  last_name: z.string().min(1).max(35),
  passenger_type: z
    .enum([...PASSENGER_TYPES, ...(Object.keys(PASSENGER_TYPE_ALIASES) as (keyof typeof PASSENGER_TYPE_ALIASES)[])])
    .default('ADT')
    .openapi({ description: 'ADT, CHD or INF; ADULT, CHILD and INFANT are accepted as compatibility aliases' }),
  date_of_birth: z.iso.date().optional(),
  gender: z.enum(GENDERS).optional(),
});

const addPassenger = route('post', '/holds/trip/{trip_id}/passengers', {
  summary: 'Add a passenger to a trip',
  request: {
    params: z.object({
      trip_id: z
        .string()
        .uuid()
        .openapi({ param: { name: 'trip_id', in: 'path' } }),
    }),
    headers: idempotencyKeyHeader,
    body: body(passengerSchema),
  },
  responses: {
    201: json(
      z.object({
        id: z.string().uuid().openapi({ description: 'the passenger, as added (the commit writes the party anew)' }),
        passenger_id: z.string().uuid().openapi({ description: 'compatibility alias of id (the seed README)' }),
        passenger_type: z.enum(PASSENGER_TYPES),
        passenger_ref: z.string().openapi({ example: 'INF1', description: 'its type and place among that type' }),
      }),
      'added',
    ),
    ...errors(400, 401, 404, 409, 410, 422),
  },
});

const seatHold = route('post', '/holds/seat', {
  summary: 'Lock a specific seat for a trip (atomic: one owner per seat)',
  request: {
    body: body(
      z.object({
        trip_id: z.string().uuid(),
        flight_id: z.string().uuid(),
        seat_number: z.string().regex(/^\d{1,3}[A-K]$/, 'a seat such as 12C'),
      }),
    ),
  },
  responses: {
    200: json(
      z.object({
        trip_id: z.string(),
        flight_id: z.string(),
        seat_number: z.string(),
        status: z.literal('HELD'),
        expires_at: isoTime,
        expires_at_unix: unixAlias,
      }),
      'the seat is held for the trip',
    ),
    ...errors(400, 401, 404, 409, 410),
  },
});

const commit = route('post', '/bookings/commit', {
  summary: 'Finalise a trip: its passengers and seats, payment, tickets',
  request: {
    headers: idempotencyKeyHeader,
    body: body(
      z.object({
        trip_id: z.string().uuid(),
        user_email: z.email().max(254),
        payment_token: z.string().min(1).max(200),
        passengers: z
          .array(
            passengerSchema.extend({
              seats: z
                .array(z.object({ flight_id: z.string().uuid(), seat_number: z.string().regex(/^\d{1,3}[A-K]$/) }))
                .max(6)
                .default([]),
            }),
          )
          .min(1)
          .max(9)
          .optional(),
      }),
    ),
  },
  responses: {
    200: json(
      z.object({
        id: z.string().uuid().openapi({ description: 'the order (and trip) id' }),
        booking_id: z.string().uuid().openapi({ description: 'compatibility alias of id (the seed README)' }),
        status: bookingStatus.openapi({ description: 'CONFIRMED: paid and ticketed (README "Vocabulary")' }),
        order_status: orderStatus,
        total: moneySchema,
        tickets: z.array(ticketSchema),
        boarding_passes: z.array(boardingPassSchema),
      }),
      'booked and ticketed',
    ),
    202: json(
      z.object({
        id: z.string().uuid(),
        booking_id: z.string().uuid(),
        status: bookingStatus,
        order_status: orderStatus,
      }),
      'payment pending (webhook)',
    ),
    402: json(errorSchema, 'payment declined; the trip stays held while its time lasts'),
    503: json(
      errorSchema,
      'the payment provider is down (circuit open): nothing charged, the hold kept; see Retry-After',
    ),
    ...errors(400, 401, 404, 409, 410, 422),
  },
});

const router = createRouter();
for (const path of ['/holds/*', '/bookings/*']) router.use(path, requireAuth, rateLimitByCustomer);
router.use('/holds/trip', idempotency());
// (Hono's '/holds/trip' is that path alone: each creating POST under it names its own.)
router.use('/holds/trip/:trip_id/passengers', idempotency());
router.use('/bookings/commit', idempotency());

const unix = (iso: string | Date) => Math.floor(new Date(iso).getTime() / 1000);

async function ownedTrip(c: Context<AppEnv>, tripId: string) {
  const deps = c.get('deps');
  const customer = c.get('customer');
  const row = await findOwnedOrder(deps.services.orderReads, tripId, customer, await ownerIds(deps, customer)).catch(
    () => null,
  );
  if (!row || row.source !== 'TRIP') throw new DomainError('NOT_FOUND', `trip ${tripId} was not found`);
  return row;
}

/** Runs an update on the trip's workflow (api/order-commands.ts `updateOrder`: refusals, a closed trip). */
const onTrip = <T>(c: Context<AppEnv>, tripId: string, run: Parameters<typeof updateOrder<T>>[4]) =>
  updateOrder(c.get('deps').temporal, tripId, () => ownedTrip(c, tripId), 'changed', run);

export const trips = router
  .openapi(createTrip, async (c) => {
    const deps = c.get('deps');
    const { flight_ids, passenger_count, cabin } = c.req.valid('json');
    if (new Set(flight_ids).size !== flight_ids.length) {
      throw new DomainError('VALIDATION_FAILED', 'flight_ids lists a flight twice');
    }
    const now = new Date();
    const flightViews = await Promise.all(flight_ids.map((id) => deps.services.catalog.getFlight(id, { now })));
    // Cancelled, closed for sale or departed: read from Postgres, whatever the catalog's cache says.
    await deps.services.sellability.assertSellable(flight_ids, now);
    const inventory = await deps.services.tripReads.cabinFares(flight_ids, cabin);
    const segments = flightViews.map((f) => {
      const inv = inventory.find((i) => i.flightId === f.id);
      const live = f.cabins.find((x) => x.cabin === cabin);
      if (!inv || !live) throw new DomainError('VALIDATION_FAILED', `flight ${f.id} has no ${cabin} cabin`);
      // Priced on the demand figure (held seats weighted: domain/pricing.ts demandAvailable), as search is.
      return { flight: f, inv, available: Math.min(inv.capacity, Math.max(0, live.demand_available)) };
    });
    // Priced by the offers' own code (domain/offer-builder.ts): one fare per passenger type per flight,
    // honoured at commit whatever the party turns out to be.
    const priced = priceSegments(
      segments.map(({ flight: f, inv, available }) => ({
        segment: {
          flight_id: f.id,
          carrier: f.carrier,
          flight_number: f.flight_number,
          origin: f.origin,
          destination: f.destination,
          departure_at: f.departure_at,
          arrival_at: f.arrival_at,
          cabin,
          direction: 'OUTBOUND' as const,
        },
        baseFare: money(inv.baseFare, inv.currency),
        available,
        capacity: inv.capacity,
      })),
      { adults: 1, children: 1, infants: 1 },
      {
        rules: await deps.services.commercial.pricingRules(),
        taxes: deps.config.pricing.taxes,
        childFarePercent: deps.config.pricing.child_fare_percent,
        infantFarePercent: deps.config.pricing.infant_fare_percent,
        fx: exchangeRates(deps.config.pricing),
        countries: await deps.services.catalog.airportCountries(),
      },
      now,
    );
    const fares: TripFare[] = priced.map((p) => ({
      flightId: p.segment.flight_id,
      ADT: p.byType.ADT!.total.amount,
      CHD: p.byType.CHD!.total.amount,
      INF: p.byType.INF!.total.amount,
    }));
    const currency = segments[segments.length - 1]?.inv.currency ?? deps.config.pricing.currency;
    const tripId = randomUUID();
    const owner = (await ownerIds(deps, c.get('customer')))[0]!;
    const input: OrderWorkflowInput = {
      orderId: tripId,
      customerId: owner,
      source: 'TRIP',
      offerId: null,
      currency,
      totalAmount: fares.reduce((sum, f) => sum + f.ADT, 0) * passenger_count,
      segments: flightViews.map((f) => ({
        flightId: f.id,
        cabin,
        carrier: f.carrier,
        flightNumber: f.flight_number,
        origin: f.origin,
        destination: f.destination,
        departureAt: f.departure_at,
        arrivalAt: f.arrival_at,
      })),
      travelers: [],
      items: [],
      contact: null,
      holdSeconds: deps.config.orders.trip_hold_seconds,
      seatCount: passenger_count,
      fares,
      // A trip sells the flight only: under the trip bundle's conditions, kept by the order for its life.
      conditions: await tripConditions(deps.services.commercial, deps.config, currency),
      paymentTimeoutSeconds: deps.config.orders.payment_timeout_seconds,
      archiveGraceSeconds: deps.config.orders.archive_grace_seconds,
    };
    const result = await withinHoldLimits(
      c,
      { orderId: tripId, seats: passenger_count, holdSeconds: input.holdSeconds, ownerId: owner },
      () => startOrder(deps, input),
      (r) => r.outcome === 'PROPOSED',
    );
    if (result.outcome === 'SOLD_OUT') {
      throw new DomainError('SOLD_OUT', 'not enough seats are left on these flights; nothing was held', result.details);
    }
    if (result.outcome !== 'PROPOSED') {
      throw new DomainError('DEPENDENCY_UNAVAILABLE', 'the trip could not be held; nothing was held, try again');
    }
    const expiresAt = new Date(result.order.expiresAt);
    const status = result.order.status;
    return c.json(
      {
        trip_id: tripId,
        id: tripId,
        status: tripBookingStatus(status),
        order_status: status,
        expires_at: expiresAt.toISOString(),
        expires_at_unix: unix(expiresAt),
        passenger_count,
      },
      201,
    );
  })
  .openapi(addPassenger, async (c) => {
    const { trip_id } = c.req.valid('param');
    const p = c.req.valid('json');
    const trip = await ownedTrip(c, trip_id);
    const ptc = passengerTypeOf(p.passenger_type);
    assertTravelers([{ ...p, ptc }], trip.expiresAt, 'passenger');
    const pii = c.get('pii');
    const added = await onTrip(c, trip_id, (handle) =>
      handle.executeUpdate(addTraveler, {
        args: [
          {
            ptc,
            firstName: pii.encrypt(p.first_name.trim()),
            lastName: pii.encrypt(p.last_name.trim()),
            dateOfBirth: p.date_of_birth ? pii.encrypt(p.date_of_birth) : null,
            gender: p.gender ?? null,
          },
        ],
      }),
    );
    // Numbered per type from 1 in the trip's order (ADT1, ADT2, INF1), as the commit's items are (domain/travelers.ts).
    const party = (await c.get('deps').services.orderReads.parties([trip_id])).travelers;
    const ref = assignRefs(party).find((t) => t.id === added.travelerId)?.ref;
    if (!ref) throw new DomainError('DEPENDENCY_UNAVAILABLE', 'the passenger was added but could not be read back');
    return c.json(
      { id: added.travelerId, passenger_id: added.travelerId, passenger_type: ptc, passenger_ref: ref },
      201,
    );
  })
  .openapi(seatHold, async (c) => {
    const { trip_id, flight_id, seat_number } = c.req.valid('json');
    await ownedTrip(c, trip_id);
    const held = await onTrip(c, trip_id, (handle) =>
      handle.executeUpdate(holdSeat, { args: [{ flightId: flight_id, seatNumber: seat_number }] }),
    );
    const expiresAt = new Date(held.expiresAt);
    return c.json(
      {
        trip_id,
        flight_id,
        seat_number,
        status: 'HELD' as const,
        expires_at: expiresAt.toISOString(),
        expires_at_unix: unix(expiresAt),
      },
      200,
    );
  })
  .openapi(commit, async (c) => {
    const deps = c.get('deps');
    const pii = c.get('pii');
    const req = c.req.valid('json');
    const trip = await ownedTrip(c, req.trip_id);
    // Before anything is charged: a flight cancelled, closed or departed since the trip was held is refused.
    if (trip.status === 'PROPOSED') {
      const { segments } = trip.offer as { segments: OrderWorkflowInput['segments'] };
      await deps.services.sellability.assertSellable(segments.map((s) => s.flightId));
    }
    const { paid, totalAmount } = await commitTripParty(
      { services: deps.services, pii, onTrip: (run) => onTrip(c, trip.id, run) },
      trip,
      {
        ...(req.passengers
          ? { passengers: req.passengers.map((p) => ({ ...p, ptc: passengerTypeOf(p.passenger_type) })) }
          : {}),
        userEmail: req.user_email,
        paymentToken: req.payment_token,
      },
    );
    if (paid.status === 'DECLINED') {
      throw new DomainError('PAYMENT_DECLINED', 'the payment was declined', {
        decline_code: paid.declineCode,
        status: tripBookingStatus(paid.order.status),
        order_status: paid.order.status,
      });
    }
    if (paid.status === 'PAYMENT_PENDING') {
      const pending = 'PAYMENT_PENDING' as const;
      return c.json(
        { id: trip.id, booking_id: trip.id, status: tripBookingStatus(pending), order_status: pending },
        202,
      );
    }
    const booked = await ownedTrip(c, trip.id);
    const docs = await fulfillmentOf({ reads: deps.services.orderReads, temporal: deps.temporal, pii }, booked);
    return c.json(
      {
        id: trip.id,
        booking_id: trip.id,
        status: tripBookingStatus(booked.status),
        order_status: booked.status,
        total: { amount: totalAmount, currency: trip.currency },
        tickets: docs.tickets,
        boarding_passes: docs.boarding_passes,
      },
      200,
    );
  });
