import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

/** Applies db/migrations on a single connection. Idempotent: applied migrations are skipped. */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(sql), { migrationsFolder: new URL('./migrations', import.meta.url).pathname });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
