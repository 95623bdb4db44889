import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Deadlines, not expectations: whole-program tests spawn several processes each, and on a
    // busy machine (or two suites at once) one of them can take over 30 s and still be right.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Every test talks real HTTP on 127.0.0.1; keep a few files in flight, not dozens.
    maxWorkers: 2,
    // Every request a test's GitHub stand-in received must be one GitHub's API description allows.
    setupFiles: ['test/helpers/github-openapi-setup.ts'],
  },
});
