import { defineConfig } from 'vitest/config';

// Two tiers (STYLE.md §11): *.unit.test.ts are pure and fast; *.integration.test.ts talk to a real
// PostgreSQL, a real Temporal dev server and the vendor simulators, which globalSetup starts once.
export default defineConfig({
  test: {
    env: { TZ: 'UTC' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['**/*.unit.test.ts'], exclude: ['node_modules/**'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['**/*.integration.test.ts'],
          exclude: ['node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
