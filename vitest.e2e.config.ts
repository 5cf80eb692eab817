import { defineConfig } from 'vitest/config';

// The user's path on a real one-node cluster (test/cluster): helm install, kubectl apply, files through the Ingress.
//   npx tsc -p tsconfig.json && npx vitest run --config vitest.e2e.config.ts
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/globalSetup.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    teardownTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
