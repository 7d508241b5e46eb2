import { defineConfig } from 'vitest/config';

// One DynamoDB Local (in-memory) is started for the whole run by globalSetup; every test
// file creates its own uniquely-prefixed tables, so files can run in parallel safely.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup-env.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
