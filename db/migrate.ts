import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { loadConfig } from '../config';

/** Applies db/migrations on a single connection. Idempotent: applied migrations are skipped. */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(sql), { migrationsFolder: new URL('./migrations', import.meta.url).pathname });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function run() {
  const config = loadConfig();
  const started = Date.now();
  await runMigrations(config.database.url);
  console.log(
    `[db] migrations applied to ${new URL(config.database.url).pathname.slice(1)} in ${Date.now() - started} ms`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
