import { z } from '@hono/zod-openapi';
import { checkHealth } from '../../lib/health';
import { json, routesOf } from '../openapi';
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

const route = routesOf({ tags: ['ops'] });

const healthRoute = route('get', '/', {
  summary: 'Health of the API and each dependency it needs',
  responses: {
    200: json(report, 'every dependency is up'),
    503: json(report, 'at least one dependency is down'),
  },
});

// Liveness: the process answers HTTP. It probes no dependency, so that an outage of Postgres or Kafka makes the
// pods unready (no traffic) without the kubelet restarting every one of them.
const liveRoute = route('get', '/live', {
  summary: 'Liveness: the process serves HTTP (no dependency is probed)',
  responses: { 200: json(alive, 'the process is alive') },
});

// Readiness: the same probes as GET /health; 503 while any dependency is down, so the pod leaves the Service.
const readyRoute = route('get', '/ready', {
  summary: 'Readiness: every dependency answers (the report of GET /health)',
  responses: {
    200: json(report, 'ready: every dependency is up'),
    503: json(report, 'not ready: a dependency is down'),
  },
});

export const health = createRouter()
  .openapi(healthRoute, async (c) => {
    const result = await checkHealth(c.get('deps'));
    return c.json(result, result.status === 'ok' ? 200 : 503);
  })
  .openapi(liveRoute, (c) => c.json({ status: 'ok' as const }, 200))
  .openapi(readyRoute, async (c) => {
    const result = await checkHealth(c.get('deps'));
    return c.json(result, result.status === 'ok' ? 200 : 503);
  });
