/**
 * Boarding at the gate (issue #15, item 4), for agents: POST /v1/gate/scan reads a boarding pass's BCBP string and
 * boards its coupon once; GET /v1/admin/flights/:id/manifest lists the flight's ticketed travelers with their
 * checked-in / boarded / no-show state. Mounted before the admin flights router, whose routes need role admin.
 */
import { z } from '@hono/zod-openapi';
import { COUPON_USE_STATUSES } from '../../domain/check-in';
import { requireAuth, requireRole } from '../middleware/auth';
import { idempotency } from '../middleware/idempotency';
import { rateLimitByCustomer } from '../middleware/rate-limit';
import { bearerAuth, body, errors, errorSchema, idempotencyKeyHeader, idParams, json, routesOf } from '../openapi';
import { createRouter } from '../router';

const scanRequest = z
  .strictObject({
    barcode: z.string().min(1).max(1000).openapi({ description: 'the BCBP string the barcode carries' }),
    flight_id: z.string().uuid().optional().openapi({ description: 'the gate’s flight: a pass for another is 422' }),
  })
  .openapi('GateScanRequest');

export const gateScanSchema = z
  .strictObject({
    status: z.literal('BOARDED'),
    order_id: z.string().uuid(),
    booking_reference: z.string(),
    flight_id: z.string().uuid(),
    traveler_id: z.string().uuid(),
    passenger: z.strictObject({ first_name: z.string(), last_name: z.string(), passenger_type: z.string() }),
    ticket_number: z.string(),
    seat_number: z.string().nullable(),
    check_in_sequence: z.number().int(),
    boarded_at: z.string(),
  })
  .openapi('GateScan');

export const manifestSchema = z
  .strictObject({
    flight_id: z.string().uuid(),
    carrier: z.string(),
    flight_number: z.string(),
    departure_at: z.string(),
    status: z.string(),
    passengers: z.array(
      z.strictObject({
        order_id: z.string().uuid(),
        booking_reference: z.string(),
        traveler_id: z.string().uuid(),
        passenger_type: z.string(),
        name: z.strictObject({ first: z.string(), last: z.string() }),
        ticket_number: z.string(),
        coupon_status: z.enum(COUPON_USE_STATUSES),
        seat_number: z.string().nullable(),
        check_in_sequence: z.number().int().nullable(),
        checked_in_at: z.string().nullable(),
        boarded_at: z.string().nullable(),
      }),
    ),
    totals: z.strictObject({
      ticketed: z.number().int(),
      not_checked_in: z.number().int(),
      checked_in: z.number().int(),
      boarded: z.number().int(),
      flown: z.number().int(),
      no_show: z.number().int(),
    }),
  })
  .openapi('FlightManifest');

const route = routesOf({ tags: ['gate'], security: bearerAuth });

const scanRoute = route('post', '/gate/scan', {
  summary: 'Scan a boarding pass at the gate: boards its coupon once (role agent)',
  request: { headers: idempotencyKeyHeader, body: body(scanRequest) },
  responses: {
    200: json(gateScanSchema, 'boarded: the passenger, seat and sequence'),
    409: json(
      errorSchema,
      'ALREADY_BOARDED, BOARDING_PASS_SUPERSEDED, NOT_CHECKED_IN, or COUPON_NOT_OPEN (cancelled or changed ticket)',
    ),
    422: json(errorSchema, 'WRONG_FLIGHT: a pass for another flight or another day'),
    ...errors(400, 401, 403, 404),
  },
});

const manifestRoute = route('get', '/admin/flights/{id}/manifest', {
  summary: 'The flight’s passengers: checked in, boarded, no-show, with seat and sequence (role agent)',
  request: { params: idParams },
  responses: { 200: json(manifestSchema, 'the manifest with totals'), ...errors(400, 401, 403, 404) },
});

const flightTimes = z.strictObject({ status: z.string(), departure_at: z.string(), arrival_at: z.string() });
export const flightDisruptionsSchema = z
  .strictObject({
    flight_id: z.string().uuid(),
    data: z.array(
      z.strictObject({
        id: z.string().uuid(),
        kind: z.string(),
        before: flightTimes,
        after: flightTimes,
        created_at: z.string(),
        totals: z.strictObject({
          affected: z.number().int(),
          no_answer: z.number().int(),
          accepted: z.number().int(),
          refunded: z.number().int(),
          auto_accepted: z.number().int(),
        }),
        orders: z.array(
          z.strictObject({
            order_id: z.string().uuid(),
            booking_reference: z.string(),
            status: z.enum(['OPEN', 'ACCEPTED', 'REFUNDED', 'AUTO_ACCEPTED']),
            response: z
              .enum(['accepted', 'refunded', 'auto_accepted'])
              .nullable()
              .openapi({ description: 'null: no answer yet' }),
            responded_by: z.enum(['customer', 'default', 'tolerance']).nullable(),
            responded_at: z.string().nullable(),
            respond_by: z.string().nullable(),
            default_action: z.enum(['protect', 'refund']),
            available_actions: z.array(z.enum(['accept', 'refund'])),
          }),
        ),
      }),
    ),
  })
  .openapi('FlightDisruptions');

const disruptionsRoute = route('get', '/admin/flights/{id}/disruptions', {
  summary: 'The flight’s airline-initiated changes, newest first, with each affected order and its answer (role agent)',
  request: { params: manifestRoute.request.params },
  responses: { 200: json(flightDisruptionsSchema, 'the changes and their orders'), ...errors(400, 401, 403) },
});

const router = createRouter();
const agents = [requireAuth, requireRole('agent', 'admin'), rateLimitByCustomer] as const;
router.use('/gate/*', ...agents);
router.use('/gate/scan', idempotency());
router.use('/admin/flights/:id/manifest', ...agents);
router.use('/admin/flights/:id/disruptions', ...agents);

export const gate = router
  .openapi(scanRoute, async (c) => {
    const req = c.req.valid('json');
    const r = await c.get('deps').services.checkIn.scan({
      barcode: req.barcode,
      gateFlightId: req.flight_id?.toLowerCase(),
    });
    return c.json(
      {
        status: 'BOARDED' as const,
        order_id: r.orderId,
        booking_reference: req.barcode.slice(23, 30).trimEnd(),
        flight_id: r.flightId,
        traveler_id: r.travelerId,
        passenger: { first_name: r.name.first, last_name: r.name.last, passenger_type: r.ptc },
        ticket_number: r.ticketNumber,
        seat_number: r.seatNumber,
        check_in_sequence: r.sequence,
        boarded_at: r.boardedAt.toISOString(),
      },
      200,
    );
  })
  .openapi(manifestRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await c.get('deps').services.checkIn.manifest(id.toLowerCase()), 200);
  })
  .openapi(disruptionsRoute, async (c) => {
    const flightId = c.req.valid('param').id.toLowerCase();
    const data = await c.get('deps').services.disruptionReads.ofFlight(flightId);
    return c.json({ flight_id: flightId, data }, 200);
  });
