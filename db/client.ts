import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { ConnectionOptions } from 'node:tls';
import postgres from 'postgres';
import * as schema from './schema';

export type Database = PostgresJsDatabase<typeof schema>;
export type Sql = postgres.Sql;

export interface DbHandle {
  db: Database;
  sql: Sql;
  close(): Promise<void>;
}

export function createDb(
  url: string,
  /** `socket`: postgres.js's (untyped) socket factory, given its parsed options; lib/round-trips.ts counts with it. */
  opts: {
    max?: number;
    socket?: (options: never) => unknown;
    /** postgres.js's `ssl` (lib/database.ts builds it from database.sslmode); absent: as the url says. */
    ssl?: 'require' | ConnectionOptions;
  } = {},
): DbHandle {
  const options = {
    max: opts.max ?? 10,
    onnotice: () => {},
    connect_timeout: 10,
    ...(opts.ssl !== undefined ? { ssl: opts.ssl } : {}),
  };
  const sql = postgres(url, opts.socket ? ({ ...options, socket: opts.socket } as typeof options) : options);
  const db = drizzle(sql, { schema, casing: 'snake_case' });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** A transaction handed to `db.transaction(async (tx) => ...)`. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Either the database or a transaction: functions that take it compose into a caller's transaction. */
export type DbOrTx = Database | Tx;
