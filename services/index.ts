/**
 * The request-path services of one process, built once (their caches and Redis scripts are per process) and
 * shared by every route: inventory, commercial settings, catalog, offer engine, payment vault, idempotency
 * keys, customers, the admins' schedule management, analytics, payment webhook events.
 */
import { createCancellationQuoteReads } from './cancellation-quotes';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import type { Logger } from '../lib/logger';
import { createPiiCipher } from '../lib/pii';
import { createAdminCommercial } from './admin-commercial';
import { createCatalog } from './catalog';
import { createCheckIn } from './check-in';
import { createAdminFlights } from './admin-flights';
import { createAnalyticsReads } from './analytics';
import { createCommercialSettings } from './commercial-settings';
import { createCustomers } from './customers';
import { createDisruptionReads } from './disruptions';
import { createHoldLimits } from './hold-limits';
import { createIdempotencyStore } from './idempotency-store';
import { createInventory } from './inventory';
import { createOfferEngine } from './offers';
import { createOrderChanges } from './order-changes';
import { lookupOrder } from './order-lookup';
import { createOrderReads } from './order-reads';
import { createPaymentCircuitCheck } from './payment-circuit';
import { createPaymentEvents } from './payment-events';
import { createPaymentVault } from './payment-vault';
import { createSellability, scheduleRules } from './schedule';
import { createServicingReads } from './servicing';
import { createTripReads } from './trip-reads';

export interface ServiceDeps {
  config: AppConfig;
  logger: Logger;
  db: Database;
  sql: Sql;
  redis: Redis;
}

export function createServices(deps: ServiceDeps) {
  const { config, db, sql, redis } = deps;
  const inventory = createInventory({ db, sql, redis });
  const commercial = createCommercialSettings({ db, config });
  const catalog = createCatalog({
    sql,
    redis,
    config,
    inventory,
    commercial,
    availabilityMaxAgeMs: config.catalog.availability_max_age_ms,
    seatMapMaxAgeMs: config.catalog.seat_map_max_age_ms,
  });
  const offers = createOfferEngine({
    ...deps,
    inventory,
    commercial,
    catalog,
    logger: deps.logger.child({ component: 'offers' }),
  });
  const pii = createPiiCipher(config.pii);
  return {
    inventory,
    commercial,
    catalog,
    offers,
    vault: createPaymentVault({ db, pii }),
    checkIn: createCheckIn({ db, inventory, config, pii }),
    idempotencyKeys: createIdempotencyStore(db),
    customers: createCustomers({ db, redis, tokenCacheMs: config.auth.customer_cache_ms }),
    adminFlights: createAdminFlights({
      db,
      sql,
      inventory,
      currency: config.pricing.currency,
      rules: scheduleRules(config),
      onChange: () => catalog.forget(),
    }),
    sellability: createSellability({ sql, config }),
    analytics: createAnalyticsReads(db),
    paymentEvents: createPaymentEvents(db),
    paymentCircuit: createPaymentCircuitCheck(redis, config.payments),
    tripReads: createTripReads(db),
    orderReads: createOrderReads(db),
    /** Manage booking: the order of a booking reference and a traveler's last name, or null (services/order-lookup.ts). */
    lookupOrder: (reference: string, lastName: string) => lookupOrder(db, pii, reference, lastName),
    holdLimits: createHoldLimits({ db, redis, config }),
    orderChanges: createOrderChanges({ db, catalog, inventory, config }),
    cancellationQuotes: createCancellationQuoteReads(db),
    disruptionReads: createDisruptionReads(db),
    servicingReads: createServicingReads({ db, config }),
    admin: createAdminCommercial({ db, config }),
  };
}

export type AppServices = ReturnType<typeof createServices>;
