import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import type { Logger } from '../lib/logger';
import { createPiiCipher } from '../lib/pii';
import { createInventory } from '../services/inventory';
import { createFlightDisruptions, createOrderDisruptions } from '../services/disruptions';
import { createOrderChangeSteps } from '../services/order-changes';
import { createLatePayments } from '../services/late-payments';
import { createOrderService } from '../services/orders';
import { withCircuitBreaker } from '../services/payment-circuit';
import { createHttpPaymentGateway, type PaymentGateway } from '../services/payment-gateway';
import { createPaymentVault } from '../services/payment-vault';
import { createSellability } from '../services/schedule';
import { createServicing } from '../services/servicing';
import { withDomainFailures } from './failures';
import { disruptionActivities } from './disruptions';
import { orderActivities } from './orders';
import { servicingActivities } from './servicing';

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

/** Every activity the order workflows may call, bound to the services they run on. */
export function createActivities(deps: ActivityDeps) {
  const { config, db } = deps;
  const gateway = withCircuitBreaker(
    deps.gateway ??
      createHttpPaymentGateway({
        baseUrl: config.payments.gateway_url,
        apiKey: config.payments.gateway_api_key,
        timeoutMs: config.payments.gateway_timeout_ms,
      }),
    { redis: deps.redis, config: config.payments, logger: deps.logger },
  );
  const pii = createPiiCipher(config.pii);
  const parts = {
    config,
    logger: deps.logger,
    db,
    inventory: createInventory({ db, sql: deps.sql, redis: deps.redis }),
    gateway,
    pii,
    vault: createPaymentVault({ db, pii }),
  };
  const orders = createOrderService(parts);
  const changes = createOrderChangeSteps(parts);
  const late = createLatePayments({
    db,
    gateway,
    logger: deps.logger,
    inventory: parts.inventory,
    sellability: createSellability({ sql: deps.sql, config }),
    config,
  });
  return withDomainFailures({
    ...orderActivities(orders, changes),
    ...servicingActivities(createServicing(parts)),
    // Late payments (workflows/order.ts's late-payment path, workflows/late-payment.ts).
    confirmLatePayment: late.confirmLatePayment,
    reinstateLatePayment: late.reinstateLatePayment,
    refundLatePayment: late.refundLatePayment,
    // Airline-initiated changes (workflows/flight-disruption.ts and the order's disruption path).
    ...disruptionActivities(
      createFlightDisruptions({ db, inventory: parts.inventory }),
      createOrderDisruptions({ db, sql: deps.sql, config, inventory: parts.inventory, changes }),
    ),
  });
}

export type Activities = ReturnType<typeof createActivities>;
