import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// The Galera suites, run by `npm run test:galera` against the cluster it started (TEST_DATABASE_URL
// is haproxy). One file at a time: they share the cluster, and some kill its nodes.
export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    include: ['test/galera/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    setupFiles: ['test/support/setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
});
