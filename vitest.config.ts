import { defineConfig } from 'vitest/config';

const everywhere = (suffix: string) => ['packages', 'services', 'apps', 'test', 'bench'].map((dir) => `${dir}/**/*${suffix}`);
const notDeps = ['**/node_modules/**', '**/dist/**'];

/**
 * Three tiers, each a vitest project:
 * - unit: pure logic, no servers, seconds (`pnpm test:unit`);
 * - integration: real Postgres, NATS, sockets and Chromium (`pnpm test:integration`);
 * - faults: kills, pauses and restarts NATS, Postgres and the services, on servers of its own (`pnpm test:faults`);
 * - bench: the benchmark scenarios at their smallest size, for correctness only (`pnpm test:bench`).
 * `pnpm test` runs unit and integration.
 */
export default defineConfig({
  test: {
    // Two cores: integration files each start a stack of services.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: everywhere('.test.ts'), exclude: [...notDeps, '**/*.int.test.ts', '**/*.fault.test.ts'], testTimeout: 10_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: everywhere('.int.test.ts'),
          exclude: [...notDeps, 'bench/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.fault.test.ts'],
          exclude: notDeps,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: { name: 'bench', include: ['bench/src/**/*.int.test.ts'], exclude: notDeps, testTimeout: 600_000, hookTimeout: 120_000 },
      },
    ],
  },
});
