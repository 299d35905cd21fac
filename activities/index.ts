import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import type { Logger } from '../lib/logger';
import { createPiiCipher } from '../lib/pii';
import { createInventory } from '../services/inventory';
import { createOrderActivities, nonRetryableDomainErrors } from './orders';
import { createHttpPaymentGateway, type PaymentGateway } from '../services/payment-gateway';
import { createTripActivities } from './trips';

/** What activities need from the outside world, injected by the worker (or a test). */
export interface ActivityDeps {
  config: AppConfig;
  logger: Logger;
  db: Database;
  sql: Sql;
  redis: Redis;
  /** Defaults to the HTTP gateway at config.payments.gateway_url. */
  gateway?: PaymentGateway;
}

/** Every activity the order workflow may call, bound to its dependencies. */
export function createActivities(deps: ActivityDeps) {
  const { config } = deps;
  const gateway =
    deps.gateway ??
    createHttpPaymentGateway({
      baseUrl: config.payments.gateway_url,
      apiKey: config.payments.gateway_api_key,
      timeoutMs: config.payments.gateway_timeout_ms,
    });
  const inventory = createInventory({ db: deps.db, sql: deps.sql, redis: deps.redis });
  return {
    ...createOrderActivities({
      config,
      logger: deps.logger,
      db: deps.db,
      redis: deps.redis,
      inventory,
      gateway,
      pii: createPiiCipher(config.pii),
    }),
    ...nonRetryableDomainErrors(createTripActivities({ db: deps.db, redis: deps.redis, inventory })),
  };
}

export type Activities = ReturnType<typeof createActivities>;
