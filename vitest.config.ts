import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    setupFiles: ['test/setup/fast-check.ts'],
    globalSetup: ['test/setup/global.ts'],
  },
});
