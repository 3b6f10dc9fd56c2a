import { defineConfig } from 'vitest/config';

/**
 * One config for the demo site (default build), the widget library (`--mode widget`) and Vitest.
 * The demo and widget blocks are filled in by the widget and demo work.
 */
export default defineConfig({
  test: {
    root: '.',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
