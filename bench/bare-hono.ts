/**
 * The baseline of the request-path bench (bench/request-path.ts): a bare Hono app on the same @hono/node-server,
 * one JSON route, no middleware. Started as a child process like the API (`node --import tsx`), on BARE_PORT.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.json({ hello: 'world' }));

serve({ fetch: app.fetch, port: Number(process.env.BARE_PORT ?? 0), hostname: '127.0.0.1' }, (info) =>
  console.log(`bare Hono listening on ${info.port}`),
);
