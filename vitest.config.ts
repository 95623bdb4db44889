import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Every test talks real HTTP on 127.0.0.1; keep a few files in flight, not dozens.
    maxWorkers: 2,
    // Every request a test's GitHub stand-in received must be one GitHub's API description allows.
    setupFiles: ['test/helpers/github-openapi-setup.ts'],
  },
});
