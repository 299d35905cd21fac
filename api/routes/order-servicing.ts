/**
 * Servicing a paid order over HTTP (issue #14, items 3–4): the services it may buy now, buying them, removing an
 * unused one. Each command is an Update on the order's workflow (workflows/order.ts), which charges, issues and
 * refunds; these handlers validate, authorize, read and ask. Mounted on the orders router (api/routes/orders.ts).
 */
import { z, type RouteHandler } from '@hono/zod-openapi';
import { DomainError } from '../../domain/errors';
import { SERVICE_TYPES } from '../../domain/servicing';
import { addServices, ORDER_WORKFLOW_TYPE, removeService } from '../../workflows/messages';
import type { AppEnv } from '../deps';
import { ownedOrder, readDeps } from '../order-access';
import { orderResource } from '../order-reads';
import { orderSchema } from '../order-schema';
import { updateOrder } from '../order-commands';
import { command, errors, errorSchema, idParams, json, moneySchema, nullableOf, orderRoute } from '../openapi';

const refundRuleSchema = z
  .union([
    z.object({ kind: z.literal('UNTIL_DEPARTURE'), hours_before: z.number().int() }),
    z.object({ kind: z.literal('NEVER') }),
  ])
  .openapi('ServiceRefundRule', { description: 'when an unused service is refunded in full (else not at all)' });

const availableServiceSchema = z
  .object({
    id: z.string().openapi({ description: 'the product code, to name in POST …/services', example: 'BAG_23KG' }),
    type: z.enum(SERVICE_TYPES),
    name: z.string(),
    description: z.string(),
    price: moneySchema.openapi({ description: 'one unit, in the order’s currency' }),
    per: z.enum(['SEGMENT', 'ORDER']),
    traveler_id: z.uuid(),
    traveler_ref: z.string().openapi({ example: 'ADT1' }),
    segment_id: z.uuid().nullable().openapi({ description: 'the flight it is used on; null for a per-order product' }),
    max_quantity: z.number().int().min(1).openapi({ description: 'the limit less what the traveler already has' }),
    rfic: z.string().length(1),
    rfisc: z.string().length(3),
    refund_rule: refundRuleSchema,
  })
  .openapi('AvailableService');

const availableRoute = orderRoute('get', '/orders/{id}/available-services', {
  summary: 'What a paid order may buy now, per traveler and segment, priced, with its limits',
  request: { params: idParams },
  responses: {
    200: json(
      z.object({ order_id: z.uuid(), currency: z.string().length(3), services: z.array(availableServiceSchema) }),
      'the services on sale for this order',
    ),
    ...errors(400, 401, 404, 409),
  },
});

const serviceLineSchema = z
  .strictObject({
    id: z.string().min(1).max(40).openapi({ example: 'BAG_23KG' }),
    traveler_ref: z
      .string()
      .min(1)
      .max(40)
      .openapi({ description: 'the traveler’s ref (ADT1) or id', example: 'ADT1' }),
    segment_id: z.uuid().nullable().optional().openapi({ description: 'required for a per-segment product' }),
    quantity: z.number().int().min(1).max(9),
  })
  .openapi('ServiceLine');

const issuedSchema = z
  .object({
    order_item_id: z.uuid(),
    id: z.string(),
    type: z.string(),
    traveler_id: z.uuid(),
    segment_id: z.uuid().nullable(),
    price: moneySchema,
    emd: z
      .object({
        number: z.string().regex(/^\d{13}$/),
        type: z.enum(['EMD-A', 'EMD-S']),
        rfic: z.string(),
        rfisc: z.string(),
        associated_ticket: z.string().nullable(),
      })
      .nullable(),
  })
  .openapi('ServiceIssued');

