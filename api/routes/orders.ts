import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DomainError } from '../../domain/errors';
import { PASSENGER_TYPES } from '../../domain/pricing';
import { GENDERS, validateTravelers } from '../../domain/travelers';
import { loadOffer, setOfferStatus } from '../../services/offer-store';
import {
  cancelOrder,
  chooseSeat,
  ORDER_WORKFLOW_TYPE,
  startPayment,
  type PaymentResult,
} from '../../workflows/messages';
import { ownerIds } from '../auth';
import type { AppEnv } from '../deps';
import { requireAuth } from '../middleware/auth';
import { idempotency } from '../middleware/idempotency';
import { rateLimitByCustomer, withinHoldLimits } from '../middleware/rate-limit';
import { orderIdForOffer, startOrder, updateOrder, workflowInputFromOffer } from '../order-commands';
import {
  findOwnedOrder,
  fulfillmentOf,
  listOrders,
  orderResource,
  orderResources,
  ownedOrderResource,
} from '../order-reads';
import { body, command, errors, errorSchema, idempotencyKeyHeader, idParams, json, orderRoute } from '../openapi';
import { fulfillmentSchema, orderSchema, type OrderResource } from '../order-schema';
import { createRouter } from '../router';
import type { OrderSearch } from '../../services/order-reads';
import type { WorkflowHandle } from '@temporalio/client';
import { commitTripParty } from '../trip-commit';
import { ownedOrder, readDeps } from '../order-access';
import {
  addServicesHandler,
  addServicesRoute,
  availableServicesHandler,
  availableServicesRoute,
  removeServiceHandler,
  removeServiceRoute,
} from './order-servicing';

const name = z.string().min(1).max(35);
const travelerSchema = z
  .object({
    ptc: z.enum(PASSENGER_TYPES),
    first_name: name,
    last_name: name,
    date_of_birth: z.iso.date().optional(),
    gender: z.enum(GENDERS).optional(),
  })
  .openapi('Traveler');
const acceptBody = z
  .object({
    travelers: z.array(travelerSchema).min(1).max(20),
    contact: z.object({
      email: z.email().max(254),
      phone: z
        .string()
        .regex(/^\+?[0-9 ()-]{6,20}$/)
        .optional(),
    }),
  })
  .openapi('AcceptOffer');
const idParam = (name: string) =>
  z.object({
    id: z
      .string()
      .min(1)
      .max(100)
      .openapi({ param: { name, in: 'path' } }),
  });

const acceptRoute = orderRoute('post', '/offers/{id}/accept', {
  summary: 'Accept an offer: starts the order workflow, which holds the seats (30 minutes)',
  request: {
    params: idParam('id'),
    headers: idempotencyKeyHeader,
    body: body(acceptBody),
  },
  responses: {
    201: json(orderSchema, 'the order, PROPOSED, seats held'),
    200: json(orderSchema, 'the offer was already accepted with this same body: the same order'),
    ...errors(400, 401, 404, 409, 410, 422, 503),
  },
});

const payRoute = orderRoute('post', '/orders/{id}/pay', {
  summary: 'Pay: the lock-in (a workflow Update). 200 paid, 202 pending (webhook), 402 declined',
  ...command(z.object({ payment_token: z.string().min(1).max(200) }), {
    200: json(orderSchema, 'paid'),
    202: json(orderSchema, 'payment pending: the outcome arrives by webhook'),
    402: json(errorSchema, 'declined; the order is PROPOSED again while hold time remains, else EXPIRED'),
    503: json(
      errorSchema,
      'the payment provider is down (circuit open): nothing charged, the hold kept; see Retry-After',
    ),
    ...errors(409, 410),
  }),
});

const cancelRoute = orderRoute('post', '/orders/{id}/cancel', {
  summary: 'Cancel: releases the seats; after payment, refunds first',
  ...command(
    z.object({
      // Kept in the OrderCancelled event (jsonb, which cannot hold a NUL): one line of printable text.
      reason: z
        .string()
        .max(200)
        // eslint-disable-next-line no-control-regex -- refusing control characters is the point
        .regex(/^[^\u0000-\u001f\u007f]*$/, 'must be one line without control characters')
        .optional(),
    }),
    { 200: json(orderSchema, 'cancelled'), ...errors(409) },
    { required: false },
  ),
});

