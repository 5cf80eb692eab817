import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the real-API-server and real-cluster suites have their own configs and setups (vitest.k8s.config.ts,
    // vitest.e2e.config.ts, both run by npm test)
    exclude: [...configDefaults.exclude, 'test/k8s/**', 'test/e2e/**'],
    globalSetup: ['test/helpers/globalSetup.ts'],
    setupFiles: ['test/helpers/cleanup.ts'],
    // Real processes and a real Redis: give them time to start, and never hide a stray rejection.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    dangerouslyIgnoreUnhandledErrors: false,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