const addRoute = orderRoute('post', '/orders/{id}/services', {
  summary: 'Buy services after booking: charged once, each unit on its own EMD (402 declined: nothing changed)',
  ...command(
    z
      .strictObject({
        services: z.array(serviceLineSchema).min(1).max(20),
        payment_token: z.string().min(1).max(200),
      })
      .openapi('AddServices'),
    {
      201: json(
        z.object({
          order_id: z.uuid(),
          services: z.array(issuedSchema),
          charged: moneySchema,
          charge_id: z.string().nullable(),
          order: orderSchema,
        }),
        'the services issued, what was charged, and the order',
      ),
      402: json(errorSchema, 'declined: nothing was charged or changed'),
      ...errors(409, 503),
    },
  ),
});

const removeRoute = orderRoute('delete', '/orders/{id}/services/{service_id}', {
  summary:
    'Remove an unused service bought after booking: refunded by its rule, its EMD voided (422 if not refundable)',
  request: {
    params: idParams.extend({
      service_id: z.uuid().openapi({ param: { name: 'service_id', in: 'path' }, description: 'the order item id' }),
    }),
  },
  responses: {
    200: json(
      z.object({
        order_item_id: z.uuid(),
        emd: z.string().nullable().openapi({ description: 'the voided EMD' }),
        refund: nullableOf(moneySchema, 'what was refunded; null when the service had been removed already'),
        order: orderSchema,
      }),
      'removed and refunded',
    ),
    ...errors(400, 401, 404, 409, 422),
  },
});

/** Servicing goes to the v2 workflow of a paid order; anything else is refused before the workflow is asked. */
async function paidOrder(c: Parameters<RouteHandler<typeof availableRoute, AppEnv>>[0], id: string) {
  const row = await ownedOrder(c, id);
  if (row.workflowType !== ORDER_WORKFLOW_TYPE) {
    throw new DomainError('INVALID_STATE', 'this order was created before it could be serviced this way');
  }
  if (row.status !== 'FULFILLED') {
    throw new DomainError('INVALID_STATE', `an order in state ${row.status} cannot be serviced; pay for it first`);
  }
  return row;
}

export const availableServicesRoute = availableRoute;
export const availableServicesHandler: RouteHandler<typeof availableRoute, AppEnv> = async (c) => {
  const row = await paidOrder(c, c.req.valid('param').id);
  const { services } = await c.get('deps').services.servicingReads.available(row.id);
  return c.json(
    {
      order_id: row.id,
      currency: row.currency,
      services: services.map((s) => ({ ...s, price: { amount: s.price, currency: row.currency } })),
    },
    200,
  );
};

export const addServicesRoute = addRoute;
export const addServicesHandler: RouteHandler<typeof addRoute, AppEnv> = async (c) => {
  const { temporal, services } = c.get('deps');
  const { id } = c.req.valid('param');
  const request = c.req.valid('json');
  const row = await paidOrder(c, id);
  await services.paymentCircuit.assertClosed(); // the provider is down: 503 now, nothing charged
  // The workflow carries a reference to the token (services/payment-vault.ts), never the token itself.
  const paymentToken = await services.vault.put(row.id, request.payment_token);
  const added = await updateOrder(
    temporal,
    row.id,
    () => ownedOrder(c, id),
    'changed',
    (handle) => handle.executeUpdate(addServices, { args: [{ services: request.services, paymentToken }] }),
  );
  const order = await orderResource(readDeps(c), await ownedOrder(c, id));
  return c.json(
    { order_id: row.id, services: added.services, charged: added.charged, charge_id: added.chargeId, order },
    201,
  );
};

export const removeServiceRoute = removeRoute;
export const removeServiceHandler: RouteHandler<typeof removeRoute, AppEnv> = async (c) => {
  const { temporal } = c.get('deps');
  const { id, service_id } = c.req.valid('param');
  const row = await paidOrder(c, id);
  const removed = await updateOrder(
    temporal,
    row.id,
    () => ownedOrder(c, id),
    'changed',
    (handle) => handle.executeUpdate(removeService, { args: [{ orderItemId: service_id }] }),
  );
  const order = await orderResource(readDeps(c), await ownedOrder(c, id));
  return c.json({ order_item_id: removed.order_item_id, emd: removed.emd, refund: removed.refund, order }, 200);
};
