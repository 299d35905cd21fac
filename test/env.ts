/**
 * The environment of every test process and of the global setup: tests never touch the development database,
 * Redis db or topics. (vitest's `test.env` reaches the test workers only, not the global setup, so both read it
 * from here.) The servers, and this clone's test database and Redis db on them, are what `scripts/infra.sh start`
 * chose (`.data/services.env`): a clone that shares another clone's servers gets names of its own there, so two
 * clones' suites never see each other's data (the Kafka topic prefix and the Temporal task queue too, on a shared
 * broker or server). ALTIS_TEST_DB and ALTIS_TEST_REDIS_DB choose by hand; the prefix and task queue then follow
 * the database's name. ALTIS_TEST_REDIS_CLUSTER_URL puts Redis on a Cluster (its seed node; database 0).
 */
import { readServicesEnv } from '../config/index.ts';

const services = readServicesEnv();
const chosen = process.env.ALTIS_TEST_DB; // by hand: the topic prefix and task queue follow it
const database = chosen ?? services.ALTIS_TEST_DB ?? 'altis_test';
const redisDb = process.env.ALTIS_TEST_REDIS_DB ?? services.ALTIS_TEST_REDIS_DB ?? '1';
const server = (url: string | undefined, fallback: string) => (url ? new URL(url).host : fallback);
const pgServer = server(services.APP_DATABASE__URL, '127.0.0.1:5432');
const redisServer = server(services.APP_REDIS__URL, '127.0.0.1:6379');
const name = database.replace(/_/g, '-');

export const TEST_ENV: Record<string, string> = {
  APP_ENV: 'test',
  APP_DATABASE__URL: `postgres://altis:altis@${pgServer}/${database}`,
  APP_REDIS__URL: process.env.ALTIS_TEST_REDIS_CLUSTER_URL ?? `redis://${redisServer}/${redisDb}`,
  // test/integration/redis-cluster.test.ts runs test files on a Redis Cluster of its own: this is its seed node.
  ...(process.env.ALTIS_TEST_REDIS_CLUSTER_URL ? { APP_REDIS__CLUSTER: 'true' } : {}),
  APP_KAFKA__BROKERS: services.APP_KAFKA__BROKERS ?? '127.0.0.1:9092',
  APP_TEMPORAL__ADDRESS: services.APP_TEMPORAL__ADDRESS ?? '127.0.0.1:7233',
  APP_LOG__LEVEL: 'warn',
  APP_TEMPORAL__TASK_QUEUE: (chosen ? undefined : services.ALTIS_TEST_TASK_QUEUE) ?? name,
  // Every test file calls the API from 127.0.0.1: one shared per-IP bucket. The limits have tests of their own.
  APP_RATE_LIMIT__PER_IP_PER_MINUTE: '1000000',
  APP_RATE_LIMIT__PER_CUSTOMER_PER_MINUTE: '1000000',
  // Likewise the abuse limits (README, "Abuse limits"): test files mint guests and hold freely from 127.0.0.1, and
  // one guest often holds many orders. test/integration/abuse.test.ts sets the defaults back and plays the attacker.
  APP_RATE_LIMIT__GUESTS_PER_IP_PER_HOUR: '1000000',
  // Booking look-ups too; test/integration/order-lookup.test.ts sets them low on its own stack.
  APP_RATE_LIMIT__ORDER_LOOKUPS_PER_IP_PER_HOUR: '1000000',
  APP_RATE_LIMIT__ORDER_LOOKUPS_PER_REFERENCE_PER_HOUR: '1000000',
  APP_HOLDS__MAX_OPEN_PER_CUSTOMER: '1000000',
  APP_HOLDS__MAX_SEATS_PER_CUSTOMER: '1000000',
  APP_HOLDS__MAX_OPEN_PER_IP: '1000000',
  APP_HOLDS__MAX_SEATS_PER_IP: '1000000',
  // Tests read availability right after changing it; the cache's staleness has a test of its own (search-staleness).
  APP_CATALOG__AVAILABILITY_MAX_AGE_MS: '0',
  // Seat maps likewise (their staleness: test/integration/search-staleness.test.ts).
  APP_CATALOG__SEAT_MAP_MAX_AGE_MS: '0',
  // Ranker tests rank right after recording outcomes.
  APP_RANKER__ARMS_MAX_AGE_MS: '0',
  // A revoked token (sign-out, role change) is refused on the next request, not after the look-up cache's TTL.
  APP_AUTH__CUSTOMER_CACHE_MS: '0',
  APP_KAFKA__TOPIC_PREFIX: (chosen ? undefined : services.ALTIS_TEST_TOPIC_PREFIX) ?? `${name}.`,
};
