import { z } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { DomainError } from '../../domain/errors';
import { verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from '../../domain/webhook-signature';
import {
  LATE_PAYMENT_WORKFLOW_TYPE,
  latePaymentWorkflowId,
  orderWorkflowId,
  paymentNotification,
  type LatePaymentInput,
} from '../../workflows/messages';
import { errorSchema, json, routesOf, webhookSignatureAuth } from '../openapi';
import { createRouter } from '../router';

// The event is kept as jsonb and its ids as text, neither of which can hold a NUL: such an event is malformed.
const text = (max: number) =>
  z
    .string()
    .max(max)
    // eslint-disable-next-line no-control-regex -- refusing NUL is the point
    .regex(/^[^\u0000]*$/, 'must not contain NUL');
const eventSchema = z.object({
  id: text(200).min(1),
  type: z.enum(['charge.succeeded', 'charge.failed']),
  created: z.number().int(),
  data: z.object({
    charge: z.object({
      id: text(200).min(1),
      order_id: z.string().uuid(),
      status: text(50),
      decline_code: text(100).nullable().optional(),
    }),
  }),
});

const route = routesOf({ tags: ['webhooks'], security: webhookSignatureAuth });

const paymentsRoute = route('post', '/payments', {
  summary: 'Payment provider events, HMAC-signed (Altis-Signature: t=<unix>,v1=<hex>); replay-safe',
  request: {
    headers: z.object({ [WEBHOOK_SIGNATURE_HEADER.toLowerCase()]: z.string().optional() }),
    // A reference, not the zod schema: the handler checks the signature over the raw body before it parses it.
    body: {
      content: { 'application/json': { schema: { $ref: '#/components/schemas/PaymentEvent' } } },
      required: true,
    },
  },
  responses: {
    200: json(
      z.object({ received: z.boolean(), duplicate: z.boolean() }),
      'accepted (also for a duplicate delivery, which changes nothing)',
    ),
    400: json(errorSchema, 'malformed event'),
    401: json(errorSchema, 'missing, forged or stale signature'),
  },
});

/**
 * The provider's webhook becomes a signal to the order's workflow. The signature covers the raw body and a
 * timestamp (older than the tolerance is refused: a replayed capture fails). A duplicate delivery is recorded
 * once and signalled again harmlessly: the workflow ignores an event id it has seen.
 */
const router = createRouter();
router.openAPIRegistry.register('PaymentEvent', eventSchema);

export const webhooks = router.openapi(paymentsRoute, async (c) => {
  const { config, services, temporal, logger } = c.get('deps');
  const rawBody = await c.req.text();
  const verdict = verifyWebhook({
    secret: config.payments.webhook_secret,
    rawBody,
    header: c.req.header(WEBHOOK_SIGNATURE_HEADER),
    nowSeconds: Math.floor(Date.now() / 1000),
    toleranceSeconds: config.payments.webhook_tolerance_seconds,
  });
  if (!verdict.ok) throw new DomainError('UNAUTHENTICATED', `webhook signature rejected: ${verdict.reason}`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new DomainError('VALIDATION_FAILED', 'the webhook body is not JSON');
  }
  const result = eventSchema.safeParse(parsed);
  if (!result.success) {
    // Events we do not act on are acknowledged so the provider stops retrying them.
    const type = (parsed as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && !type.startsWith('charge.succeeded') && !type.startsWith('charge.failed')) {
      return c.json({ received: true, duplicate: false }, 200);
    }
    throw new DomainError('VALIDATION_FAILED', 'the webhook event is malformed', { issues: result.error.issues });
  }
  const event = result.data;
  const charge = event.data.charge;
  const recorded = await services.paymentEvents.record({
    id: event.id,
    type: event.type,
    orderId: charge.order_id,
    payload: event,
  });
  try {
    await temporal.workflow.getHandle(orderWorkflowId(charge.order_id)).signal(paymentNotification, {
      eventId: event.id,
      chargeId: charge.id,
      outcome: event.type === 'charge.succeeded' ? 'succeeded' : 'failed',
      declineCode: charge.decline_code ?? null,
    });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    if (event.type !== 'charge.succeeded') {
      logger.warn(
        { order_id: charge.order_id, event_id: event.id },
        'payment event for an order that is no longer open',
      );
    } else {
      // Money arrived for an order whose workflow has closed: its own workflow re-holds the order (an EXPIRED one
      // whose seats are free) or refunds it (README, "Late payments").
      const input: LatePaymentInput = { orderId: charge.order_id, chargeId: charge.id, eventId: event.id };
      try {
        await temporal.workflow.start(LATE_PAYMENT_WORKFLOW_TYPE, {
          workflowId: latePaymentWorkflowId(charge.id),
          taskQueue: config.temporal.task_queue,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE', // one per charge, even after it has completed
        });
        logger.warn(
          { order_id: charge.order_id, event_id: event.id, charge_id: charge.id },
          'late payment: re-holding or refunding',
        );
      } catch (started) {
        if (!(started instanceof WorkflowExecutionAlreadyStartedError)) throw started;
      }
    }
  }
  return c.json({ received: true, duplicate: !recorded }, 200);
});
