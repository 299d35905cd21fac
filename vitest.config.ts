import { defineConfig } from 'vitest/config';

// Integration tests talk to the real services that scripts/test.sh starts. Each test file runs in its own
// forked process (Temporal's native worker does not like worker_threads), at most two at a time on this
// two-core machine; a file builds at most one Temporal worker.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-file.ts'],
    reporters: ['default'],
    // Tests never touch the development database or Redis db 0.
    env: {
      APP_ENV: 'test',
      APP_DATABASE__URL: 'postgres://altis:altis@127.0.0.1:5432/altis_test',
      APP_REDIS__URL: 'redis://127.0.0.1:6379/1',
      APP_LOG__LEVEL: 'warn',
      APP_TEMPORAL__TASK_QUEUE: 'altis-test',
    },
  },
});
