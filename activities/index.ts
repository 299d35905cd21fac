import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger';

/** What activities need from the outside world, injected by the worker (or a test). */
export interface ActivityDeps {
  config: AppConfig;
  logger: Logger;
  db: Database;
  sql: Sql;
  redis: Redis;
}

/** Every activity the order workflow may call, bound to its dependencies. */
export function createActivities(_deps: ActivityDeps) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
