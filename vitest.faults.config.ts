import { defineConfig } from 'vitest/config';

// The fault matrix (scripts/faults.sh, npm run test:faults): one file, one process, against the stack of its own
// that faults.sh starts. A round injects its fault mid-traffic and waits (bounded) for quiet: minutes, not seconds.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 240_000,
    reporters: ['default'],
  },
});
