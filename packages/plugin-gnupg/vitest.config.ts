import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One TMPDIR per run, removed at the end (gpg daemons stopped first).
    globalSetup: ['../test-fixtures/dist/test-tmp.js'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
