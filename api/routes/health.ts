import { createRoute, z } from '@hono/zod-openapi';
import { checkHealth } from '../../lib/health';
import { createRouter } from '../router';

const dependency = z.object({
  status: z.enum(['up', 'down']),
  latency_ms: z.number(),
  error: z.string().optional(),
});
const report = z
  .object({
    status: z.enum(['ok', 'degraded']),
    dependencies: z.object({ postgres: dependency, redis: dependency, temporal: dependency, kafka: dependency }),
  })
  .openapi('Health');
const alive = z.object({ status: z.literal('ok') }).openapi('Liveness');

const route = createRoute({
  method: 'get',
  path: '/',
  tags: ['ops'],
  summary: 'Health of the API and each dependency it needs',
  responses: {
    200: { description: 'every dependency is up', content: { 'application/json': { schema: report } } },
    503: { description: 'at least one dependency is down', content: { 'application/json': { schema: report } } },
  },
});

// Liveness: the process answers HTTP. It probes no dependency, so that an outage of Postgres or Kafka makes the
// pods unready (no traffic) without the kubelet restarting every one of them.
const liveRoute = createRoute({
  method: 'get',
  path: '/live',
  tags: ['ops'],
  summary: 'Liveness: the process serves HTTP (no dependency is probed)',
  responses: { 200: { description: 'the process is alive', content: { 'application/json': { schema: alive } } } },
});

// Readiness: the same probes as GET /health; 503 while any dependency is down, so the pod leaves the Service.
const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['ops'],
  summary: 'Readiness: every dependency answers (the report of GET /health)',
  responses: {
    200: { description: 'ready: every dependency is up', content: { 'application/json': { schema: report } } },
    503: { description: 'not ready: a dependency is down', content: { 'application/json': { schema: report } } },
  },
});

export const health = createRouter()
  .openapi(route, async (c) => {
    const result = await checkHealth(c.get('deps'));
    return c.json(result, result.status === 'ok' ? 200 : 503);
  })
  .openapi(liveRoute, (c) => c.json({ status: 'ok' as const }, 200))
  .openapi(readyRoute, async (c) => {
    const result = await checkHealth(c.get('deps'));
    return c.json(result, result.status === 'ok' ? 200 : 503);
  });
