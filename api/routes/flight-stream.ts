import { z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { requireAuth } from '../middleware/auth';
import { bearerAuth, errorSchema, idParams, json, routesOf } from '../openapi';
import { createRouter } from '../router';
import { seatStreamHub } from '../seat-stream';

const errorJson = (description: string) => json(errorSchema, description);

const route = routesOf({ tags: ['flights'], security: bearerAuth });

const streamRoute = route('get', '/{id}/stream', {
  summary: 'Server-Sent Events: seats held, released and sold on this flight, with heartbeat comments',
  request: { params: idParams },
  responses: {
    200: {
      description: 'an event stream: `event: seat.held|seat.released|seat.sold`, data JSON',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    400: errorJson('the id is not a UUID'),
    401: errorJson('no or bad token'),
    404: errorJson('unknown flight'),
  },
});

const router = createRouter();
router.use('/:id/stream', requireAuth);
export const flightStream = router.openapi(streamRoute, async (c) => {
  const deps = c.get('deps');
  const { id } = c.req.valid('param');
  await deps.services.catalog.getFlight(id); // 404 for an unknown flight, before the stream opens
  const heartbeatMs = deps.config.server.sse_heartbeat_ms;
  return streamSSE(c, async (stream) => {
    const queue: Promise<void>[] = [];
    const stop = await seatStreamHub(deps.redis).listen(id, (event) => {
      queue.push(
        stream.writeSSE({ event: event.type, data: JSON.stringify(event), id: `${event.at}:${event.seat_number}` }),
      );
    });
    let closed = false;
    stream.onAbort(() => {
      closed = true;
    });
    try {
      await stream.write(`: connected to flight ${id}\n\n`);
      while (!closed) {
        await stream.sleep(heartbeatMs);
        if (!closed) await stream.write(': heartbeat\n\n');
      }
    } finally {
      await stop();
      await Promise.allSettled(queue);
    }
  });
});
