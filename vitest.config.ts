import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/globalSetup.ts'],
    // Real processes and a real Redis: give them time to start, and never hide a stray rejection.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    dangerouslyIgnoreUnhandledErrors: false,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
