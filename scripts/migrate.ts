import { loadConfig } from '../config';
import { runMigrations } from '../db/migrate';
import { databaseSsl } from '../lib/database';

async function run() {
  const config = loadConfig();
  const started = Date.now();
  await runMigrations(config.database.url, databaseSsl(config.database));
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
