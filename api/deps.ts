import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import type { Logger } from '../lib/logger';
import type { PiiCipher } from '../lib/pii';
import type { AppServices } from '../services';

/** Everything a route may use, injected by api/main.ts (or a test). */
export interface ApiDeps {
  config: AppConfig;
  logger: Logger;
  db: Database;
  sql: Sql;
  redis: Redis;
  temporal: Client;
  kafkaAdmin: Admin;
  /** The request-path services, built once per app by createApp unless given. */
  services: AppServices;
}

/** Who is calling, set by the auth middleware from a verified JWT. */
export interface Customer {
  id: string;
  kind: 'GUEST' | 'USER';
  role: 'customer' | 'agent' | 'admin';
  /** Set for a booking-lookup token (api/auth.ts OrderScope): the one order it reaches. */
  orderId?: string;
}

export interface AppEnv {
  Variables: {
    deps: ApiDeps;
    requestId: string;
    /** The request's log fields (request id, order id, trace id): api/observability.ts requestLogger. */
    logFields: Record<string, unknown>;
    /** The request's logger, made from logFields on first use (requestLogger): most requests never need one. */
    logger: Logger | undefined;
    customer: Customer;
    pii: PiiCipher;
  };
}
