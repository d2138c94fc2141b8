import { defineConfig } from 'vitest/config';

/**
 * The test settings every package shares: one TMPDIR per run, removed at the end with the gpg
 * daemons started in it (test-fixtures' test-tmp), and timeouts long enough for gpg and a real SKS.
 */
export function packageTestConfig(options: { include?: string[]; globalSetup?: string } = {}) {
  return defineConfig({
    test: {
      include: options.include ?? ['test/**/*.test.ts'],
      globalSetup: [options.globalSetup ?? '../test-fixtures/dist/test-tmp.js'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  });
}
