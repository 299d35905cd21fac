/**
 * Voluntary changes of a paid order: `POST /v1/orders/:id/change-requests` answers change offers (priced now, under
 * the fare conditions sold with the order; services/order-changes.ts), `POST /v1/orders/:id/changes` confirms one:
 * an Update on the order's workflow (`changeOrder`), which holds the new flights before giving back the old,
 * charges or refunds the difference and reissues the tickets as an exchange.
 *
 * Mounted at /v1 after the orders router, whose `/orders/*` middleware (auth, rate limit) covers these paths too.
 */
import { z } from '@hono/zod-openapi';
import { CABINS } from '../../domain/cabins';
import { DomainError } from '../../domain/errors';
import { changeOrder, ORDER_WORKFLOW_TYPE } from '../../workflows/messages';
import { idempotency } from '../middleware/idempotency';
import { command, errors, errorSchema, json, moneySchema, orderRoute } from '../openapi';
import { updateOrder } from '../order-commands';
import { orderResource } from '../order-reads';
import { orderSchema, orderSegmentContract } from '../order-schema';
import { ownedOrder } from '../order-access';
import { createRouter } from '../router';

const legSchema = z
  .object({
    origin: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'an IATA airport code')
      .openapi({ example: 'JFK' }),
    destination: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'an IATA airport code')
      .openapi({ example: 'LHR' }),
    departure_date: z.iso.date().openapi({ example: '2026-03-02' }),
    cabin: z.enum(CABINS),
  })
  .strict()
  .openapi('ChangeLeg');

const changeRequestBody = z
  .object({
    remove: z.array(z.uuid()).min(1).max(4).openapi({ description: "segment ids (the order's flight ids) to remove" }),
    add: z
      .array(legSchema)
      .min(1)
      .max(4)
      .openapi({ description: 'one leg per removed segment, in the same order: it replaces that segment' }),
  })
  .strict()
  .openapi('OrderChangeRequestCreate');

const changeOfferSchema = z
  .object({
    id: z.uuid(),
    add: z.array(orderSegmentContract),
    remove: z.array(orderSegmentContract),
    fare_difference: moneySchema.openapi({ description: 'new fares minus the removed fares (may be negative)' }),
    penalty_amount: moneySchema.openapi({ description: 'the change penalty of the fare conditions, all passengers' }),
    change_total_amount: moneySchema.openapi({ description: 'charged when positive, refunded when negative' }),
    new_total_amount: moneySchema,
    expires_at: z.iso.datetime(),
  })
  .strict()
  .openapi('OrderChangeOffer');

const changeRequestSchema = z
  .object({ id: z.uuid(), order_id: z.uuid(), change_offers: z.array(changeOfferSchema) })
  .strict()
  .openapi('OrderChangeRequest');

const changeRequestRoute = orderRoute('post', '/orders/{id}/change-requests', {
  summary: 'Ask to change flights of a paid order: change offers priced now, under the conditions sold',
  ...command(changeRequestBody, {
    201: json(changeRequestSchema, 'the change request and its change offers (none when no flight has seats)'),
    422: json(errorSchema, 'CHANGE_NOT_ALLOWED: the fare conditions do not allow a change (details.condition)'),
    ...errors(409),
  }),
});

const changeRoute = orderRoute('post', '/orders/{id}/changes', {
  summary: 'Confirm a change offer (a workflow Update): new flights held, difference charged or refunded, exchange',
  ...command(
    z
      .object({
        change_offer_id: z.uuid(),
        payment_token: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .openapi({ description: 'required when the change total is positive' }),
      })
      .strict()
      .openapi('OrderChangeCreate'),
    {
      201: json(orderSchema, 'the order after the change: its segments, tickets reissued, the change in `changes`'),
      402: json(errorSchema, 'the change payment was declined: the order is exactly as it was'),
      409: json(errorSchema, 'SOLD_OUT (the new flight sold out since the offer) or INVALID_STATE; order unchanged'),
      410: json(errorSchema, 'the change offer has expired'),
      503: json(errorSchema, 'the payment provider is down (circuit open): nothing charged, nothing changed'),
    },
  ),
});

const router = createRouter();
router.use('/orders/:id/change-requests', idempotency());
router.use('/orders/:id/changes', idempotency());

export const orderChanges = router
  .openapi(changeRequestRoute, async (c) => {
    const { services } = c.get('deps');
    const row = await ownedOrder(c, c.req.valid('param').id);
    const answer = await services.orderChanges.request(row, c.req.valid('json'));
    return c.json(answer, 201);
  })
  .openapi(changeRoute, async (c) => {
    const { services, temporal } = c.get('deps');
    const { id } = c.req.valid('param');
    const { change_offer_id, payment_token } = c.req.valid('json');
    const row = await ownedOrder(c, id);
    if (row.workflowType !== ORDER_WORKFLOW_TYPE) {
      throw new DomainError('INVALID_STATE', 'this order was created before changes could be made this way');
    }
    const offer = await services.orderChanges.offerOf(row.id, change_offer_id);
    if (offer.status === 'CONFIRMED') {
      throw new DomainError('INVALID_STATE', `change offer ${offer.id} has already been confirmed`);
    }
    if (offer.expiresAt.getTime() <= Date.now()) {
      throw new DomainError('OFFER_EXPIRED', `change offer ${offer.id} has expired; ask for a new change request`);
    }
    let paymentToken: string | null = null;
    if (offer.changeTotalAmount > 0) {
      if (!payment_token) {
        throw new DomainError('VALIDATION_FAILED', 'this change costs more: payment_token is required', {
          change_total_amount: { amount: offer.changeTotalAmount, currency: offer.currency },
        });
      }
      await services.paymentCircuit.assertClosed();
      // The workflow carries a reference to the token (services/payment-vault.ts), never the token itself.
      paymentToken = await services.vault.put(row.id, payment_token);
    }
    const result = await updateOrder(
      temporal,
      row.id,
      () => ownedOrder(c, id),
      'changed',
      (handle) => handle.executeUpdate(changeOrder, { args: [{ changeOfferId: offer.id, paymentToken }] }),
    );
    const deps = { reads: services.orderReads, temporal, pii: c.get('pii') };
    return c.json(await orderResource(deps, await ownedOrder(c, id), { view: result.order }), 201);
  });
