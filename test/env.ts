/**
 * The environment of every test process and of the global setup: tests never touch the development database,
 * Redis db 0 or the development topics. (vitest's `test.env` reaches the test workers only, not the global
 * setup, so both read it from here.) ALTIS_TEST_DB and ALTIS_TEST_REDIS_DB give a second checkout a database,
 * Redis db and topic prefix of its own, so that two suites on one machine never see each other's data.
 */
const database = process.env.ALTIS_TEST_DB ?? 'altis_test';
const redisDb = process.env.ALTIS_TEST_REDIS_DB ?? '1';

export const TEST_ENV: Record<string, string> = {
  APP_ENV: 'test',
  APP_DATABASE__URL: `postgres://altis:altis@127.0.0.1:5432/${database}`,
  APP_REDIS__URL: `redis://127.0.0.1:6379/${redisDb}`,
  APP_LOG__LEVEL: 'warn',
  APP_TEMPORAL__TASK_QUEUE: 'altis-test',
  // Every test file calls the API from 127.0.0.1: one shared per-IP bucket. The limits have tests of their own.
  APP_RATE_LIMIT__PER_IP_PER_MINUTE: '1000000',
  APP_RATE_LIMIT__PER_CUSTOMER_PER_MINUTE: '1000000',
  // Tests read availability right after changing it; the cache's staleness has a test of its own (search-staleness).
  APP_CATALOG__AVAILABILITY_MAX_AGE_MS: '0',
  APP_KAFKA__TOPIC_PREFIX: `${database.replace(/_/g, '-')}.`,
};
