/**
 * Answers to an airline-initiated change (issue #15; services/disruptions.ts): `POST /v1/orders/:id/disruption/accept`
 * `{ option_id }` moves the order to a held re-accommodation option (tickets reissued, no charge) or keeps a retimed
 * flight at its new time; `POST /v1/orders/:id/disruption/refund` refunds everything paid (involuntary: no
 * penalty). Both are an Update on the order's workflow (`answerDisruption`), which carries the answer out; the owner
 * or an agent, with an Idempotency-Key; 409 NO_OPEN_DISRUPTION when the order has nothing to answer.
 *
 * Mounted at /v1 after the orders router, whose `/orders/*` middleware (auth, rate limit) covers these paths too.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DomainError } from '../../domain/errors';
import { answerDisruption, ORDER_WORKFLOW_TYPE, type DisruptionAnswer } from '../../workflows/messages';
import type { AppEnv } from '../deps';
import { idempotency } from '../middleware/idempotency';
import { command, errorSchema, json, orderRoute } from '../openapi';
import { updateOrder } from '../order-commands';
import { orderResource } from '../order-reads';
import { orderSchema } from '../order-schema';
import { ownedOrder } from '../order-access';
import { createRouter } from '../router';

const answered = {
  200: json(orderSchema, 'the order once the answer is carried out (its `disruption` answered)'),
  409: json(errorSchema, 'NO_OPEN_DISRUPTION: nothing to answer (none, or answered already)'),
};

const acceptRoute = orderRoute('post', '/orders/{id}/disruption/accept', {
  summary: 'Accept an airline-initiated change: move to a re-accommodation option, or keep the retimed flight',
  ...command(
    z
      .strictObject({ option_id: z.uuid().openapi({ description: 'one of `disruption.options[].id`' }) })
      .openapi('DisruptionAccept'),
    answered,
  ),
});

const refundRoute = orderRoute('post', '/orders/{id}/disruption/refund', {
  summary: 'Refuse an airline-initiated change: a full refund, no penalty (involuntary), the order CANCELLED',
  ...command(z.strictObject({}).openapi('DisruptionRefund'), answered, { required: false }),
});

async function answer(c: Context<AppEnv>, id: string, reply: DisruptionAnswer) {
  const { services, temporal } = c.get('deps');
  const row = await ownedOrder(c, id);
  const open = (await services.orderReads.disruptions([row.id])).views.get(row.id);
  if (row.workflowType !== ORDER_WORKFLOW_TYPE || open?.status !== 'OPEN') {
    throw new DomainError('NO_OPEN_DISRUPTION', 'this order has no open disruption to answer');
  }
  const view = await updateOrder(
    temporal,
    row.id,
    () => ownedOrder(c, id),
    reply.action === 'refund' ? 'cancelled' : 'changed',
    (handle) => handle.executeUpdate(answerDisruption, { args: [reply] }),
  );
  const deps = { reads: services.orderReads, temporal, pii: c.get('pii') };
  return orderResource(deps, await ownedOrder(c, id), { view });
}

const router = createRouter();
router.use('/orders/:id/disruption/accept', idempotency());
router.use('/orders/:id/disruption/refund', idempotency());

export const orderDisruptions = router
  .openapi(acceptRoute, async (c) =>
    c.json(
      await answer(c, c.req.valid('param').id, { action: 'accept', optionId: c.req.valid('json').option_id }),
      200,
    ),
  )
  .openapi(refundRoute, async (c) => c.json(await answer(c, c.req.valid('param').id, { action: 'refund' }), 200));
