import { writeFileSync, mkdirSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../config';
import { createDb } from '../db/client';
import { runMigrations } from '../db/migrate';
import { createRedis } from '../lib/redis';
import { buildWeb } from '../scripts/build-web';
import { seed } from '../scripts/seed';
import { exchangeRates } from '../services/commercial-settings';
import { bundleWorkflows } from '../worker/worker';
import { TEST_ENV } from './env';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
  }
}

/**
 * Runs once before all test files: migrates the test database, seeds its schedule (three days from today, the
 * flights the README guide and seed tests read), and bundles the workflow code once, so that each test file's
 * worker loads the bundle instead of running webpack again. No test file seeds: two files seeding at once would
 * rebuild each other's index mid-test. The services themselves are started by scripts/test.sh (npm test).
 */
export default async function setup(project: TestProject) {
  // The same environment as the test processes: migrate altis_test, not the development database.
  Object.assign(process.env, TEST_ENV);
  const config = loadConfig();
  try {
    await runMigrations(config.database.url);
  } catch (err) {
    throw new Error(
      `cannot migrate ${config.database.url}: ${(err as Error).message}. Run the tests with \`npm test\`, which starts the services.`,
    );
  }
  const pg = createDb(config.database.url, { max: 2 });
  const redis = createRedis(config.redis, { name: 'test-setup' });
  try {
    await seed(pg.db, pg.sql, { today: new Date(), days: 3, redis, fx: exchangeRates(config.pricing) });
  } finally {
    redis.disconnect();
    await pg.close();
  }
  // The web app the API serves (the browser tests, test/browser/), built from today's sources. A nested run on a
  // Redis Cluster of its own leaves the outer run's build alone.
  if (!process.env.ALTIS_TEST_REDIS_CLUSTER_URL) await buildWeb();
  const bundle = await bundleWorkflows();
  const dir = new URL('../.data/test', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  // A run on a Redis Cluster of its own (test/integration/redis-cluster.test.ts) starts inside a normal run: its
  // own file, so that it never rewrites the bundle the outer run's files are loading.
  const path = `${dir}/workflow-bundle${process.env.ALTIS_TEST_REDIS_CLUSTER_URL ? '-redis-cluster' : ''}.js`;
  writeFileSync(path, bundle.code);
  project.provide('workflowBundlePath', path);
}
