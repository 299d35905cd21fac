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

export const health = createRouter().openapi(route, async (c) => {
  const deps = c.get('deps');
  const result = await checkHealth(deps);
  return c.json(result, result.status === 'ok' ? 200 : 503);
});
