import { defineConfig } from 'vitest/config';

// Vitest runs on the machine's Node (20): unit tests next to the code, integration tests that
// spawn real Bun server processes under test/integration. Bun-only smoke tests live in test/bun
// and run through `bun test` (see package.json "test").
export default defineConfig({
  test: {
    include: ['data-plane/**/*.test.ts', 'control-plane/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    setupFiles: ['test/setup/fast-check-seed.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
