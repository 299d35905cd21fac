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
  const db = drizzle(preparing(sql), { schema, casing: 'snake_case' });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

type Unsafe = Sql['unsafe'];

/** `unsafe` that prepares its queries, whatever the caller asked. */
function preparedUnsafe(client: { unsafe: Unsafe }): void {
  const unsafe = client.unsafe.bind(client);
  client.unsafe = ((query, params, options) => unsafe(query, params, { ...options, prepare: true })) as Unsafe;
}

/**
 * Drizzle runs its queries through postgres.js's `unsafe` with `prepare: false` (unless a query is named), and
 * postgres.js then describes every query that has parameters in a round trip of its own before it runs it: two
 * round trips per query. Prepared, a query is described once per connection (postgres.js keeps its statements,
 * and prepares one again when a schema change invalidated it), then runs in one. The tagged `sql` queries prepare
 * so already. This client's `unsafe`, and that of each transaction it begins, prepare.
 */
function preparing(sql: Sql): Sql {
  preparedUnsafe(sql);
  const begin = sql.begin.bind(sql) as (...args: unknown[]) => Promise<unknown>;
  sql.begin = ((...args: unknown[]) => {
    const fn = args.pop() as (tx: { unsafe: Unsafe }) => unknown;
    return begin(...args, (tx: { unsafe: Unsafe }) => {
      preparedUnsafe(tx);
      return fn(tx);
    });
  }) as Sql['begin'];
  return sql;
}

/** A transaction handed to `db.transaction(async (tx) => ...)`. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Either the database or a transaction: functions that take it compose into a caller's transaction. */
export type DbOrTx = Database | Tx;
