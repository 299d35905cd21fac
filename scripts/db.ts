/**
 * The database commands of `npm start` and `npm run db:reset`, on the configured database (config/index.ts: the
 * process environment over `.data/services.env`).
 *   migrate   applies the migrations; seed   adds the reference data and schedule (scripts/seed.ts);
 *   prepare   both (idempotent: they skip what is there). `npm start` migrates, then seeds while the processes boot.
 *   reset     back to a freshly seeded state: terminates the order workflows still running on this clone's task
 *             queue (they would act on orders that no longer exist), drops every table (schemas `public` and
 *             `drizzle`), empties this clone's Redis database (availability index, offers, seat locks), then
 *             migrates and seeds. Refused with APP_ENV=production.
 */
import { loadConfig, type AppConfig } from '../config';
import { createRedis } from '../lib/redis';
import { connectTemporal } from '../lib/temporal';
import { runMigrations } from '../db/migrate';
import { databaseSsl, openDatabase } from '../lib/database';
import { REDIS_REGISTRY, seedFromConfig } from './seed';

const say = (msg: string) => console.log(`\x1b[1;32m[db]\x1b[0m ${msg}`);
const dbName = (config: AppConfig) => new URL(config.database.url).pathname.slice(1);

async function migrate(config: AppConfig) {
  const t0 = performance.now();
  await runMigrations(config.database.url, databaseSsl(config.database));
  say(`migrations applied to ${dbName(config)} in ${Math.round(performance.now() - t0)} ms`);
}

async function prepare(config: AppConfig) {
  await migrate(config);
  await seedFromConfig(config);
}

async function terminateOpenOrders(config: AppConfig): Promise<number> {
  const temporal = await connectTemporal(config);
  try {
    let n = 0;
    const query = `TaskQueue = '${config.temporal.task_queue}' AND ExecutionStatus = 'Running'`;
    for await (const wf of temporal.client.workflow.list({ query })) {
      await temporal.client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .terminate('npm run db:reset: the database was reset')
        .catch(() => undefined); // closed meanwhile
      n++;
    }
    return n;
  } finally {
    await temporal.close();
  }
}

async function reset(config: AppConfig) {
  if (config.env === 'production') throw new Error('db:reset refuses to run with APP_ENV=production');
  const open = await terminateOpenOrders(config);
  say(`terminated ${open} running workflows on task queue ${config.temporal.task_queue}`);
  const pg = openDatabase(config, { max: 1 });
  try {
    await pg.sql.unsafe('DROP SCHEMA IF EXISTS drizzle CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  } finally {
    await pg.close();
  }
  say(`dropped every table of ${dbName(config)}`);
  const redis = createRedis(config.redis, { name: 'db-reset' });
  try {
    // Db 0 of an Altis Redis also holds the registry of which clone uses which database (scripts/infra.sh): kept.
    const registry = await redis.hgetall(REDIS_REGISTRY);
    await redis.flushdb();
    if (Object.keys(registry).length > 0) await redis.hset(REDIS_REGISTRY, registry);
  } finally {
    redis.disconnect();
  }
  say(`emptied Redis database ${new URL(config.redis.url).pathname.slice(1) || '0'}`);
  await prepare(config);
}

async function run() {
  const command = process.argv[2];
  const config = loadConfig();
  if (command === 'migrate') await migrate(config);
  else if (command === 'seed') await seedFromConfig(config);
  else if (command === 'prepare') await prepare(config);
  else if (command === 'reset') await reset(config);
  else throw new Error('usage: tsx scripts/db.ts migrate|seed|prepare|reset');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
