/**
 * Check-in (issue #15, item 3): POST /v1/orders/:id/check-in checks travelers of a ticketed order in on one of its
 * flights inside the check-in window (config [check_in]) and answers their boarding passes, as BCBP strings and as
 * PDF417 images (GET /v1/orders/:id/boarding-passes/:traveler_id/:flight_id.png). The order's owner or an agent.
 */
import { z } from '@hono/zod-openapi';
import { DomainError } from '../../domain/errors';
import { COUPON_USE_STATUSES } from '../../domain/check-in';
import { boardingPassPng } from '../../services/boarding-pass';
import type { AppEnv } from '../deps';
import { idempotency } from '../middleware/idempotency';
import { command, errors, errorSchema, json, orderRoute } from '../openapi';
import { ownedOrder } from '../order-access';
import { createRouter } from '../router';
import type { Context } from 'hono';

const uuidParam = (name: string) =>
  z
    .string()
    .uuid()
    .openapi({ param: { name, in: 'path' } });

const documentSchema = z
  .strictObject({
    type: z.string().openapi({ description: 'P passport, I national identity card', example: 'P' }),
    number: z.string().openapi({ description: '5 to 20 upper-case letters or digits', example: 'X1234567' }),
    nationality: z.string().openapi({ description: 'ISO 3166-1 alpha-3', example: 'FRA' }),
    expiry: z.string().openapi({ description: 'YYYY-MM-DD, after the flight arrives', example: '2031-05-31' }),
  })
  .openapi('TravelDocument');

const checkInRequest = z
  .strictObject({
    flight_id: z.string().uuid(),
    travelers: z
      .array(
        z.strictObject({
          ref: z.string().min(1).openapi({ description: 'the traveler’s ref (ADT1) or id', example: 'ADT1' }),
          document: documentSchema.optional().openapi({ description: 'required on an international flight (APIS)' }),
        }),
      )
      .min(1)
      .max(9),
  })
  .openapi('CheckInRequest');

export const checkInSchema = z
  .strictObject({
    order_id: z.string().uuid(),
    flight_id: z.string().uuid(),
    international: z.boolean().openapi({ description: 'travel documents were required and checked (APIS)' }),
    boarding_passes: z.array(
      z.strictObject({
        traveler_id: z.string().uuid(),
        ticket_number: z.string().regex(/^\d{13}$/),
        status: z.enum(COUPON_USE_STATUSES),
        seat_number: z.string().nullable().openapi({ description: 'null for a lap infant' }),
        check_in_sequence: z.number().int().openapi({ description: 'unique on the flight' }),
        bcbp: z.string().openapi({ description: 'IATA BCBP (Resolution 792) string the barcode carries' }),
        barcode_url: z.string().openapi({ description: 'the pass as a PDF417 PNG image' }),
        checked_in_at: z.string(),
      }),
    ),
  })
  .openapi('CheckIn');

const checkInRoute = orderRoute('post', '/orders/{id}/check-in', {
  summary: 'Check travelers in on a flight of the order: seat assigned, boarding pass issued',
  ...command(checkInRequest, {
    200: json(checkInSchema, 'the travelers are checked in; their boarding passes'),
    409: json(errorSchema, 'CHECK_IN_NOT_OPEN, CHECK_IN_CLOSED, COUPON_NOT_OPEN, or the order is not ticketed'),
  }),
});

const passImageRoute = orderRoute('get', '/orders/{id}/boarding-passes/{traveler_id}/{file}', {
  summary: 'A boarding pass as a PDF417 barcode image (PNG): …/{traveler_id}/{flight_id}.png',
  request: {
    params: z.strictObject({
      id: uuidParam('id'),
      traveler_id: uuidParam('traveler_id'),
      file: z
        .string()
        .regex(/^[0-9a-fA-F-]{36}\.png$/, 'must be <flight_id>.png')
        .openapi({ param: { name: 'file', in: 'path' }, example: '6f1c2b9e-0000-4000-8000-000000000000.png' }),
    }),
  },
  responses: {
    200: {
      description: 'the PDF417 image of the latest pass',
      content: { 'image/png': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...errors(400, 401, 404),
  },
});

const passUrl = (orderId: string, travelerId: string, flightId: string) =>
  `/v1/orders/${orderId}/boarding-passes/${travelerId}/${flightId}.png`;

const router = createRouter();
// Auth and the customer's rate limit come from the orders router (mounted first on /v1/orders/*).
router.use('/orders/:id/check-in', idempotency());

async function passImage(c: Context<AppEnv>, orderId: string, travelerId: string, flightId: string) {
  const bcbp = await c.get('deps').services.checkIn.boardingPass(orderId, travelerId, flightId);
  const png = await boardingPassPng(bcbp);
  // Through the context, so that the headers set before the handler (request id, rate limits) go out with it.
  return c.body(new Uint8Array(png), 200, {
    'Content-Type': 'image/png',
    'Content-Length': String(png.length),
    'Cache-Control': 'no-store',
  });
}

export const checkIn = router
  .openapi(checkInRoute, async (c) => {
    const { id } = c.req.valid('param');
    const req = c.req.valid('json');
    const row = await ownedOrder(c, id);
    const customer = c.get('customer');
    const result = await c.get('deps').services.checkIn.checkIn({
      orderId: row.id,
      flightId: req.flight_id.toLowerCase(),
      travelers: req.travelers,
      source: customer.role === 'customer' ? 'W' : 'A',
    });
    return c.json(
      {
        order_id: row.id,
        flight_id: req.flight_id.toLowerCase(),
        international: result.international,
        boarding_passes: result.coupons.map((p) => ({
          traveler_id: p.travelerId,
          ticket_number: p.ticketNumber,
          status: p.status,
          seat_number: p.seatNumber,
          check_in_sequence: p.sequence,
          bcbp: p.bcbp,
          barcode_url: passUrl(row.id, p.travelerId, p.flightId),
          checked_in_at: p.checkedInAt.toISOString(),
        })),
      },
      200,
    );
  })
  .openapi(passImageRoute, async (c) => {
    const { id, traveler_id, file } = c.req.valid('param');
    const row = await ownedOrder(c, id);
    const flightId = file.slice(0, -'.png'.length).toLowerCase();
    if (!z.string().uuid().safeParse(flightId).success) {
      throw new DomainError('VALIDATION_FAILED', 'the file name must be <flight_id>.png');
    }
    return passImage(c, row.id, traveler_id.toLowerCase(), flightId);
  });
