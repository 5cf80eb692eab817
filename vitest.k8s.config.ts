import { defineConfig } from 'vitest/config';

// Integration tests of the operator against a real control plane (test/controlplane). Run with:
//   npx tsc -p tsconfig.json && npx vitest run --config vitest.k8s.config.ts
export default defineConfig({
  test: {
    include: ['test/k8s/**/*.test.ts'],
    globalSetup: ['test/k8s/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    dangerouslyIgnoreUnhandledErrors: false,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
