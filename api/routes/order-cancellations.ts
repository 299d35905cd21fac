/**
 * Cancelling a sold order (issue #14): a quote (POST /v1/orders/:id/cancellation-quotes: the refund under the
 * order's fare conditions, per ticket and EMD, valid for orders.cancellation_quote_ttl_seconds), then its confirm
 * (POST …/:quote_id/confirm: refunds exactly the quote, once). Both are Updates on the order's workflow, which
 * keeps the latest quote: an older one answers 409, an expired one 410 QUOTE_EXPIRED.
 */
import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DomainError } from '../../domain/errors';
import type { CancellationQuoteRow } from '../../services/cancellation-quotes';
import { confirmCancellation, ORDER_WORKFLOW_TYPE, quoteCancellation } from '../../workflows/messages';
import type { AppEnv } from '../deps';
import { idempotency } from '../middleware/idempotency';
import { updateOrder } from '../order-commands';
import { body, command, errors, errorSchema, idempotencyKeyHeader, json, moneySchema, orderRoute } from '../openapi';
import { ownedOrder } from '../order-access';
import { createRouter } from '../router';

const uuidParam = (name: string) =>
  z
    .string()
    .uuid()
    .openapi({ param: { name, in: 'path' } });

export const cancellationQuoteSchema = z
  .strictObject({
    id: z.string().uuid(),
    order_id: z.string().uuid(),
    status: z.enum(['QUOTED', 'CONFIRMED']),
    refund_amount: moneySchema,
    penalty_amount: moneySchema.openapi({ description: 'what the cancellation keeps of the unflown value' }),
    refund_to: z.literal('original_payment'),
    rule: z.string().openapi({
      description: 'the fare condition that decided: refund_before_departure, no_show, as_sold (none stored), unpaid',
    }),
    breakdown: z.array(
      z.strictObject({
        document_number: z.string().nullable().openapi({ description: 'ticket or EMD number; null: no document' }),
        document_type: z.enum(['TKT', 'EMD']).nullable(),
        traveler_id: z.string().uuid().nullable(),
        refundable_amount: moneySchema,
        penalty_amount: moneySchema,
        flown: z.boolean().openapi({ description: 'every coupon of it flown: never refunded' }),
      }),
    ),
    expires_at: z.string(),
    created_at: z.string(),
    confirmed_at: z.string().nullable(),
  })
  .openapi('CancellationQuote');

const quoteRoute = orderRoute('post', '/orders/{id}/cancellation-quotes', {
  summary: 'Quote a cancellation: the refund under the fare conditions, per ticket and EMD (unpaid: 0)',
  ...command(
    z.strictObject({}).openapi('CancellationQuoteRequest'),
    { 201: json(cancellationQuoteSchema, 'the quote; confirm it before expires_at'), ...errors(409, 410) },
    { required: false },
  ),
});

const confirmRoute = orderRoute('post', '/orders/{id}/cancellation-quotes/{quote_id}/confirm', {
  summary: 'Confirm the latest cancellation quote: refunds exactly its amount once, → CANCELLED',
  request: {
    params: z.strictObject({ id: uuidParam('id'), quote_id: uuidParam('quote_id') }),
    headers: idempotencyKeyHeader,
    body: body(z.strictObject({}).openapi('CancellationConfirmRequest'), { required: false }),
  },
  responses: {
    200: json(cancellationQuoteSchema, 'the confirmed quote (the same answer when confirmed again)'),
    409: json(errorSchema, 'not the latest quote, or the order has moved on'),
    410: json(errorSchema, 'QUOTE_EXPIRED: ask for a new quote'),
    ...errors(400, 401, 404, 422),
  },
});

function quoteResource(q: CancellationQuoteRow): z.infer<typeof cancellationQuoteSchema> {
  const money = (amount: number) => ({ amount, currency: q.currency });
  return {
    id: q.id,
    order_id: q.orderId,
    status: q.status,
    refund_amount: money(q.refundAmount),
    penalty_amount: money(q.penaltyAmount),
    refund_to: 'original_payment',
    rule: q.rule,
    breakdown: q.breakdown.map((l) => ({
      document_number: l.document_number,
      document_type: l.document_type,
      traveler_id: l.traveler_id,
      refundable_amount: money(l.refundable),
      penalty_amount: money(l.penalty),
      flown: l.flown,
    })),
    expires_at: q.expiresAt.toISOString(),
    created_at: q.createdAt.toISOString(),
    confirmed_at: q.confirmedAt?.toISOString() ?? null,
  };
}

async function quoteOf(c: Context<AppEnv>, orderId: string, quoteId: string) {
  const quote = await c.get('deps').services.cancellationQuotes.find(orderId, quoteId);
  if (!quote) throw new DomainError('NOT_FOUND', `cancellation quote ${quoteId} was not found`);
  return quote;
}

const router = createRouter();
// Auth and the customer's rate limit come from the orders router (mounted first on /v1/orders/*): once a request.
router.use('/orders/:id/cancellation-quotes', idempotency());
router.use('/orders/:id/cancellation-quotes/:quote_id/confirm', idempotency());

export const orderCancellations = router
  .openapi(quoteRoute, async (c) => {
    const { temporal, config } = c.get('deps');
    const { id } = c.req.valid('param');
    const row = await ownedOrder(c, id);
    if (row.workflowType !== ORDER_WORKFLOW_TYPE) {
      throw new DomainError('INVALID_STATE', 'this order was created before cancellations were quoted; use /cancel');
    }
    const quoteId = randomUUID();
    const ttlSeconds = config.orders.cancellation_quote_ttl_seconds;
    await updateOrder(
      temporal,
      row.id,
      () => ownedOrder(c, id),
      'cancelled',
      (handle) => handle.executeUpdate(quoteCancellation, { args: [{ quoteId, ttlSeconds }] }),
    );
    return c.json(quoteResource(await quoteOf(c, row.id, quoteId)), 201);
  })
  .openapi(confirmRoute, async (c) => {
    const { temporal } = c.get('deps');
    const { id, quote_id } = c.req.valid('param');
    const row = await ownedOrder(c, id);
    const quote = await quoteOf(c, row.id, quote_id);
    // Confirmed already (the order is CANCELLED, its workflow closed): the same answer, nothing refunded again.
    if (quote.status === 'CONFIRMED') return c.json(quoteResource(quote), 200);
    await updateOrder(
      temporal,
      row.id,
      () => ownedOrder(c, id),
      'cancelled',
      (handle) => handle.executeUpdate(confirmCancellation, { args: [{ quoteId: quote_id }] }),
    );
    return c.json(quoteResource(await quoteOf(c, row.id, quote_id)), 200);
  });
