import { defineConfig } from 'vitest/config';

/**
 * The reliability suite (`npm run test:reliability`): load, fault and fuzz tests of the kit's promises, kept out
 * of `npm run test:node`. Files run one at a time, since each one loads the machine on its own.
 */
export default defineConfig({
  test: {
    root: '.',
    include: ['test/reliability/**/*.test.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
