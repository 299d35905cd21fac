import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { ConnectionOptions } from 'node:tls';
import postgres from 'postgres';

/** Applies db/migrations on a single connection. Idempotent: applied migrations are skipped. */
export async function runMigrations(url: string, ssl?: 'require' | ConnectionOptions): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, ...(ssl ? { ssl } : {}) });
  try {
    await migrate(drizzle(sql), { migrationsFolder: new URL('./migrations', import.meta.url).pathname });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
