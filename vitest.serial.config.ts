import { configDefaults, defineConfig } from 'vitest/config';
import base, { SERIAL_TESTS } from './vitest.config.ts';

// The tests that change shared state (see SERIAL_TESTS): alone, one file at a time, after the main run.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: SERIAL_TESTS,
    exclude: configDefaults.exclude,
    maxWorkers: 1,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 240_000,
  },
});
