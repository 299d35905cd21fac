/**
 * GET /v1/orders/:id/timeline: what happened to an order, oldest first (services/order-timeline.ts), for its owner
 * and for agents; agents and admins also get the link to its workflow in the Temporal Web UI.
 */
import { z } from '@hono/zod-openapi';
import { orderWorkflowId } from '../../workflows/messages';
import { orderTimeline, TIMELINE_KINDS, TIMELINE_MAX_LIMIT } from '../../services/order-timeline';
import { errors, idParams, json, orderRoute } from '../openapi';
import { ownedOrder } from '../order-access';
import { createRouter } from '../router';

const entrySchema = z
  .object({
    id: z.string(),
    at: z.string().openapi({ format: 'date-time' }),
    kind: z.enum(TIMELINE_KINDS),
    type: z.string().openapi({ description: 'the domain event type (README, "Domain events")', example: 'OrderPaid' }),
    status: z.string().nullable().openapi({ description: "the order's status after it, for events that move it" }),
    summary: z.string(),
    // Money (minor units and currency), inline: a nullable $ref would hide the null from code generators.
    amount: z
      .object({ amount: z.number().int(), currency: z.string().regex(/^[A-Z]{3}$/) })
      .nullable()
      .openapi({ description: 'the amount it moved, in minor units (Money), or null' }),
    details: z.record(z.string(), z.unknown()).openapi({ description: "the event's payload" }),
  })
  .openapi('TimelineEntry');

const timelineSchema = z
  .object({
    order_id: z.string().uuid(),
    workflow: z.object({
      id: z.string().openapi({ example: 'order-…' }),
      web_ui_url: z.string().nullable().openapi({ description: 'the Temporal Web UI page (agents and admins)' }),
    }),
    data: z.array(entrySchema),
    next_cursor: z.string().nullable(),
  })
  .openapi('OrderTimeline');

const timelineRoute = orderRoute('get', '/orders/{id}/timeline', {
  summary: "An order's timeline: states, payments, refunds, changes, services, seats, travel and notifications",
  request: {
    params: idParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(TIMELINE_MAX_LIMIT).default(100),
      cursor: z.string().max(64).optional(),
    }),
  },
  responses: { 200: json(timelineSchema, 'a page of the timeline, oldest first'), ...errors(400, 401, 404) },
});

const router = createRouter();

export const orderTimelineRoutes = router.openapi(timelineRoute, async (c) => {
  const { id } = c.req.valid('param');
  const { limit, cursor } = c.req.valid('query');
  const row = await ownedOrder(c, id); // 404 for another customer's order
  const { config, db } = c.get('deps');
  const page = await orderTimeline(db, row.id, { limit, cursor });
  const workflowId = orderWorkflowId(row.id);
  const staff = c.get('customer').role !== 'customer';
  const ui = config.temporal.web_ui_url.replace(/\/+$/, '');
  return c.json(
    {
      order_id: row.id,
      workflow: {
        id: workflowId,
        web_ui_url:
          staff && ui
            ? `${ui}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`
            : null,
      },
      data: page.data.map(({ seq: _seq, ...e }) => ({ ...e, at: e.at.toISOString() })),
      next_cursor: page.nextCursor,
    },
    200,
  );
});
