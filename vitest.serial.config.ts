import { configDefaults, defineConfig } from 'vitest/config';
import base, { OUTAGE_TESTS } from './vitest.config';

// The tests that stop the shared Kafka broker: alone, one file at a time, after the main run (scripts/test.sh).
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: OUTAGE_TESTS,
    exclude: configDefaults.exclude,
    maxWorkers: 1,
    testTimeout: 240_000,
  },
});
