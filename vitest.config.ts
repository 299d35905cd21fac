import { configDefaults, defineConfig } from 'vitest/config';
import { TEST_ENV } from './test/env.ts';

/**
 * Tests that change what every other test file shares, so they run alone after the main run
 * (vitest.serial.config.ts; scripts/test.sh, npm run test:serial): the Kafka outage test stops the broker for
 * 30 s; the admin test changes the bundles and pricing rules every offer search reads; the README guides book
 * seats on the seeded schedule, which the parallel group only reads (test/seeded-schedule-guard.ts); the foreign
 * services test runs whole stacks of its own (in a network namespace) and is heavy.
 */
export const SERIAL_TESTS = [
  'test/integration/outbox-outage.test.ts',
  'test/integration/admin.test.ts',
  'test/integration/schemathesis-admin.test.ts',
  'test/e2e/readme-trip.test.ts',
  'test/e2e/readme-guides.test.ts',
  'test/e2e/foreign-services.test.ts',
];

// Integration tests talk to the real services that scripts/test.sh starts. Each test file runs in its own
// forked process (Temporal's native worker does not like worker_threads), at most two at a time on this
// two-core machine; a file builds at most one Temporal worker.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/faults/ runs on a stack of its own (scripts/faults.sh, vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, ...SERIAL_TESTS, 'test/faults/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a real stack does in its own time (a browser page after a workflow's answer, on
    // a loaded two-core machine): 15 s before it fails, not vitest's default second.
    expect: { poll: { timeout: 15_000, interval: 50 } },
    globalSetup: ['test/global-setup.ts', 'test/seeded-schedule-guard.ts'],
    setupFiles: ['test/setup-file.ts'],
    reporters: ['default'],
    env: TEST_ENV,
  },
});
