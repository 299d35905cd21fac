import { configDefaults, defineConfig } from 'vitest/config';

/** Stops the shared Kafka broker for 30 s: run alone by vitest.outage.config.ts (scripts/test.sh, test:outage). */
export const OUTAGE_TESTS = ['test/integration/outbox-outage.test.ts'];

// Integration tests talk to the real services that scripts/test.sh starts. Each test file runs in its own
// forked process (Temporal's native worker does not like worker_threads), at most two at a time on this
// two-core machine; a file builds at most one Temporal worker.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...OUTAGE_TESTS],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-file.ts'],
    reporters: ['default'],
    // Tests never touch the development database, Redis db 0 or the development topics.
    env: {
      APP_ENV: 'test',
      APP_DATABASE__URL: 'postgres://altis:altis@127.0.0.1:5432/altis_test',
      APP_REDIS__URL: 'redis://127.0.0.1:6379/1',
      APP_LOG__LEVEL: 'warn',
      APP_TEMPORAL__TASK_QUEUE: 'altis-test',
      // Every test file calls the API from 127.0.0.1: one shared per-IP bucket. The limits have tests of their own.
      APP_RATE_LIMIT__PER_IP_PER_MINUTE: '1000000',
      APP_RATE_LIMIT__PER_CUSTOMER_PER_MINUTE: '1000000',
      APP_KAFKA__TOPIC_PREFIX: 'altis-test.',
    },
  },
});