const seatsRoute = orderRoute('post', '/orders/{id}/seats', {
  summary:
    'Choose a seat for one traveler on one flight: while PROPOSED, or on a paid order (a change: the old seat is freed, the boarding pass reissued; charged at the seat-map price unless the bundle’s seat covers it)',
  ...command(
    z
      .strictObject({
        traveler_id: z.uuid().optional().openapi({ description: 'the traveler’s id (or give traveler_ref)' }),
        traveler_ref: z
          .string()
          .min(1)
          .max(40)
          .optional()
          .openapi({ description: 'the traveler’s ref, e.g. ADT1 (or give traveler_id)', example: 'ADT1' }),
        flight_id: z.uuid(),
        seat_number: z.string().regex(/^\d{1,3}[A-K]$/, 'a seat such as 12C'),
        payment_token: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .openapi({ description: 'paid orders: required when the seat costs something (402 when declined)' }),
      })
      .refine((b) => (b.traveler_id === undefined) !== (b.traveler_ref === undefined), {
        message: 'give either traveler_id or traveler_ref',
        path: ['traveler_id'],
      })
      .openapi('SeatChoice'),
    {
      200: json(orderSchema, 'the order with the seat on its traveler’s Seat item, and its total'),
      402: json(errorSchema, 'paid order: the seat’s charge was declined; nothing changed'),
      ...errors(409, 410),
    },
  ),
});

const getRoute = orderRoute('get', '/orders/{id}', {
  summary: 'An order from Postgres, with the live workflow state',
  request: { params: idParams },
  responses: { 200: json(orderSchema, 'the order'), ...errors(400, 401, 404) },
});

const listRoute = orderRoute('get', '/orders', {
  summary:
    "The caller's orders, newest first, cursor-paginated; agents and admins search every customer's orders by booking reference, contact email or customer",
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z.string().max(200).optional(),
      booking_reference: z
        .string()
        .regex(/^[A-Za-z0-9]{6}$/, 'a booking reference such as R4HWSL')
        .optional()
        .openapi({
          description:
            "only the caller's order with this booking reference (an empty list if none); for agents, anyone's",
        }),
      contact_email: z
        .email()
        .max(254)
        .optional()
        .openapi({ description: 'agents only (403 otherwise): orders whose contact has this email' }),
      customer: z
        .union([z.uuid(), z.email().max(254)])
        .optional()
        .openapi({ description: 'agents only (403 otherwise): the orders of this customer, by id or account email' }),
    }),
  },
  responses: {
    200: json(z.object({ data: z.array(orderSchema), next_cursor: z.string().nullable() }), 'a page of orders'),
    ...errors(400, 401, 403),
  },
});

const fulfillmentRoute = orderRoute('get', '/orders/{id}/fulfillment', {
  summary: 'E-tickets, EMDs and BCBP boarding passes of a fulfilled order',
  request: { params: idParams },
  responses: {
    200: json(fulfillmentSchema, 'documents (empty until the order is FULFILLED)'),
    ...errors(400, 401, 404),
  },
});

type AcceptBody = z.infer<typeof acceptBody>;

/**
 * A repeated accept answers with the order only when it asks for what the order already is (its travelers, in
 * order, and its contact); one with another party is a different request for an offer already taken: 409.
 */
function sameAccept(c: Context<AppEnv>, body: AcceptBody, order: OrderResource, row: { contact: string | null }) {
  const party = (t: {
    ptc: string;
    first_name: string;
    last_name: string;
    date_of_birth?: string | null;
    gender?: string | null;
  }) => JSON.stringify([t.ptc, t.first_name.trim(), t.last_name.trim(), t.date_of_birth ?? null, t.gender ?? null]);
  const contact =
    row.contact === null ? null : (JSON.parse(c.get('pii').decrypt(row.contact)) as AcceptBody['contact']);
  const same =
    JSON.stringify(body.travelers.map(party).sort()) === JSON.stringify(order.travelers.map(party).sort()) &&
    contact !== null &&
    contact.email === body.contact.email &&
    (contact.phone ?? null) === (body.contact.phone ?? null);
  if (!same) {
    throw new DomainError(
      'CONFLICT',
      `offer ${order.offer_id} has already been accepted with other travelers or contact`,
      {
        order_id: order.id,
      },
    );
  }
  return order;
}

/**
 * An agent's (or admin's) order search over every customer: each filter given narrows it. The email is matched by
 * its blind index (the contact is encrypted); a customer is their id or account email, with the guests they
 * claimed. Without a filter, every order, newest first.
 */
async function agentSearch(
  c: Context<AppEnv>,
  q: { booking_reference?: string | undefined; contact_email?: string | undefined; customer?: string | undefined },
  limit: number,
  cursor: string | undefined,
) {
  const deps = c.get('deps');
  const filter: OrderSearch = {};
  if (q.booking_reference !== undefined) filter.bookingReference = q.booking_reference.toUpperCase();
  if (q.contact_email !== undefined) filter.contactEmailIndex = c.get('pii').emailIndex(q.contact_email);
  if (q.customer !== undefined) {
    const found = q.customer.includes('@')
      ? await deps.services.customers.findByEmail(q.customer.trim().toLowerCase())
      : { id: q.customer.toLowerCase() };
    if (!found) return { page: [], next: null };
    filter.customerIds = await ownerIds(deps, found);
  }
  return deps.services.orderReads.search(filter, limit, cursor);
}

