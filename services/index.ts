/**
 * The request-path services of one process, built once (their caches and Redis scripts are per process) and
 * shared by every route: inventory, commercial settings, catalog, offer engine.
 */
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import type { Logger } from '../lib/logger';
import { createAdminCommercial } from './admin-commercial';
import { createCatalog } from './catalog';
import { createCommercialSettings } from './commercial-settings';
import { createInventory } from './inventory';
import { createOfferEngine } from './offers';

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
  const catalog = createCatalog({ sql, redis, config, inventory, commercial });
  const offers = createOfferEngine({
    ...deps,
    inventory,
    commercial,
    catalog,
    logger: deps.logger.child({ component: 'offers' }),
  });
  const admin = createAdminCommercial({ db, config });
  return { inventory, commercial, catalog, offers, admin };
}

export type AppServices = ReturnType<typeof createServices>;
