/**
 * The API's Prometheus metrics, served at GET /metrics (no auth; exempt from rate limits):
 *   altis_http_request_duration_seconds{method,route,status}  histogram, route = the matched pattern
 *   altis_orders{status}                                       orders per state, read from Postgres at scrape time
 *   altis_held_seats                                           seats held by open orders (sum of flight_inventory.held)
 *   altis_active_holds                                         hold records in state HELD (inventory_holds)
 *   altis_backend_round_trips_total{backend}                   Redis / Postgres round trips of this process
 *                                                              (only with metrics.count_round_trips; lib/round-trips.ts)
 * plus the default Node process metrics. The Postgres reads are cached for metrics.db_cache_ms.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ORDER_STATUSES } from '../domain/order';
import { cachedValue } from '../lib/cache';
import { createRegistry } from '../lib/metrics';
import { roundTrips } from '../lib/round-trips';
import type { ApiDeps } from './deps';

export interface ApiMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface OrderCounts {
  byStatus: Map<string, number>;
  heldSeats: number;
  activeHolds: number;
}

export function createApiMetrics(deps: Pick<ApiDeps, 'sql' | 'config' | 'logger'>): ApiMetrics {
  const registry = createRegistry('api');
  const httpDuration = new Histogram({
    name: 'altis_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });

  // One query per interval however often it is scraped; a burst of concurrent scrapes shares it.
  const read = cachedValue(deps.config.metrics.db_cache_ms, async (): Promise<OrderCounts> => {
    const [statuses, holds] = await Promise.all([
      deps.sql<{ status: string; n: number }[]>`SELECT status, count(*)::int AS n FROM orders GROUP BY status`,
      deps.sql<{ held_seats: number; active_holds: number }[]>`
        SELECT (SELECT coalesce(sum(held), 0) FROM flight_inventory)::int AS held_seats,
               (SELECT count(*) FROM inventory_holds WHERE status = 'HELD')::int AS active_holds`,
    ]);
    return {
      byStatus: new Map(statuses.map((r) => [r.status, r.n])),
      heldSeats: holds[0]?.held_seats ?? 0,
      activeHolds: holds[0]?.active_holds ?? 0,
    };
  });
  // A scrape while Postgres is away keeps the last values and says so in the log, rather than failing /metrics.
  const current = async (): Promise<OrderCounts | null> => {
    try {
      return await read();
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'metrics: order counts not read');
      return null;
    }
  };

  new Gauge({
    name: 'altis_orders',
    help: 'Orders by state (Postgres, read at scrape time)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await current();
      if (!counts) return;
      for (const status of ORDER_STATUSES) this.set({ status }, counts.byStatus.get(status) ?? 0);
    },
  });
  const countGauge = (name: string, help: string, value: (counts: OrderCounts) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const counts = await current();
        if (counts) this.set(value(counts));
      },
    });
  countGauge(
    'altis_held_seats',
    'Seats held by orders not yet paid (sum of flight_inventory.held)',
    (c) => c.heldSeats,
  );
  countGauge(
    'altis_active_holds',
    'Inventory hold records in state HELD (one per order, flight and cabin)',
    (c) => c.activeHolds,
  );

  if (deps.config.metrics.count_round_trips) {
    new Counter({
      name: 'altis_backend_round_trips_total',
      help: 'Round trips (socket writes) to Redis and Postgres by this process',
      labelNames: ['backend'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [backend, n] of Object.entries(roundTrips())) this.inc({ backend }, n);
      },
    });
  }

  return { registry, httpDuration };
}
