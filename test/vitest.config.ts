// Vitest configuration (kept under test/ because the top level of the repo is fixed).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // PGlite instances cost ~165 MiB and real Postgres suites create databases: two workers suit 2 cores.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
