/**
 * Prometheus metrics plumbing shared by the API and the worker (prom-client, text exposition format).
 * Each process has one registry with the default Node process metrics (process_resident_memory_bytes,
 * nodejs_eventloop_lag_seconds, ...); the API serves it at GET /metrics on its own port, the worker on a small
 * HTTP server of its own (metrics.worker_port).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from './logger';

/**
 * A registry (a new one, or e.g. prom-client's global `register` in the worker process) with the default process
 * metrics and a `service` label on every series.
 */
export function createRegistry(service: string, registry: Registry = new Registry()): Registry {
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** A JSON endpoint beside /metrics (e.g. the consumers' /health): its status code and body. */
export type ExtraRoute = () => Promise<{ status: number; body: unknown }>;

/**
 * Serves `registry` at GET /metrics on host:port (port 0 picks a free one), and `routes` (GET, JSON) beside it.
 * Resolves with the listening server.
 */
export async function serveMetrics(
  registry: Registry,
  opts: { host: string; port: number; logger: Logger; routes?: Record<string, ExtraRoute> },
): Promise<Server & { port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const route = req.method === 'GET' ? opts.routes?.[path] : undefined;
    if (route) {
      route().then(
        ({ status, body }) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        (err: unknown) =>
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: 'error', error: (err as Error).message })),
      );
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      const known = ['/metrics', ...Object.keys(opts.routes ?? {})].join(', ');
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: GET ${known}\n`);
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        opts.logger.warn({ err: (err as Error).message }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}

export const closeMetricsServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