const router = createRouter();
router.use('/offers/*', requireAuth, rateLimitByCustomer);
router.use('/orders', requireAuth, rateLimitByCustomer);
router.use('/orders/*', requireAuth, rateLimitByCustomer);
router.use('/offers/:id/accept', idempotency());
router.use('/orders/:id/pay', idempotency());
router.use('/orders/:id/cancel', idempotency());
router.use('/orders/:id/seats', idempotency());
router.use('/orders/:id/services', idempotency());

export const orders = router
  .openapi(acceptRoute, async (c) => {
    const { config, redis, services } = c.get('deps');
    const customer = c.get('customer');
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const owner = (await ownerIds(c.get('deps'), customer))[0]!;
    const orderId = orderIdForOffer(id);

    const lookup = await loadOffer(redis, id);
    if (lookup.state !== 'live') {
      // An offer accepted in its life stays accepted: answer with the order even after the offer is gone.
      const existing = await findOwnedOrder(services.orderReads, orderId, customer, [owner]).catch(() => null);
      if (existing) return c.json(sameAccept(c, body, await orderResource(readDeps(c), existing), existing), 200);
      if (lookup.state === 'unknown') throw services.offers.missing(id);
      throw new DomainError('OFFER_EXPIRED', `offer ${id} has expired; search again for current prices`);
    }
    const offer = lookup.offer;
    // An offer made to a signed-in customer is theirs alone: to anyone else it does not exist.
    if (offer.customer_id && !(await ownerIds(c.get('deps'), customer)).includes(offer.customer_id)) {
      throw new DomainError('NOT_FOUND', `offer ${id} was not found`);
    }
    if (offer.status === 'CANCELLED') throw new DomainError('OFFER_EXPIRED', `offer ${id} was rejected`);
    validateTravelers(
      body.travelers,
      offer.search.passengers,
      new Date(offer.segments[0]!.departure_at),
      config.orders.max_travelers,
    );
    // Postgres decides, not the search's cache: a flight cancelled or closed since the offer was made is refused.
    await services.sellability.assertSellable(offer.segments.map((s) => s.flight_id));

    const input = workflowInputFromOffer(config, c.get('pii'), {
      orderId,
      customerId: owner,
      offer,
      travelers: body.travelers,
      contact: body.contact,
    });
    const result = await withinHoldLimits(
      c,
      {
        orderId,
        seats: body.travelers.filter((t) => t.ptc !== 'INF').length, // an infant sits on a lap
        holdSeconds: input.holdSeconds,
        ownerId: owner,
      },
      () => startOrder(c.get('deps'), input),
      (r) => r.outcome === 'PROPOSED',
    );
    if (result.outcome === 'SOLD_OUT') {
      throw new DomainError('SOLD_OUT', 'not enough seats are left for this offer; nothing was held', result.details);
    }
    if (result.outcome === 'FAILED') {
      throw new DomainError('DEPENDENCY_UNAVAILABLE', 'the order could not be created; nothing was held, try again');
    }
    const row = await findOwnedOrder(services.orderReads, orderId, customer, [owner]).catch(() => null);
    if (!row) {
      // Another customer accepted this offer first (or it was sold out before): it is no longer available.
      throw new DomainError('CONFLICT', `offer ${id} has already been accepted`);
    }
    await setOfferStatus(redis, id, 'ACCEPTED');
    const created = result.outcome === 'PROPOSED' && result.created;
    const view = result.outcome === 'PROPOSED' ? result.order : undefined;
    const order = await orderResource(readDeps(c), row, { view });
    return created ? c.json(order, 201) : c.json(sameAccept(c, body, order, row), 200);
  })
  .openapi(payRoute, async (c) => {
    const { temporal, services } = c.get('deps');
    const { id } = c.req.valid('param');
    const { payment_token } = c.req.valid('json');
    const row = await ownedOrder(c, id);
    // Before the lock-in: a flight cancelled, closed or departed since the order was made is not paid for.
    if (row.status === 'PROPOSED') {
      await services.sellability.assertSellable((row.offer?.segments ?? []).map((s) => s.flightId));
    }
    const onOrder = <T>(run: (handle: WorkflowHandle) => Promise<T>) =>
      updateOrder(temporal, row.id, () => ownedOrder(c, id), 'paid', run);
    let result: PaymentResult;
    if (row.source === 'TRIP') {
      // A trip gets its party from its passengers or at commit: paid without any, it could never be ticketed.
      if ((await services.tripReads.travelerCount(row.id)) === 0) {
        throw new DomainError('INVALID_STATE', 'this trip has no passengers yet: add them, or commit it with them');
      }
      // Paid like a commit with the passengers added: each priced at its passenger type's fare, seats included.
      const committed = await commitTripParty({ services, pii: c.get('pii'), onTrip: onOrder }, row, {
        paymentToken: payment_token,
      });
      result = committed.paid;
    } else {
      // (A trip's commit makes the same check, api/trip-commit.ts.)
      await services.paymentCircuit.assertClosed(); // the provider is down: 503 now, the hold untouched
      // The workflow carries a reference to the token (services/payment-vault.ts), never the token itself.
      const paymentToken = await services.vault.put(row.id, payment_token);
      result = await onOrder((handle) => handle.executeUpdate(startPayment, { args: [{ paymentToken }] }));
    }
    const order = await orderResource(readDeps(c), await ownedOrder(c, id), { view: result.order });
    if (result.status === 'DECLINED') {
      throw new DomainError('PAYMENT_DECLINED', 'the payment was declined', {
        decline_code: result.declineCode,
        order_status: order.status,
        order,
      });
    }
    return c.json(order, result.status === 'PAID' ? 200 : 202);
  })
  .openapi(cancelRoute, async (c) => {
    const { temporal } = c.get('deps');
    const { id } = c.req.valid('param');
    const row = await ownedOrder(c, id);
    // The body is optional (validated when sent): a bare POST cancels for the customer's own reasons.
    const body = await c.req.json<{ reason?: unknown }>().catch((): { reason?: unknown } => ({}));
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason : 'customer request';
    await updateOrder(
      temporal,
      row.id,
      () => ownedOrder(c, id),
      'cancelled',
      (handle) => handle.executeUpdate(cancelOrder, { args: [{ reason }] }),
    );
    return c.json(await orderResource(readDeps(c), await ownedOrder(c, id)), 200);
  })
  .openapi(seatsRoute, async (c) => {
    const { temporal, services } = c.get('deps');
    const { id } = c.req.valid('param');
    const { traveler_id, traveler_ref, flight_id, seat_number, payment_token } = c.req.valid('json');
    const row = await ownedOrder(c, id);
    if (row.workflowType !== ORDER_WORKFLOW_TYPE) {
      throw new DomainError('INVALID_STATE', 'this order was created before seats could be chosen this way');
    }
    const travelerId = traveler_id ?? (await services.servicingReads.travelerIdOf(row.id, traveler_ref!));
    // A paid order's seat change may be charged: the workflow carries a vault reference, never the token.
    const paymentToken =
      payment_token !== undefined && row.status === 'FULFILLED'
        ? await services.vault.put(row.id, payment_token)
        : undefined;
    await updateOrder(
      temporal,
      row.id,
      () => ownedOrder(c, id),
      'changed',
      (handle) =>
        handle.executeUpdate(chooseSeat, {
          args: [
            {
              travelerId,
              flightId: flight_id,
              seatNumber: seat_number,
              ...(paymentToken ? { paymentToken } : {}),
            },
          ],
        }),
    );
    return c.json(await orderResource(readDeps(c), await ownedOrder(c, id)), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await ownedOrderResource(readDeps(c), id, () => ownedOrder(c, id)), 200);
  })
  .openapi(listRoute, async (c) => {
    const { limit, cursor, booking_reference, contact_email, customer } = c.req.valid('query');
    if (c.get('customer').role !== 'customer') {
      const { page, next } = await agentSearch(c, { booking_reference, contact_email, customer }, limit, cursor);
      return c.json({ data: await orderResources(readDeps(c), page, { live: false }), next_cursor: next }, 200);
    }
    if (contact_email !== undefined || customer !== undefined) {
      throw new DomainError('FORBIDDEN', 'only agents may search orders by contact email or customer');
    }
    const owners = await ownerIds(c.get('deps'), c.get('customer'));
    if (booking_reference !== undefined) {
      const rows = await c.get('deps').services.orderReads.byBookingReference(owners, booking_reference.toUpperCase());
      return c.json({ data: await orderResources(readDeps(c), rows, { live: false }), next_cursor: null }, 200);
    }
    const { page, next } = await listOrders(c.get('deps').services.orderReads, owners, limit, cursor);
    const data = await orderResources(readDeps(c), page, { live: false });
    return c.json({ data, next_cursor: next }, 200);
  })
  .openapi(fulfillmentRoute, async (c) => {
    const row = await ownedOrder(c, c.req.valid('param').id);
    return c.json(await fulfillmentOf(readDeps(c), row), 200);
  })
  .openapi(availableServicesRoute, availableServicesHandler)
  .openapi(addServicesRoute, addServicesHandler)
  .openapi(removeServiceRoute, removeServiceHandler);
