/**
 * The Order resource's contract (GET /v1/orders/:id and every order answer), built by api/order-reads.ts
 * `orderResource`: the typed client and the OpenAPI document see every field of it.
 */
import { COUPON_USE_STATUSES } from '../domain/check-in';
import { COUPON_STATUSES } from '../domain/tickets';
import { z } from '@hono/zod-openapi';
import { CABINS } from '../domain/cabins';
import { PRODUCT_TYPES } from '../domain/offer';
import { LIVE_PAYMENT_STATUSES, ORDER_SOURCES, ORDER_STATUSES, PAYMENT_STATUSES } from '../domain/order';
import { PASSENGER_TYPES } from '../domain/pricing';
import { GENDERS } from '../domain/travelers';
import { FLIGHT_DESIGNATOR } from '../domain/vocabulary';
import { fareConditionsSchema, moneySchema, nullableOf } from './openapi';

const isoTime = z.iso.datetime().openapi({ example: '2026-03-01T09:30:00.000Z' });
const cabin = z.enum(CABINS);
const orderSegmentSchema = z
  .object({
    flight_id: z.uuid(),
    carrier: z.string().openapi({ example: 'AL' }),
    flight_number: z
      .string()
      .regex(FLIGHT_DESIGNATOR)
      .openapi({ example: 'AL101', description: 'carrier and number (README "Vocabulary")' }),
    origin: z.string().openapi({ example: 'JFK' }),
    destination: z.string().openapi({ example: 'LHR' }),
    departure_at: isoTime,
    arrival_at: isoTime,
    cabin,
  })
  .openapi('OrderSegment');
const orderTravelerSchema = z
  .object({
    id: z.uuid(),
    ptc: z.enum(PASSENGER_TYPES),
    passenger_ref: z.string().openapi({ example: 'ADT1', description: 'its type and place among that type, from 1' }),
    first_name: z.string(),
    last_name: z.string(),
    date_of_birth: z.iso.date().nullable(),
    gender: z.enum(GENDERS).nullable(),
  })
  .openapi('OrderTraveler');
const orderItemSchema = z
  .object({
    id: z.uuid(),
    product_type: z.enum(PRODUCT_TYPES),
    product_code: z.string().nullable(),
    flight_id: z.uuid().nullable().openapi({ description: 'null for a per-order product' }),
    traveler_id: z.uuid().nullable(),
    cabin: cabin.nullable(),
    seat_number: z.string().nullable().openapi({ example: '12C' }),
    price: moneySchema,
  })
  .openapi('OrderItem');
const orderPaymentSchema = z
  .object({
    attempt: z.number().int().min(1),
    status: z.enum(PAYMENT_STATUSES),
    charge_id: z.string().nullable(),
    decline_code: z.string().nullable(),
    amount: moneySchema,
    refunded: nullableOf(moneySchema, 'what a cancellation refunded, per the fare conditions; null when nothing was'),
  })
  .openapi('OrderPayment');
const liveOrderSchema = z
  .object({
    status: z.enum(ORDER_STATUSES),
    expires_at: isoTime,
    payment: z
      .object({
        attempt: z.number().int(),
        status: z.enum(LIVE_PAYMENT_STATUSES),
        charge_id: z.string().nullable(),
        decline_code: z.string().nullable(),
      })
      .nullable(),
    history: z.array(z.object({ status: z.enum(ORDER_STATUSES), at: isoTime })),
  })
  .openapi('LiveOrder', { description: "the workflow's own view, read by a query; null when it is not running" });
/** One confirmed voluntary change (POST /v1/orders/:id/changes): the order's change history. */
export const orderChangeSchema = z
  .object({
    id: z.uuid(),
    change_offer_id: z.uuid(),
    removed: z.array(orderSegmentSchema),
    added: z.array(orderSegmentSchema),
    change_total_amount: moneySchema.openapi({ description: 'charged when positive, refunded when negative' }),
    charge_id: z.string().nullable(),
    refund_id: z.string().nullable(),
    exchanged_tickets: z
      .array(z.object({ from: z.string().regex(/^\d{13}$/), to: z.string().regex(/^\d{13}$/) }))
      .openapi({ description: 'each old ticket (now EXCHANGED) and the new number it was reissued as' }),
    created_at: isoTime,
  })
  .strict()
  .openapi('OrderChange');

export const orderSegmentContract = orderSegmentSchema;

/** An airline-initiated change as the order shows it (services/disruptions.ts; Duffel's airline-initiated change). */
export const orderDisruptionSchema = z
  .strictObject({
    id: z.uuid(),
    kind: z.enum(['FLIGHT_CANCELLED', 'FLIGHT_RETIMED', 'FLIGHT_DELAYED']),
    flight_id: z.uuid(),
    status: z.enum(['OPEN', 'ACCEPTED', 'REFUNDED', 'AUTO_ACCEPTED']),
    removed: z.array(orderSegmentSchema).openapi({ description: 'the segment as it was' }),
    added: z.array(orderSegmentSchema).openapi({
      description: 'a cancel: the re-accommodation options’ segments; a retime: the segment at its new times',
    }),
    options: z
      .array(z.strictObject({ id: z.uuid(), segments: z.array(orderSegmentSchema) }))
      .openapi({ description: 'what POST …/disruption/accept takes as option_id (held until respond_by)' }),
    available_actions: z.array(z.enum(['accept', 'refund'])).openapi({ description: 'empty once answered' }),
    default_action: z.enum(['protect', 'refund']).openapi({ description: 'carried out at respond_by' }),
    respond_by: isoTime.nullable(),
    action_taken: z.enum(['accepted', 'refunded', 'auto_accepted']).nullable(),
    action_taken_by: z.enum(['customer', 'default', 'tolerance']).nullable(),
    option_id: z.uuid().nullable(),
    action_taken_at: isoTime.nullable(),
    created_at: isoTime,
  })
  .openapi('OrderDisruption');

export const orderSchema = z
  .object({
    id: z.uuid(),
    booking_reference: z
      .string()
      .regex(/^[A-HJ-NP-Z2-9]{6}$/)
      .openapi({
        example: 'R4HWSL',
        description: 'the record locator on boarding passes and in mails; GET /v1/orders?booking_reference= finds it',
      }),
    status: z.enum(ORDER_STATUSES),
    source: z.enum(ORDER_SOURCES),
    offer_id: z.string().nullable().openapi({ description: 'null for a trip' }),
    customer_id: z.uuid(),
    total: moneySchema,
    expires_at: isoTime,
    created_at: isoTime,
    updated_at: isoTime,
    segments: z.array(orderSegmentSchema),
    travelers: z.array(orderTravelerSchema),
    items: z.array(orderItemSchema),
    payments: z.array(orderPaymentSchema),
    conditions: nullableOf(
      fareConditionsSchema,
      'the conditions the order was sold under; null for orders sold before them',
    ),
    changes: z.array(orderChangeSchema).openapi({ description: 'voluntary changes, oldest first' }),
    live: liveOrderSchema.nullable(),
    disruption: orderDisruptionSchema.nullable().openapi({
      description: 'the latest airline-initiated change of one of its flights (null: none); see "Disruptions"',
    }),
  })
  .openapi('Order');

export type OrderResource = z.infer<typeof orderSchema>;

/** The documents of an order: 13-digit e-tickets, EMDs, IATA BCBP boarding passes. */
export const ticketSchema = z
  .object({
    number: z.string().regex(/^\d{13}$/),
    traveler_id: z.string().uuid(),
    flight_ids: z.array(z.string().uuid()),
    status: z.enum(COUPON_STATUSES).openapi({
      description:
        'OPEN until used; REFUNDED or VOIDED by a cancellation; EXCHANGED: reissued by a change as `exchanged_for`',
    }),
    exchanged_for: z.string().nullable(),
    coupons: z.array(
      z.object({
        flight_id: z.string().uuid(),
        status: z.enum(COUPON_STATUSES),
        seat_number: z.string().nullable().openapi({ description: 'the seat, as on the boarding pass; null: none' }),
        coupon_status: z.enum(COUPON_USE_STATUSES).openapi({
          description:
            'the coupon on the day of travel: OPEN, CHECKED_IN, BOARDED, FLOWN, NO_SHOW; or the ticket’s REFUNDED, VOIDED, EXCHANGED',
        }),
        check_in_sequence: z
          .number()
          .int()
          .nullable()
          .openapi({ description: 'unique on the flight; null: not checked in' }),
      }),
    ),
    issued_at: isoTime,
  })
  .openapi('Ticket');
export const emdSchema = z
  .object({
    number: z.string().regex(/^\d{13}$/),
    traveler_id: z.string().uuid(),
    order_item_id: z.string().uuid().nullable(),
    flight_ids: z.array(z.string().uuid()),
    type: z
      .enum(['EMD-A', 'EMD-S'])
      .nullable()
      .openapi({ description: 'EMD-A: associated with the ticket of its segment; null on EMDs issued before' }),
    rfic: z.string().length(1).nullable().openapi({ description: 'Reason For Issuance Code', example: 'C' }),
    rfisc: z.string().length(3).nullable().openapi({ description: 'Reason For Issuance Sub Code', example: '0CC' }),
    associated_ticket: z.string().nullable().openapi({ description: 'the e-ticket an EMD-A is associated with' }),
    status: z.enum(COUPON_STATUSES).openapi({
      description: 'OPEN until used; VOIDED when its service was removed before use (or by a cancellation); REFUNDED',
    }),
  })
  .openapi('Emd');
export const boardingPassSchema = z
  .object({ traveler_id: z.string().uuid(), flight_id: z.string().uuid(), bcbp: z.string() })
  .openapi('BoardingPass');

export const fulfillmentSchema = z
  .object({
    order_id: z.string().uuid(),
    status: z.enum(ORDER_STATUSES),
    tickets: z.array(ticketSchema),
    emds: z.array(emdSchema),
    boarding_passes: z.array(boardingPassSchema),
  })
  .openapi('Fulfillment');
